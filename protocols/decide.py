"""``decide``: every rule of the engine, as one pure function from (state, command) to events.

``decide(state, command, protocol, now)`` returns the events that record the accepted command,
or raises a ``ProtocolError`` subclass and returns nothing; it never touches a store or a clock.
Completing or skipping the last open required step of a stage also emits ``StageAdvanced``
(``automatic=True``). Permissions live in ``protocols.permissions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from protocols import commands as c
from protocols import events as ev
from protocols.actors import HASH_COORDINATOR, INCIDENT_ADMIN, TIMELINE_RECORDER, Actor
from protocols.definition import EVIDENCE_KINDS, Protocol, Step
from protocols.errors import (
    DependencyNotMet,
    IncidentClosed,
    InvalidTransition,
    NotAllowed,
    UnknownProtocol,
)
from protocols.permissions import require
from protocols.protocol_snapshot import protocol_snapshot, snapshot_fingerprint
from protocols.state import IncidentState, evolve

__all__ = ["check_step_action", "decide"]

#: incident ids end up in channel names, file names and URLs
_INCIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")


class _Stamp(TypedDict):
    """The fields every event shares: when it was decided and who acted."""

    at: datetime
    actor_id: str
    actor_name: str


def _base(actor: Actor, now: datetime) -> _Stamp:
    return {"at": now, "actor_id": actor.id, "actor_name": actor.name}


def _need_text(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidTransition(f"{what} is required")
    return text


def _check_severity(protocol: Protocol, level: str) -> None:
    if protocol.severity(level) is None:
        known = ", ".join(s.id for s in protocol.severity_levels)
        raise InvalidTransition(f"unknown severity {level!r} (levels: {known})")


def _declare(cmd: c.DeclareIncident, protocol: Protocol, now: datetime) -> list[ev.Event]:
    if INCIDENT_ADMIN not in cmd.actor.roles:
        raise NotAllowed(f"{cmd.actor.name} may not declare incidents: needs incident_admin")
    if cmd.protocol_id != protocol.id:
        raise UnknownProtocol(f"command is for protocol {cmd.protocol_id!r}, not {protocol.id!r}")
    if not cmd.incident_id:
        raise InvalidTransition("an incident id is required")
    if not _INCIDENT_ID.match(cmd.incident_id):
        raise InvalidTransition(
            f"bad incident id {cmd.incident_id!r}: letters, digits and . _ : - only "
            "(at most 80, starting with a letter or digit)"
        )
    _check_severity(protocol, cmd.severity)
    base = _base(cmd.actor, now)
    lead = protocol.lead_role
    snapshot = protocol_snapshot(protocol)
    return [
        ev.IncidentDeclared(
            **base,
            incident_id=cmd.incident_id,
            protocol_id=protocol.id,
            protocol_version=protocol.version,
            title=_need_text(cmd.title, "a title"),
            severity=cmd.severity,
            drill=cmd.drill,
            first_stage=protocol.stages[0].id,
            participants=tuple((p[0], p[1]) for p in cmd.participants),
            protocol_hash=snapshot_fingerprint(snapshot),
            protocol_snapshot=snapshot,
        ),
        ev.RoleAssigned(**base, role=lead.id, user_id=cmd.actor.id, user_name=cmd.actor.name),
    ]


def _startable(state: IncidentState, protocol: Protocol, step_id: str) -> Step:
    index, step = protocol.stage_and_step(step_id)
    if index > state.stage_index:
        stage = protocol.stages[index]
        raise InvalidTransition(
            f"step {step_id!r} belongs to stage {stage.id!r}, which has not started "
            f"(current stage: {state.current_stage!r})"
        )
    return step


def _check_evidence(kind: str, value: str) -> str:
    if kind not in EVIDENCE_KINDS:
        raise InvalidTransition(f"unknown evidence kind {kind!r} (kinds: text, link, hash)")
    value = _need_text(value, f"{kind} evidence")
    if kind == "link" and not value.startswith(("https://", "http://")):
        raise InvalidTransition(f"link evidence must be an http(s) URL, got {value!r}")
    return value


def _auto_advance(
    state: IncidentState, protocol: Protocol, now: datetime, actor: Actor
) -> list[ev.Event]:
    events: list[ev.Event] = []
    while state.stage_index < len(protocol.stages) - 1:
        stage = protocol.stages[state.stage_index]
        if not all(state.step(s.id).finished for s in stage.steps if s.required):
            break
        nxt = protocol.stages[state.stage_index + 1]
        advanced = ev.StageAdvanced(
            **_base(actor, now),
            from_stage=stage.id,
            to_stage=nxt.id,
            reason=f"all required steps of {stage.name!r} are finished",
            automatic=True,
        )
        events.append(advanced)
        state = evolve(state, [advanced])
    return events


def _pending_step(
    state: IncidentState, protocol: Protocol, actor: Actor, step_id: str, *, complete: bool
) -> Step:
    """The step ``actor`` may complete (or skip) now: every rule that needs no input."""
    step = _startable(state, protocol, step_id)
    if complete:
        require(
            state,
            protocol,
            actor,
            "can_manage_steps",
            step_role=step.role,
            action=f"complete step {step.id!r}",
        )
    else:
        require(state, protocol, actor, "can_manage_steps")
    if state.step(step.id).status != "pending":
        raise InvalidTransition(f"step {step.id!r} is already {state.step(step.id).status}")
    missing = [d for d in step.depends_on if not state.step(d).finished]
    if complete and missing:
        raise DependencyNotMet(
            f"step {step.id!r} depends on {', '.join(missing)}, not done or skipped yet"
        )
    return step


def check_step_action(
    state: IncidentState,
    protocol: Protocol,
    actor: Actor,
    step_id: str,
    action: Literal["done", "skip"],
) -> Step:
    """Raise what ``decide`` would raise for completing (``"done"``) or skipping ``step_id`` now,
    whatever evidence or reason came with it; the step otherwise.

    Why: an adapter that asks for that input in a form (the bot's checklist buttons) asks the
    engine first, so a click on a closed incident or a finished step is refused at once, not
    after the responder typed their evidence. ``decide`` still checks everything on submit.
    """
    _check_open(state)
    return _pending_step(state, protocol, actor, step_id, complete=action == "done")


def _step_command(
    state: IncidentState, cmd: c.Command, protocol: Protocol, now: datetime
) -> list[ev.Event]:
    actor = cmd.actor
    base = _base(actor, now)
    if isinstance(cmd, c.CompleteStep):
        step = _pending_step(state, protocol, actor, cmd.step_id, complete=True)
        evidence = cmd.evidence
        if evidence is not None and step.evidence:
            evidence = _check_evidence(step.evidence, evidence)
        has_hash = step.evidence == "hash" and any(
            h.removed_at is None for h in state.linked_hashes.values()
        )
        if step.evidence and not evidence and not state.step(step.id).evidence and not has_hash:
            raise InvalidTransition(
                f"step {step.id!r} expects {step.evidence} evidence: pass it when completing"
            )
        done: ev.Event = ev.StepCompleted(
            **base, step_id=step.id, note=cmd.note.strip(), evidence=evidence
        )
    elif isinstance(cmd, c.SkipStep):
        step = _pending_step(state, protocol, actor, cmd.step_id, complete=False)
        done = ev.StepSkipped(**base, step_id=step.id, reason=_need_text(cmd.reason, "a reason"))
    else:
        assert isinstance(cmd, c.ReopenStep)
        step = protocol.step(cmd.step_id)
        require(state, protocol, actor, "can_manage_steps")
        if state.step(step.id).status == "pending":
            raise InvalidTransition(f"step {step.id!r} is not done or skipped")
        return [ev.StepReopened(**base, step_id=step.id, reason=_need_text(cmd.reason, "a reason"))]
    return [done, *_auto_advance(evolve(state, [done]), protocol, now, actor)]


def _role_command(
    state: IncidentState, cmd: c.AssignRole | c.UnassignRole, protocol: Protocol, now: datetime
) -> list[ev.Event]:
    role = protocol.role(cmd.role)
    holders = state.holders(role.id)
    base = _base(cmd.actor, now)
    if isinstance(cmd, c.AssignRole):
        require(state, protocol, cmd.actor, "can_assign_roles")
        if cmd.user_id in holders:
            raise InvalidTransition(f"{cmd.user_name} already holds {role.name}")
        name = _need_text(cmd.user_name, "a user name")
        return [ev.RoleAssigned(**base, role=role.id, user_id=cmd.user_id, user_name=name)]
    if cmd.user_id != cmd.actor.id:
        require(state, protocol, cmd.actor, "can_assign_roles")
    if cmd.user_id not in holders:
        raise InvalidTransition(f"user {cmd.user_id} does not hold {role.name}")
    return [
        ev.RoleUnassigned(**base, role=role.id, user_id=cmd.user_id, user_name=holders[cmd.user_id])
    ]


def _lifecycle(
    state: IncidentState, cmd: c.Command, protocol: Protocol, now: datetime
) -> list[ev.Event]:
    actor = cmd.actor
    base = _base(actor, now)
    if isinstance(cmd, c.ActivateIncident):
        require(state, protocol, actor, "can_activate")
        if state.status != "declared":
            raise InvalidTransition(f"incident {state.id} is already {state.status}")
        return [ev.IncidentActivated(**base, reason=cmd.reason.strip())]
    if isinstance(cmd, c.ChangeSeverity):
        require(state, protocol, actor, "can_change_severity")
        _check_severity(protocol, cmd.severity)
        if cmd.severity == state.severity:
            raise InvalidTransition(f"severity is already {cmd.severity!r}")
        reason = _need_text(cmd.reason, "a reason")
        return [ev.SeverityChanged(**base, old=state.severity, new=cmd.severity, reason=reason)]
    if isinstance(cmd, c.AdvanceStage):
        require(state, protocol, actor, "can_advance_stage")
        if state.stage_index >= len(protocol.stages) - 1:
            raise InvalidTransition(f"{state.current_stage!r} is the last stage")
        stage = protocol.stages[state.stage_index]
        return [
            ev.StageAdvanced(
                **base,
                from_stage=stage.id,
                to_stage=protocol.stages[state.stage_index + 1].id,
                reason=_need_text(cmd.reason, "a reason"),
                open_steps=tuple(s.id for s in stage.steps if not state.step(s.id).finished),
            )
        ]
    if isinstance(cmd, c.Conclude):
        require(state, protocol, actor, "can_conclude")
        if state.status != "active":
            raise InvalidTransition(f"only an active incident can be concluded ({state.status})")
        return [ev.IncidentConcluded(**base, summary=_need_text(cmd.summary, "a summary"))]
    assert isinstance(cmd, c.Close)
    if not actor.is_admin:
        raise NotAllowed(f"{actor.name} may not close incidents: needs incident_admin")
    return [ev.IncidentWasClosed(**base, reason=_need_text(cmd.reason, "a reason"))]


def _timeline(
    state: IncidentState, cmd: c.Command, protocol: Protocol, now: datetime
) -> list[ev.Event]:
    actor = cmd.actor
    base = _base(actor, now)
    if isinstance(cmd, c.AddNote):
        require(state, protocol, actor, "participant")
        return [ev.NoteAdded(**base, text=_need_text(cmd.text, "note text"))]
    if isinstance(cmd, c.AttachEvidence):
        if cmd.step_id is None:
            require(state, protocol, actor, "participant")
        else:
            step = protocol.step(cmd.step_id)
            require(
                state,
                protocol,
                actor,
                "can_manage_steps",
                step_role=step.role,
                action=f"attach evidence to step {step.id!r}",
            )
        value = _check_evidence(cmd.kind, cmd.value)
        return [ev.EvidenceAttached(**base, step_id=cmd.step_id, kind=cmd.kind, value=value)]
    if isinstance(cmd, c.RecordEscalation):
        require(state, protocol, actor, "can_record_timeline", platform=TIMELINE_RECORDER)
        step = protocol.step(cmd.step_id)
        if state.step(step.id).finished:
            raise InvalidTransition(f"step {step.id!r} is finished; nothing to escalate")
        for role_id in cmd.notified_roles:
            protocol.role(role_id)
        return [ev.EscalationRecorded(**base, step_id=step.id, notified_roles=cmd.notified_roles)]
    require(state, protocol, actor, "can_record_timeline", platform=TIMELINE_RECORDER)
    if isinstance(cmd, c.RecordMessage):
        if cmd.message_id in state.messages:
            raise InvalidTransition(f"message {cmd.message_id} is already recorded")
        if cmd.posted_at.tzinfo is None:
            raise InvalidTransition("posted_at must be an aware datetime")
        return [
            ev.MessageRecorded(
                **base,
                message_id=cmd.message_id,
                channel_id=cmd.channel_id,
                author_id=cmd.author_id,
                author_name=cmd.author_name,
                content=cmd.content,
                posted_at=cmd.posted_at,
                image_hashes=tuple((s, v) for s, v in cmd.image_hashes),
            )
        ]
    assert isinstance(cmd, c.RecordMessageEdited | c.RecordMessageDeleted)
    message = state.messages.get(cmd.message_id)
    if message is None:
        raise InvalidTransition(f"message {cmd.message_id} is not in the timeline")
    if message.deleted_at is not None:
        raise InvalidTransition(f"message {cmd.message_id} was deleted")
    if isinstance(cmd, c.RecordMessageEdited):
        return [
            ev.MessageEdited(
                **base, message_id=cmd.message_id, content=cmd.content, edited_at=cmd.edited_at
            )
        ]
    return [ev.MessageDeleted(**base, message_id=cmd.message_id, deleted_at=cmd.deleted_at)]


def _hashes(
    state: IncidentState, cmd: c.Command, protocol: Protocol, now: datetime
) -> list[ev.Event]:
    require(state, protocol, cmd.actor, "can_link_hashes", platform=HASH_COORDINATOR)
    base = _base(cmd.actor, now)
    if isinstance(cmd, c.LinkHashEntry):
        existing = state.linked_hashes.get(cmd.entry_id)
        if existing is not None and existing.removed_at is None:
            raise InvalidTransition(f"hash entry {cmd.entry_id} is already linked")
        return [
            ev.HashEntryLinked(
                **base,
                entry_id=_need_text(cmd.entry_id, "an entry id"),
                list_name=cmd.list_name,
                signal=cmd.signal,
                value=_need_text(cmd.value, "a hash value"),
            )
        ]
    assert isinstance(cmd, c.UnlinkHashEntry | c.RecordMatch)
    entry = state.linked_hashes.get(cmd.entry_id)
    if entry is None or entry.removed_at is not None:
        raise InvalidTransition(f"hash entry {cmd.entry_id} is not linked to incident {state.id}")
    if isinstance(cmd, c.UnlinkHashEntry):
        reason = _need_text(cmd.reason, "a reason")
        return [ev.HashEntryUnlinked(**base, entry_id=cmd.entry_id, reason=reason)]
    if cmd.count < 1:
        raise InvalidTransition("a match count must be at least 1")
    return [
        ev.MatchRecorded(
            **base, entry_id=cmd.entry_id, reported_by=cmd.reported_by, count=cmd.count
        )
    ]


def _correct(
    state: IncidentState, cmd: c.CorrectTimelineEntry, protocol: Protocol, now: datetime
) -> list[ev.Event]:
    require(state, protocol, cmd.actor, "can_correct_timeline")
    if not 1 <= cmd.entry <= state.version:
        raise InvalidTransition(
            f"incident {state.id} has no timeline entry #{cmd.entry} (entries 1-{state.version})"
        )
    if state.is_correction(cmd.entry):
        raise InvalidTransition(
            f"entry #{cmd.entry} is itself a correction; correct the original entry instead"
        )
    text = None if cmd.text is None else _need_text(cmd.text, "corrected text")
    if cmd.retract and (text is not None or cmd.time is not None):
        raise InvalidTransition("either retract an entry or correct its text or time, not both")
    if not cmd.retract and text is None and cmd.time is None:
        raise InvalidTransition("a correction needs a corrected text, a corrected time or retract")
    if cmd.time is not None and cmd.time.tzinfo is None:
        raise InvalidTransition("a corrected time must be an aware datetime")
    earlier = state.corrections.get(cmd.entry)
    return [
        ev.TimelineEntryCorrected(
            **_base(cmd.actor, now),
            entry=cmd.entry,
            reason=_need_text(cmd.reason, "a reason"),
            text=text,
            time=None if cmd.time is None else cmd.time.astimezone(UTC),
            retracted=cmd.retract,
            replaces=earlier[-1].version if earlier else None,
        )
    ]


def _check_open(state: IncidentState) -> None:
    if state.status == "closed":
        raise IncidentClosed(f"incident {state.id} is closed; its timeline is final")


_Handler = Callable[[IncidentState, Any, Protocol, datetime], list[ev.Event]]

_HANDLERS: dict[type, _Handler] = {
    c.CompleteStep: _step_command,
    c.SkipStep: _step_command,
    c.ReopenStep: _step_command,
    c.AssignRole: _role_command,
    c.UnassignRole: _role_command,
    c.ActivateIncident: _lifecycle,
    c.ChangeSeverity: _lifecycle,
    c.AdvanceStage: _lifecycle,
    c.Conclude: _lifecycle,
    c.Close: _lifecycle,
    c.AddNote: _timeline,
    c.AttachEvidence: _timeline,
    c.RecordEscalation: _timeline,
    c.RecordMessage: _timeline,
    c.RecordMessageEdited: _timeline,
    c.RecordMessageDeleted: _timeline,
    c.LinkHashEntry: _hashes,
    c.UnlinkHashEntry: _hashes,
    c.RecordMatch: _hashes,
    c.CorrectTimelineEntry: _correct,
}


def decide(
    state: IncidentState | None,
    command: c.DeclareIncident | c.Command,
    protocol: Protocol,
    now: datetime,
) -> list[ev.Event]:
    """The events that record ``command``; raise a ``ProtocolError`` to refuse it."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if isinstance(command, c.DeclareIncident):
        if state is not None:
            raise InvalidTransition(f"incident {state.id} already exists")
        return _declare(command, protocol, now)
    if state is None:
        raise InvalidTransition("declare the incident first")
    _check_open(state)
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise InvalidTransition(f"unknown command {type(command).__name__}")
    return handler(state, command, protocol, now)
