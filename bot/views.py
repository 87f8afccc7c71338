"""Persistent components: checklist buttons, their modals, and the upload-alert button.

Each button is a ``discord.ui.DynamicItem`` whose whole state is in its ``custom_id`` (templates in
``bot.custom_ids``), so after a restart discord.py rebuilds it from the id alone once the bot has
called ``add_dynamic_items`` in ``setup_hook``. A callback does what a command handler does: check
access, build one engine command, let ``bot.channels`` store it (the timeline is written before
the click is acknowledged), then answer by re-rendering the message the button is on (through a
``bot.replies.Reply``, deferred if the work takes more than two seconds). Errors go to
``bot.errors.reply_with_error``, the one place that turns them into messages.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.access import Access, actor_for, require
from bot.custom_ids import STEP_TEMPLATE, UPLOAD_ADD_TEMPLATE, step_button_id, upload_add_id
from bot.errors import reply_with_error
from bot.replies import start_reply
from protocols.commands import AssignRole, CompleteStep, SkipStep

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["AddUploadButton", "CompleteStepModal", "SkipStepModal", "StepButton"]

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

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        try:
            require(bot.settings, interaction.user, Access.RESPONDER)
            state = await bot.channels.state(self.incident_id)
            protocol = bot.channels.protocol(state)
            step = protocol.step(self.step_id)
            actor = actor_for(bot.settings, interaction.user)
            if self.action == "skip":
                await interaction.response.send_modal(SkipStepModal(self.incident_id, step.id))
                return
            if self.action == "done" and step.evidence and not state.step(step.id).evidence:
                await interaction.response.send_modal(
                    CompleteStepModal(self.incident_id, step.id, step.evidence)
                )
                return
            reply = start_reply(interaction, update=True)
            if self.action == "done":
                state = await bot.channels.execute(
                    self.incident_id, CompleteStep(step.id, actor=actor)
                )
            else:
                user = interaction.user
                state = await bot.channels.execute(
                    self.incident_id,
                    AssignRole(step.role, str(user.id), user.display_name, actor=actor),
                )
            await bot.channels.answer_with_checklist(interaction, state, step.id)
            if self.action == "own":
                problem = await bot.channels.send_role_instructions(
                    state, step.role, interaction.user
                )
                if problem:
                    await reply.whisper(f"You hold the role, but {problem}.")
        except Exception as error:  # noqa: BLE001 - every failure is shown to the user
            await reply_with_error(interaction, error)


class _StepModal(discord.ui.Modal):
    """Base for the modals a checklist button opens; the answer re-renders the checklist."""

    def __init__(self, title: str, incident_id: str, step_id: str) -> None:
        super().__init__(title=title[:45], timeout=600)
        self.incident_id = incident_id
        self.step_id = step_id

    def command(self, interaction: discord.Interaction) -> Any:
        raise NotImplementedError

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot = _bot(interaction)
        require(bot.settings, interaction.user, Access.RESPONDER)
        start_reply(interaction, update=True)
        state = await bot.channels.execute(self.incident_id, self.command(interaction))
        await bot.channels.answer_with_checklist(interaction, state, self.step_id)

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        await reply_with_error(interaction, error)


class SkipStepModal(_StepModal):
    reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Why is this step skipped?",
        style=discord.TextStyle.paragraph,
        max_length=1000,
        custom_id="reason",
    )

    def __init__(self, incident_id: str, step_id: str) -> None:
        super().__init__("Skip step", incident_id, step_id)

    def command(self, interaction: discord.Interaction) -> SkipStep:
        actor = actor_for(_bot(interaction).settings, interaction.user)
        return SkipStep(self.step_id, self.reason.value, actor=actor)


class CompleteStepModal(_StepModal):
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

    def command(self, interaction: discord.Interaction) -> CompleteStep:
        actor = actor_for(_bot(interaction).settings, interaction.user)
        return CompleteStep(
            self.step_id, note=self.note.value, evidence=self.evidence.value, actor=actor
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
