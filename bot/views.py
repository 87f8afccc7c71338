"""Persistent components: checklist buttons, their modals, and the upload-alert button.

Each button is a ``discord.ui.DynamicItem`` whose whole state is in its ``custom_id`` (templates in
``bot.custom_ids``), so after a restart discord.py rebuilds it from the id alone once the bot has
called ``add_dynamic_items`` in ``setup_hook``. A callback does what a command handler does: check
access, build one engine command, let ``bot.channels`` store it (the timeline is written before
the click is acknowledged), then answer by re-rendering the message the button is on (through a
``bot.replies.Reply``, deferred if the work takes more than two seconds). Errors go to
``bot.errors.reply_with_error``, the one place that turns them into messages. The forms the
buttons open are ``bot.forms.PersistentForm`` forms: submitted after a restart too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import discord

from bot.access import Access, actor_for, require
from bot.custom_ids import (
    STEP_FORM_TEMPLATE,
    STEP_TEMPLATE,
    UPLOAD_ADD_TEMPLATE,
    step_button_id,
    step_form_id,
    upload_add_id,
)
from bot.errors import reply_with_error
from bot.forms import PersistentForm
from bot.replies import start_reply
from protocols.actors import Actor
from protocols.commands import AssignRole, Command, CompleteStep, SkipStep
from protocols.decide import check_step_action
from protocols.definition import Step
from protocols.state import IncidentState

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["AddUploadButton", "CompleteStepModal", "SkipStepModal", "StepButton", "StepForm"]

_STEP_LOOK: dict[str, tuple[str, discord.ButtonStyle]] = {
    "done": ("Done", discord.ButtonStyle.success),
    "skip": ("Skip", discord.ButtonStyle.secondary),
    "own": ("Take", discord.ButtonStyle.primary),
}


def _bot(interaction: discord.Interaction) -> CrisisBot:
    return interaction.client  # type: ignore[return-value]


class StepButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=STEP_TEMPLATE):
    """``cb:step:{incident}:{step}:{done|skip|own}`` under a checklist message."""

    def __init__(
        self,
        incident_id: str,
        step_id: str,
        action: str,
        *,
        row: int | None = None,
        disabled: bool = False,
        title: str = "",
    ) -> None:
        label, style = _STEP_LOOK[action]
        if action == "done" and title:
            label = f"Done: {title}"[:80]
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=step_button_id(incident_id, step_id, action),
                row=row,
                disabled=disabled,
            )
        )
        self.incident_id = incident_id
        self.step_id = step_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StepButton:
        return cls(match["incident"], match["step"], match["action"])

    def _form(self, step: Step, state: IncidentState) -> StepForm | None:
        """The form this click opens for the input its command still needs, if any."""
        if self.action == "skip":
            return SkipStepModal(self.incident_id, step.id)
        if self.action == "done" and step.evidence and not state.step(step.id).evidence:
            return CompleteStepModal(self.incident_id, step.id, step.evidence)
        return None

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        try:
            require(bot.settings, interaction.user, Access.RESPONDER)
            state = await bot.incidents.get(self.incident_id)
            protocol = bot.incidents.protocol_for(state)
            step = protocol.step(self.step_id)
            actor = actor_for(bot.settings, interaction.user)
            form = self._form(step, state)
            if form is not None:
                # refused now if the engine would refuse it whatever is typed in the form
                check_step_action(state, protocol, actor, step.id, form.action)
                await form.show(interaction)
                return
            reply = start_reply(interaction, update=True)
            if self.action == "done":
                state = await bot.timeline.execute(
                    self.incident_id, CompleteStep(step.id, actor=actor)
                )
            else:
                user = interaction.user
                state = await bot.timeline.execute(
                    self.incident_id,
                    AssignRole(step.role, str(user.id), user.display_name, actor=actor),
                )
            await bot.projection.answer_with_checklist(interaction, state, step.id)
            if self.action == "own":
                problem = await bot.projection.send_role_instructions(
                    state, step.role, interaction.user
                )
                if problem:
                    await reply.whisper(f"You hold the role, but {problem}.")
        except Exception as error:  # noqa: BLE001 - every failure is shown to the user
            await reply_with_error(interaction, error)


class StepForm(PersistentForm):
    """The forms a checklist button opens (skip reason, evidence); the answer re-renders the
    checklist. Registered once with ``bot.forms``: its template covers both kinds."""

    template = STEP_FORM_TEMPLATE
    action: ClassVar[Literal["done", "skip"]]

    def __init__(self, title: str, incident_id: str, step_id: str) -> None:
        super().__init__(
            title=title[:45], custom_id=step_form_id(incident_id, step_id, self.action)
        )

    @staticmethod
    def command(step_id: str, actor: Actor, values: Mapping[str, str]) -> Command:
        raise NotImplementedError

    @classmethod
    async def submit(
        cls, interaction: discord.Interaction, ids: re.Match[str], values: Mapping[str, str]
    ) -> None:
        bot = _bot(interaction)
        require(bot.settings, interaction.user, Access.RESPONDER)
        start_reply(interaction, update=True)
        form = SkipStepModal if ids["action"] == "skip" else CompleteStepModal
        actor = actor_for(bot.settings, interaction.user)
        state = await bot.timeline.execute(
            ids["incident"], form.command(ids["step"], actor, values)
        )
        await bot.projection.answer_with_checklist(interaction, state, ids["step"])


class SkipStepModal(StepForm):
    """``cb:form:{incident}:{step}:skip``: why the step is skipped."""

    action = "skip"

    def __init__(self, incident_id: str, step_id: str) -> None:
        super().__init__("Skip step", incident_id, step_id)
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Why is this step skipped?",
            style=discord.TextStyle.paragraph,
            max_length=1000,
            custom_id="reason",
        )
        self.add_item(self.reason)

    @staticmethod
    def command(step_id: str, actor: Actor, values: Mapping[str, str]) -> Command:
        return SkipStep(step_id, values.get("reason", ""), actor=actor)


class CompleteStepModal(StepForm):
    """``cb:form:{incident}:{step}:done``: the evidence the step asks for, and a note."""

    action = "done"

    def __init__(self, incident_id: str, step_id: str, evidence_kind: str) -> None:
        super().__init__("Complete step", incident_id, step_id)
        label = {"link": "Link (evidence)", "hash": "Hash (evidence)"}.get(
            evidence_kind, "What was done (evidence)"
        )
        self.evidence: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=label, style=discord.TextStyle.paragraph, max_length=1000, custom_id="evidence"
        )
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Note (optional)", required=False, max_length=1000, custom_id="note"
        )
        self.add_item(self.evidence)
        self.add_item(self.note)

    @staticmethod
    def command(step_id: str, actor: Actor, values: Mapping[str, str]) -> Command:
        return CompleteStep(
            step_id, note=values.get("note", ""), evidence=values.get("evidence"), actor=actor
        )


class AddUploadButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=UPLOAD_ADD_TEMPLATE):
    """``cb:upadd:{list}`` under an upload-match alert: add the upload's hashes to that list.

    The hashes themselves are read from the alert message's embed (the bytes were never kept),
    so the button works after a restart. Restricted to the hash coordinator role.
    """

    def __init__(self, list_name: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Add upload to {list_name}"[:80],
                style=discord.ButtonStyle.danger,
                custom_id=upload_add_id(list_name),
                disabled=disabled,
            )
        )
        self.list_name = list_name

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AddUploadButton:
        return cls(match["list"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        try:
            require(bot.settings, interaction.user, Access.HASH_COORDINATOR)
            start_reply(interaction)  # adding to a list and linking may take a moment
            cog = bot.get_cog("UploadWatch")
            if cog is None:
                raise RuntimeError("the upload watch extension is not loaded")
            await cog.add_alerted_upload(interaction, self.list_name)  # type: ignore[attr-defined]
        except Exception as error:  # noqa: BLE001 - every failure is shown to the user
            await reply_with_error(interaction, error)
