"""The incident report: one projection of (state, events, protocol) that every format renders.

Why one projection: Markdown, HTML, CSV and JSON must say the same thing; only layout differs.
Times stay aware datetimes here; renderers convert them to the reader's zone with ``Clock``.
Every stored event becomes exactly one ``TimelineEntry``. A corrected entry keeps its original
text and time and carries an ``EntryCorrection`` (the corrections folded, the latest winning);
the correcting events are entries of their own as well.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from protocols import events as ev
from protocols.definition import Protocol
from protocols.durations import format_duration
from protocols.errors import ProtocolError
from protocols.state import IncidentState, LinkedHash, Note, TimelineCorrection
from protocols.store import StoredEvent
from protocols.timers import step_due_at

__all__ = [
    "STEP_COLUMNS",
    "EntryCorrection",
    "IncidentReport",
    "Markup",
    "ReaderClock",
    "StepRow",
    "TimelineEntry",
    "build_report",
    "corrected_time",
    "correction_note",
    "describe_event",
    "fold_corrections",
    "effective_time",
    "step_outcome",
    "timeline_cells",
]


class ReaderClock:
    """Formats instants in the reader's time zone, always with the date."""

    def __init__(self, tz: str = "UTC") -> None:
        try:
            self.zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ProtocolError(f"unknown time zone {tz!r} (use e.g. UTC, Europe/Paris)") from None
        self.name = tz

    def show(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S %Z")

    def iso(self, value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(self.zone).isoformat()


def span(delta: timedelta | None) -> str:
    return "—" if delta is None else format_duration(delta)


@dataclass(frozen=True)
class EntryCorrection:
    """What the timeline shows for a corrected entry (the latest correction wins field by field).

    ``text``/``time`` are the corrected values (``None``: the original stands); ``by``, ``at``,
    ``reason`` and ``version`` describe the latest correction, ``replaces`` the earlier ones.
    """

    text: str | None
    time: datetime | None
    retracted: bool
    by: str
    at: datetime
    reason: str
    version: int
    replaces: tuple[int, ...] = ()


def fold_corrections(items: Sequence[TimelineCorrection]) -> EntryCorrection | None:
    """Fold an entry's corrections, oldest first; a later text or time correction un-retracts."""
    if not items:
        return None
    text: str | None = None
    time: datetime | None = None
    retracted = False
    for item in items:
        retracted = item.retracted
        text = item.text if item.text is not None else text
        time = item.time if item.time is not None else time
    last = items[-1]
    earlier = tuple(i.version for i in items[:-1])
    return EntryCorrection(
        text, time, retracted, last.by_name, last.at, last.reason, last.version, earlier
    )


@dataclass(frozen=True)
class TimelineEntry:
    version: int
    time: datetime  # when it happened (a message's own time for chat events), as recorded
    recorded_at: datetime
    kind: str
    actor: str
    text: str  # as recorded
    hash: str
    correction: EntryCorrection | None = None

    @property
    def shown_time(self) -> datetime:
        """The corrected time when there is one, else the recorded time (the sort key)."""
        if self.correction is not None and self.correction.time is not None:
            return self.correction.time
        return self.time


@dataclass(frozen=True)
class Markup:
    """How a format marks up a timeline cell: plain text, struck-out original, new value, note."""

    plain: Callable[[str], str]
    struck: Callable[[str], str]
    new: Callable[[str], str]
    note: Callable[[str], str]


def timeline_cells(entry: TimelineEntry, clock: ReaderClock, markup: Markup) -> tuple[str, str]:
    """The (time, what) cells of one entry; a correction keeps the original visible, struck out."""
    time, text = clock.show(entry.time), entry.text
    c = entry.correction
    if c is None:
        return markup.plain(time), markup.plain(text)
    time_cell = markup.plain(time)
    if c.time is not None:
        time_cell = f"{markup.struck(time)} {markup.new(clock.show(c.time))}"
    if c.retracted:
        text_cell = markup.struck(text)
    elif c.text is not None:
        text_cell = f"{markup.struck(text)} {markup.new(c.text)}"
    else:
        text_cell = markup.plain(text)
    return time_cell, text_cell + markup.note(correction_note(c, clock.show))


def corrected_time(
    state: IncidentState, version: int | None, recorded: datetime | None
) -> datetime | None:
    """``recorded``, unless timeline entry ``version`` had its time corrected (the latest wins):
    so step times and time to activation in reports follow what really happened."""
    if recorded is None or version is None:
        return recorded
    correction = fold_corrections(state.corrections.get(version, ()))
    if correction is None or correction.time is None:
        return recorded
    return correction.time


def correction_note(correction: EntryCorrection, show: Callable[[datetime], str]) -> str:
    """``corrected by Sam at 2026-03-15 02:40:00 UTC (#31, replaces #30): reason``."""
    what = "retracted" if correction.retracted else "corrected"
    refs = f"#{correction.version}"
    if correction.replaces:
        refs += ", replaces " + ", ".join(f"#{v}" for v in correction.replaces)
    return f"{what} by {correction.by} at {show(correction.at)} ({refs}): {correction.reason}"


#: the step table's columns, in the order every format shows them
STEP_COLUMNS = (
    "Stage",
    "Step",
    "Role",
    "Required",
    "Target",
    "Actual",
    "By",
    "Outcome",
    "Note",
    "Evidence",
)


@dataclass(frozen=True)
class StepRow:
    stage: str
    step_id: str
    title: str
    role: str
    required: bool
    status: str  # pending / done / skipped
    due_at: datetime | None
    finished_at: datetime | None
    by: str
    outcome: str  # met / late / missed / open / skipped / done
    note: str
    evidence: tuple[str, ...] = ()  # every evidence value given for the step, in order


@dataclass(frozen=True)
class IncidentReport:
    state: IncidentState
    protocol: Protocol
    roles: list[tuple[str, list[str]]]  # (role name, holder names)
    participants: list[str]
    steps: list[StepRow]
    time_to_activation: timedelta | None
    stage_times: list[tuple[str, datetime | None, timedelta | None]]  # (stage, start, since open)
    notes: list[Note]
    hashes: list[LinkedHash]
    timeline: list[TimelineEntry]
    activated_at: datetime | None = None  # as corrected on the timeline, if it was

    @property
    def title(self) -> str:
        prefix = "[DRILL] " if self.state.drill else ""
        return f"{prefix}Incident {self.state.id}: {self.state.title}"


def effective_time(event: ev.Event) -> datetime:
    """The time a timeline shows: the chat message's own time for message events."""
    if isinstance(event, ev.MessageRecorded):
        return event.posted_at
    if isinstance(event, ev.MessageEdited):
        return event.edited_at
    if isinstance(event, ev.MessageDeleted):
        return event.deleted_at
    return event.at


def describe_event(event: ev.Event, protocol: Protocol) -> str:  # noqa: C901 - one line each
    """One readable line for a timeline (exports, Discord)."""

    def step(step_id: str | None) -> str:
        if step_id is None:
            return "the incident"
        try:
            return f"step '{protocol.step(step_id).title}' ({step_id})"
        except ProtocolError:
            return f"step {step_id}"

    def role(role_id: str) -> str:
        found = protocol.roles.get(role_id)
        return found.name if found else role_id

    match event:
        case ev.IncidentDeclared():
            kind = "DRILL incident" if event.drill else "incident"
            return f"Declared {kind} '{event.title}' at severity {event.severity}"
        case ev.IncidentActivated():
            return "Activated the protocol" + (f": {event.reason}" if event.reason else "")
        case ev.RoleAssigned():
            return f"Assigned {role(event.role)} to {event.user_name}"
        case ev.RoleUnassigned():
            return f"Removed {event.user_name} from {role(event.role)}"
        case ev.StepCompleted():
            extra = f" — {event.note}" if event.note else ""
            extra += f" [evidence: {event.evidence}]" if event.evidence else ""
            return f"Completed {step(event.step_id)}{extra}"
        case ev.StepSkipped():
            return f"Skipped {step(event.step_id)}: {event.reason}"
        case ev.StepReopened():
            return f"Reopened {step(event.step_id)}: {event.reason}"
        case ev.EvidenceAttached():
            return f"Attached {event.kind} evidence to {step(event.step_id)}: {event.value}"
        case ev.SeverityChanged():
            return f"Changed severity {event.old} → {event.new}: {event.reason}"
        case ev.NoteAdded():
            return f"Note: {event.text}"
        case ev.StageAdvanced():
            how = "automatically" if event.automatic else "manually"
            left = f" (left open: {', '.join(event.open_steps)})" if event.open_steps else ""
            return f"Stage {event.from_stage} → {event.to_stage} {how}: {event.reason}{left}"
        case ev.IncidentConcluded():
            return f"Concluded: {event.summary}"
        case ev.IncidentWasClosed():
            return f"Closed: {event.reason}"
        case ev.MessageRecorded():
            images = "".join(f" [image {signal} {value}]" for signal, value in event.image_hashes)
            return f"{event.author_name}: {event.content}{images}"
        case ev.MessageEdited():
            return f"Message {event.message_id} edited to: {event.content}"
        case ev.MessageDeleted():
            return f"Message {event.message_id} deleted"
        case ev.HashEntryLinked():
            return f"Linked hash entry {event.entry_id} ({event.signal}, list {event.list_name})"
        case ev.HashEntryUnlinked():
            return f"Hash entry {event.entry_id} removed: {event.reason}"
        case ev.MatchRecorded():
            return f"{event.count} match(es) on {event.entry_id} reported by {event.reported_by}"
        case ev.EscalationRecorded():
            roles = ", ".join(role(r) for r in event.notified_roles)
            return f"Escalated overdue {step(event.step_id)} to {roles}"
        case ev.TimelineEntryCorrected():
            if event.retracted:
                change = "retracted it"
            else:
                parts = [f"time → {event.time.isoformat()}"] if event.time else []
                parts += [f"text → {event.text}"] if event.text is not None else []
                change = "; ".join(parts)
            replaces = f" (replaces correction #{event.replaces})" if event.replaces else ""
            return f"Corrected entry #{event.entry}{replaces}: {change} — {event.reason}"
    return type(event).__name__  # pragma: no cover - every event type is listed above


def step_outcome(due_at: datetime | None, status: str, at: datetime | None, as_of: datetime) -> str:
    """met / late / missed / open / skipped / done, judged at ``as_of`` for unfinished steps."""
    if status == "skipped":
        return "skipped"
    if status == "done":
        if due_at is None or at is None:
            return "done"
        return "met" if at <= due_at else "late"
    if due_at is not None and as_of > due_at:
        return "missed"
    return "open"


def as_of(state: IncidentState) -> datetime:
    """The instant an incident's open steps are judged at: its end, or its last event."""
    return state.closed_at or state.concluded_at or state.updated_at or state.opened_at


def _message_fate(state: IncidentState, event: ev.Event) -> str:
    """For a recorded chat message: whether it was edited or deleted later (those are entries of
    their own too), so a reader of the original entry is not misled."""
    if not isinstance(event, ev.MessageRecorded):
        return ""
    message = state.messages.get(event.message_id)
    if message is None:
        return ""
    fate = [f"edited {len(message.edits)}×"] if message.edits else []
    fate += ["deleted"] if message.deleted_at is not None else []
    return f" [later {', '.join(fate)}]" if fate else ""


def corrected_notes(state: IncidentState, events: Sequence[StoredEvent]) -> list[Note]:
    """The notes as the timeline shows them: a note whose entry was corrected carries the new
    wording and time, a retracted one is left out (the timeline keeps it, struck through)."""
    notes = []
    for r in events:
        if not isinstance(r.event, ev.NoteAdded):
            continue
        correction = fold_corrections(state.corrections.get(r.version, ()))
        if correction is not None and correction.retracted:
            continue
        text = r.event.text
        at = r.event.at
        if correction is not None:
            text = correction.text if correction.text is not None else text
            at = correction.time or at
        notes.append(Note(at, r.event.actor_id, r.event.actor_name, text))
    notes.sort(key=lambda n: n.at)
    return notes


def build_report(
    state: IncidentState, events: Sequence[StoredEvent], protocol: Protocol
) -> IncidentReport:
    judged = as_of(state)
    steps = []
    for index, step in protocol.steps():
        st = state.step(step.id)
        due = step_due_at(state, protocol, index, step)
        finished = corrected_time(state, st.version, st.at) if st.status != "pending" else None
        steps.append(
            StepRow(
                stage=protocol.stages[index].name,
                step_id=step.id,
                title=step.title,
                role=protocol.roles[step.role].name if step.role in protocol.roles else step.role,
                required=step.required,
                status=st.status,
                due_at=due,
                finished_at=finished,
                by=st.by_name or "" if st.status != "pending" else "",
                outcome=step_outcome(due, st.status, finished, judged),
                note=st.note or st.reason,
                evidence=tuple(value for _, value in st.evidence),
            )
        )
    roles = [
        (role.name, sorted(state.holders(role.id).values())) for role in protocol.roles.values()
    ]
    stage_times = []
    for stage in protocol.stages:
        started = state.stage_started_at.get(stage.id)
        stage_times.append(
            (stage.name, started, None if started is None else started - state.opened_at)
        )
    activated_at = corrected_time(state, state.activated_version, state.activated_at)
    activation = None if activated_at is None else activated_at - state.opened_at
    timeline = [
        TimelineEntry(
            version=r.version,
            time=effective_time(r.event),
            recorded_at=r.recorded_at,
            kind=r.event_type,
            actor=r.event.actor_name,
            text=describe_event(r.event, protocol) + _message_fate(state, r.event),
            hash=r.hash,
            correction=fold_corrections(state.corrections.get(r.version, ())),
        )
        for r in events
    ]
    timeline.sort(key=lambda e: (e.shown_time, e.version))
    return IncidentReport(
        state=state,
        protocol=protocol,
        roles=roles,
        participants=sorted(set(state.participants.values())),
        steps=steps,
        time_to_activation=activation,
        activated_at=activated_at,
        stage_times=stage_times,
        notes=corrected_notes(state, events),
        hashes=list(state.linked_hashes.values()),
        timeline=timeline,
    )
