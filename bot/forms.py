"""Forms (modals) that can be submitted after a restart: dispatched by custom id, not by object.

discord.py hands a modal submit to the ``Modal`` object that was sent, kept in memory by the
process that sent it; after a restart nobody holds it and the submit is dropped, so a form a
responder filled in while the bot restarted would be lost. A :class:`PersistentForm` therefore
carries everything its submit needs in its ``custom_id`` (templates in ``bot.custom_ids``) and is
never kept: :meth:`PersistentForm.show` sends it unregistered, and :class:`FormDispatcher`, an
``on_interaction`` listener, handles every submit of a known template from the id and the
submitted values alone. One path serves submits before and after a restart, so a submit is
never handled twice (by a kept object and by the dispatcher).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import discord

from bot.errors import UserFacingError, reply_with_error

__all__ = ["FormDispatcher", "PersistentForm", "answer_unclaimed_click", "submitted_values"]

log = logging.getLogger(__name__)


class PersistentForm(discord.ui.Modal):
    """A modal whose submit is handled by :meth:`submit`, from its custom id and values only.

    Subclasses set ``template`` (a regular expression matching their custom ids), render their
    inputs in ``__init__`` (pass the custom id built from the same template) and implement
    :meth:`submit` as a classmethod: no instance exists when a form opened before a restart is
    submitted.
    """

    template: ClassVar[str]

    async def show(self, interaction: discord.Interaction) -> None:
        """Answer ``interaction`` with this form, without discord.py keeping it in memory.

        ``on_submit`` stays discord.py's no-op, so even an object that was kept would not act a
        second time: the dispatcher is the only path.
        """
        self.stop()  # a finished modal is not stored: nothing piles up for forms never sent back
        await interaction.response.send_modal(self)

    @classmethod
    async def submit(
        cls, interaction: discord.Interaction, ids: re.Match[str], values: Mapping[str, str]
    ) -> None:
        """Act on a submit: ``ids`` is the custom id matched by ``template``."""
        raise NotImplementedError


def submitted_values(data: Mapping[str, Any] | None) -> dict[str, str]:
    """Text input values of a modal submit by custom id (inputs in rows or labels)."""
    values: dict[str, str] = {}

    def walk(components: Iterable[Mapping[str, Any]]) -> None:
        for component in components:
            if "component" in component:  # a label (type 18) wraps one input
                walk([component["component"]])
            walk(component.get("components", ()))
            if "custom_id" in component and "value" in component:
                values[str(component["custom_id"])] = str(component["value"] or "")

    walk((data or {}).get("components", ()))
    return values


class FormDispatcher:
    """The ``on_interaction`` listener that submits every :class:`PersistentForm` by its id."""

    def __init__(self) -> None:
        self._forms: list[type[PersistentForm]] = []

    def add(self, *forms: type[PersistentForm]) -> None:
        self._forms.extend(form for form in forms if form not in self._forms)

    def remove(self, *forms: type[PersistentForm]) -> None:
        self._forms = [form for form in self._forms if form not in forms]

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Mapping[str, Any] = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        for form in self._forms:
            ids = re.fullmatch(form.template, custom_id)
            if ids is None:
                continue
            try:
                await form.submit(interaction, ids, submitted_values(data))
            except Exception as error:  # noqa: BLE001 - every failure is shown to the user
                await reply_with_error(interaction, error)
            return
        log.info("modal submit %r matches no form of the bot", custom_id)
        await _answer_unclaimed(interaction, "form")


async def answer_unclaimed_click(interaction: discord.Interaction) -> None:
    """An ``on_interaction`` listener: a click no button of the bot handles (a custom id from an
    older version, or made up by another client) gets a private answer instead of Discord's
    "This interaction failed". Persistent buttons are ``DynamicItem`` templates; the only other
    views are the bot's own unexpired ones, both looked up in discord.py's view store."""
    if interaction.type is not discord.InteractionType.component:
        return
    data: Mapping[str, Any] = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    key = (int(data.get("component_type", 0) or 0), custom_id)
    store = interaction.client._connection._view_store  # discord.py keeps no public lookup
    if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
        return
    message_id = interaction.message.id if interaction.message is not None else None
    if key in store._views.get(message_id, {}) or key in store._views.get(None, {}):
        return
    log.info("click on %r matches no button of the bot", custom_id)
    await _answer_unclaimed(interaction, "button")


async def _answer_unclaimed(interaction: discord.Interaction, what: str) -> None:
    await reply_with_error(
        interaction,
        UserFacingError(
            f"This {what} is not one the bot handles (any more); nothing was changed. Use the "
            "incident's current checklist or the `/incident` commands."
        ),
    )
