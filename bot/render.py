"""What incidents look like in Discord: pure functions from incident state to embeds and views.

Nothing here talks to Discord or to a service; every function takes the state (an
``IncidentState``), the protocol and, where times matter, values computed by the caller, and
returns discord.py objects (``Embed``, ``ui.View``). That keeps the rendering testable without a
client and guarantees that every message is a projection of the timeline.

A drill is marked in every title and every plain message (``DRILL``) so an exercise can never be
mistaken for a real incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord

from bot.views import StepButton
from protocols.definition import Protocol, Stage, Step
from protocols.state import IncidentState

__all__ = [
    "CHECKLIST_STEPS_PER_MESSAGE",
    "ChecklistPage",
    "DueLine",
    "channel_name",
    "channel_topic",
    "checklist_embed",
    "checklist_page_for_step",
    "checklist_pages",
    "checklist_view",
    "drill_prefix",
    "incident_id_from_topic",
    "match_lines",
    "role_assignment_dm",
    "summary_embed",
    "tagged",
]

#: One row of buttons per step and Discord allows five rows per message.
CHECKLIST_STEPS_PER_MESSAGE = 5
TOPIC_MARKER = "crisisbot incident "
_STATUS_ICON = {"pending": "⬜", "done": "✅", "skipped": "⏭️"}
_COLOUR = {"declared": 0xE67E22, "active": 0xE74C3C, "concluded": 0x3498DB, "closed": 0x95A5A6}
_DRILL_COLOUR = 0x9B59B6


@dataclass(frozen=True)
class DueLine:
    """A step that is due soon or overdue, as the caller's deadline logic computed it."""

    step_id: str
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class ChecklistPage:
    """One checklist message: up to five steps of one stage, with their buttons."""

    stage_index: int
    part: int
    steps: tuple[Step, ...]

    @property
    def key(self) -> tuple[int, int]:
        return (self.stage_index, self.part)


def drill_prefix(state: IncidentState) -> str:
    return "DRILL · " if state.drill else ""


def tagged(state: IncidentState, text: str) -> str:
    """A plain message for the incident, marked as a drill when it is one."""
    return f"**[DRILL]** {text}" if state.drill else text


def channel_name(state: IncidentState) -> str:
    """``{incident id}-{title}``, lowercase, dashes, at most 100 characters; a drill's name starts
    with ``drill-`` exactly once. Drill ids already do (``drill-20260315-…``, as the engine and
    the drill runner make them: that gave ``drill-drill-…``); an id chosen for a drill that does
    not gets the prefix (``drill-inc-7-…``). The id stays whole in the name, so a responder finds
    the channel by the id every export, command and log line shows."""
    words = "".join(c if c.isalnum() else "-" for c in state.title.lower()).split("-")
    slug = "-".join(w for w in words if w)[:60].strip("-")
    marked = state.drill and not state.id.startswith("drill-")
    name = f"{'drill-' if marked else ''}{state.id}{'-' + slug if slug else ''}"
    return name[:100]


def channel_topic(state: IncidentState) -> str:
    """The topic carries the incident id so a restarted bot finds the channel without a DB table."""
    return f"{'DRILL · ' if state.drill else ''}{state.title[:900]} · {TOPIC_MARKER}{state.id}"


def incident_id_from_topic(topic: str | None) -> str | None:
    if not topic or TOPIC_MARKER not in topic:
        return None
    return topic.rsplit(TOPIC_MARKER, 1)[1].strip() or None


def _mentions(holders: dict[str, str]) -> str:
    return ", ".join(f"<@{user_id}>" for user_id in holders) or "— unassigned"


def _fmt_time(moment: datetime) -> str:
    return discord.utils.format_dt(moment, "t") + " (" + discord.utils.format_dt(moment, "R") + ")"


def _severity_name(state: IncidentState, protocol: Protocol) -> str:
    level = protocol.severity(state.severity)
    return level.name if level is not None else state.severity


def _colour(state: IncidentState) -> int:
    return _DRILL_COLOUR if state.drill else _COLOUR.get(state.status, 0x95A5A6)


def summary_embed(
    state: IncidentState, protocol: Protocol, due: Sequence[DueLine] = ()
) -> discord.Embed:
    """The pinned summary: protocol, severity, status, stage, who holds each role, what is due."""
    embed = discord.Embed(
        title=f"{drill_prefix(state)}{state.title}"[:256],
        description=f"Incident `{state.id}` · status **{state.status}**",
        colour=_colour(state),
    )
    embed.add_field(name="Protocol", value=f"{protocol.name} (`{protocol.id}` v{protocol.version})")
    embed.add_field(name="Severity", value=_severity_name(state, protocol))
    stage_count = len(protocol.stages)
    stage = protocol.stages[min(state.stage_index, stage_count - 1)]
    embed.add_field(
        name="Current stage", value=f"{state.stage_index + 1}/{stage_count} · {stage.name}"
    )
    roles = "\n".join(
        f"**{role.name}**: {_mentions(state.holders(role.id))}" for role in protocol.roles.values()
    )
    embed.add_field(name="Roles (who to ask)", value=roles[:1024] or "—", inline=False)
    embed.add_field(name="Next due", value=_due_text(state, protocol, due)[:1024], inline=False)
    if state.summary:
        embed.add_field(name="Conclusion", value=state.summary[:1024], inline=False)
    embed.set_footer(text=f"{'DRILL · ' if state.drill else ''}incident {state.id} · summary")
    return embed


def _due_text(state: IncidentState, protocol: Protocol, due: Sequence[DueLine]) -> str:
    if not state.is_open or state.status == "concluded":
        return "— nothing (incident concluded)" if state.is_open else "— nothing (closed)"
    lines = []
    for item in sorted(due, key=lambda d: d.due_at)[:8]:
        step = protocol.step(item.step_id)
        owner = _mentions(state.holders(step.role))
        flag = "⚠️ overdue" if item.overdue else "due"
        lines.append(f"{flag} {_fmt_time(item.due_at)}: {step.title} · {owner}")
    return "\n".join(lines) or "— no deadlines pending"


def checklist_pages(protocol: Protocol) -> list[ChecklistPage]:
    """How the protocol's steps are split into checklist messages (stable for a protocol)."""
    pages = []
    for index, stage in enumerate(protocol.stages):
        for part, start in enumerate(range(0, len(stage.steps), CHECKLIST_STEPS_PER_MESSAGE)):
            chunk = stage.steps[start : start + CHECKLIST_STEPS_PER_MESSAGE]
            pages.append(ChecklistPage(index, part, tuple(chunk)))
    return pages


def checklist_page_for_step(protocol: Protocol, step_id: str) -> ChecklistPage:
    protocol.step(step_id)  # raises UnknownStep with the list of known steps
    return next(p for p in checklist_pages(protocol) if any(s.id == step_id for s in p.steps))


def _step_line(state: IncidentState, step: Step, protocol: Protocol) -> str:
    done = state.step(step.id)
    role = protocol.roles.get(step.role)
    owner = _mentions(state.holders(step.role))
    role_name = role.name if role else step.role
    line = f"{_STATUS_ICON[done.status]} **{step.title}** — {role_name}: {owner}"
    if not step.required:
        line += " *(optional)*"
    if done.status == "done" and done.by_id:
        line += f"\n  done by <@{done.by_id}>" + (f": {done.note}" if done.note else "")
    elif done.status == "skipped":
        line += f"\n  skipped by <@{done.by_id}>: {done.reason}"
    elif done.status == "pending" and done.reason:
        line += f"\n  reopened: {done.reason}"
    return line


def checklist_embed(state: IncidentState, protocol: Protocol, page: ChecklistPage) -> discord.Embed:
    stage: Stage = protocol.stages[page.stage_index]
    part = f" (part {page.part + 1})" if page.part else ""
    embed = discord.Embed(
        title=f"{drill_prefix(state)}Stage {page.stage_index + 1}: {stage.name}{part}"[:256],
        description="\n".join(_step_line(state, step, protocol) for step in page.steps)[:4096],
        colour=_colour(state),
    )
    embed.set_footer(text=f"{'DRILL · ' if state.drill else ''}incident {state.id} · checklist")
    return embed


def checklist_view(state: IncidentState, page: ChecklistPage) -> discord.ui.View:
    """One row per step: done, skip, take ownership. Finished steps and closed incidents disable."""
    view = discord.ui.View(timeout=None)
    for row, step in enumerate(page.steps):
        finished = state.step(step.id).finished or state.status in ("concluded", "closed")
        for action in ("done", "skip", "own"):
            view.add_item(
                StepButton(state.id, step.id, action, row=row, disabled=finished, title=step.title)
            )
    return view


def role_assignment_dm(state: IncidentState, protocol: Protocol, role_id: str) -> str:
    """The private message to someone given a role: what the role does and where to go."""
    role = protocol.role(role_id)
    instructions = role.instructions or "The protocol gives no specific instructions for this role."
    return tagged(
        state,
        f"You are now **{role.name}** for incident **{state.title}** (`{state.id}`).\n\n"
        f"{instructions}",
    )


def match_lines(results: Iterable[Any], *, limit: int = 15) -> list[str]:
    """One line per match (nearest first): the signal that matched, its distance (or inliers,
    for local features), how it matched (a local-feature match's transform), list, labels,
    entry id.

    ``results`` are ``hashdb.MatchResult``s; allow-list matches are listed as known benign.
    """
    lines = []
    for result in results:
        for match in result.matches:
            labels = ", ".join(match.labels) or "no labels"
            suspect = " ⚠️ likely bad hash" if getattr(match, "likely_bad_hash", False) else ""
            lines.append(
                f"🚩 `{match.signal}` {match.measure} **{match.distance}**{_how(match)} · list "
                f"**{match.list_name}** · {labels} · entry #{match.entry.id}{suspect}"
            )
        for match in result.allow_matches:
            lines.append(
                f"🟢 `{match.signal}` {match.measure} {match.distance}{_how(match)} · allow list "
                f"**{match.list_name}** (known benign) · entry #{match.entry.id}"
            )
    if len(lines) > limit:
        lines = [*lines[:limit], f"… and {len(lines) - limit} more"]
    return lines


def _how(match: Any) -> str:
    """The match's detail in words, in brackets after a space, or "" when there is none; then
    the entry's source when it names a file (a stored video's "discord: attack.mp4")."""
    described: str = match.describe()
    if not described:
        return ""
    source = getattr(match.entry, "source", "")
    named = f"; {source}" if source and source != "discord" else ""
    return f" ({described}{named})"
