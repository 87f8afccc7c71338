"""The after-action report: what was expected, what happened, and when, for one drill run.

Built from three inputs only: the scenario, the incident's event log (what responders did, as the
engine recorded it) and the drill's run log (what the exercise did). So a report can be rebuilt
from a stored incident at any time, and two runs of the same scenario produce reports with the
same rows in the same order (expectations in scenario order, steps in protocol order, uploads in
inject order), which is what makes them comparable.

Statuses: an expectation is ``met`` (on or before its deadline), ``late`` (after it, before the
drill ended) or ``missed`` (never, or violated for ``no_hash_added``); a step is ``on_time``,
``late``, ``done`` (no target), ``skipped`` or ``not_done``.

Imports only ``protocols`` modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from protocols import events as ev
from protocols.definition import Protocol
from protocols.drills.offsets import format_offset
from protocols.drills.run_log import (
    ActionTaken,
    DrillLogEntry,
    HashAdded,
    InjectDelivered,
    UploadChecked,
)
from protocols.drills.scenario import Expectation, ExpectationKind, Scenario

__all__ = [
    "AfterActionReport",
    "ExpectationResult",
    "StepResult",
    "UploadResult",
    "build_report",
    "evaluate_expectations",
]


@dataclass(frozen=True)
class ExpectationResult:
    id: str
    description: str
    kind: str
    status: str  # met | late | missed
    deadline: timedelta | None
    actual: timedelta | None
    detail: str = ""


@dataclass(frozen=True)
class StepResult:
    stage_id: str
    step_id: str
    title: str
    role: str
    required: bool
    target: timedelta | None  # since T0, when the protocol gives one and its stage started
    completed: timedelta | None
    by: str
    status: str  # on_time | late | done | skipped | not_done
    note: str = ""


@dataclass(frozen=True)
class UploadResult:
    inject_id: str
    at: timedelta
    platform: str
    expected: str | None
    matched: bool
    distance: int | None
    hash_added: timedelta | None

    @property
    def as_expected(self) -> bool | None:
        if self.expected is None:
            return None
        return self.matched == (self.expected == "match")


@dataclass(frozen=True)
class AfterActionReport:
    run_id: str
    scenario_id: str
    scenario_version: int
    scenario_title: str
    protocol_id: str
    protocol_version: str
    incident_id: str
    exercise_list: str
    t0: datetime
    ended: timedelta
    end_reason: str  # completed | concluded | stopped
    speed: float | None
    time_to_activation: timedelta | None
    expectations: tuple[ExpectationResult, ...]
    steps: tuple[StepResult, ...]
    uploads: tuple[UploadResult, ...]
    never_done: tuple[str, ...]
    refused_actions: tuple[tuple[timedelta, str, str], ...]  # (at, action, reason)
    injects_delivered: int
    injects_total: int
    drill: bool = field(default=True, init=False)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"met": 0, "late": 0, "missed": 0}
        for result in self.expectations:
            counts[result.status] += 1
        return counts


#: Maps an event's time to drill time since T0 (``at - t0`` when the engine ran on drill time).
Since = Callable[[datetime], timedelta]


def _first(
    events: Iterable[ev.Event],
    kind: type[ev.Event] | tuple[type[ev.Event], ...],
    **match: object,
) -> ev.Event | None:
    for event in events:
        if isinstance(event, kind) and all(getattr(event, k) == v for k, v in match.items()):
            return event
    return None


def _declared(events: Sequence[ev.Event]) -> ev.IncidentDeclared:
    first = events[0] if events else None
    if not isinstance(first, ev.IncidentDeclared):
        raise ValueError("the incident log does not start with IncidentDeclared")
    return first


def _judge(
    expectation: Expectation,
    deadline: timedelta | None,
    actual: timedelta | None,
    ended: timedelta,
    detail: str = "",
) -> ExpectationResult:
    if actual is None:
        status = "missed"
        detail = detail or f"not done by the end of the drill ({format_offset(ended)})"
    elif deadline is not None and actual > deadline:
        status = "late"
    else:
        status = "met"
    return ExpectationResult(
        id=expectation.id,
        description=expectation.describe(),
        kind=expectation.kind.value,
        status=status,
        deadline=deadline,
        actual=actual,
        detail=detail,
    )


def evaluate_expectations(
    scenario: Scenario,
    events: Sequence[ev.Event],
    log: Sequence[DrillLogEntry],
    since: Since,
    ended: timedelta,
) -> tuple[ExpectationResult, ...]:
    """Judge every expectation of ``scenario`` against the incident events and the run log."""
    declared = _declared(events)
    delivered = {e.inject_id: e.at for e in log if isinstance(e, InjectDelivered)}
    hashes = [e for e in log if isinstance(e, HashAdded)]
    results = []
    for x in scenario.expectations:
        deadline = x.deadline
        actual: timedelta | None = None
        detail = ""
        if x.kind is ExpectationKind.STEP_COMPLETED:
            found = _first(events, ev.StepCompleted, step_id=x.target)
        elif x.kind is ExpectationKind.ROLE_ASSIGNED:
            found = _first(events, ev.RoleAssigned, role=x.target)
        elif x.kind is ExpectationKind.SEVERITY_SET:
            found = (
                declared
                if declared.severity == x.target
                else _first(events, ev.SeverityChanged, new=x.target)
            )
        elif x.kind is ExpectationKind.STAGE_REACHED:
            found = (
                declared
                if declared.first_stage == x.target
                else _first(events, ev.StageAdvanced, to_stage=x.target)
            )
        elif x.kind is ExpectationKind.ACTIVATED:
            found = _first(events, ev.IncidentActivated)
        elif x.kind is ExpectationKind.CONCLUDED:
            found = _first(events, ev.IncidentConcluded)
        elif x.kind is ExpectationKind.STOOD_DOWN:
            found = _first(events, (ev.IncidentConcluded, ev.IncidentWasClosed))
        elif x.kind is ExpectationKind.HASH_ADDED:
            found = None
            added = [h for h in hashes if x.target is None or h.upload_id == x.target]
            actual = added[0].at if added else None
            if x.within is not None and x.target is not None:
                if x.target not in delivered:
                    results.append(
                        _judge(x, None, None, ended, f"upload {x.target} was never injected")
                    )
                    continue
                deadline = delivered[x.target] + x.within
            results.append(_judge(x, deadline, actual, ended))
            continue
        else:  # NO_HASH_ADDED: met unless a hash was added; the first one is the violation
            violation = hashes[0] if hashes else None
            results.append(
                ExpectationResult(
                    id=x.id,
                    description=x.describe(),
                    kind=x.kind.value,
                    status="missed" if violation else "met",
                    deadline=None,
                    actual=violation.at if violation else None,
                    detail=(
                        f"{violation.by} added the hash of {violation.upload_id}"
                        if violation
                        else ""
                    ),
                )
            )
            continue
        if found is not None:
            actual = since(found.at)
        results.append(_judge(x, deadline, actual, ended, detail))
    return tuple(results)


def _stage_starts(events: Sequence[ev.Event], since: Since) -> dict[str, timedelta]:
    declared = _declared(events)
    starts = {declared.first_stage: since(declared.at)}
    for event in events:
        if isinstance(event, ev.StageAdvanced):
            starts.setdefault(event.to_stage, since(event.at))
    return starts


def _step_results(
    protocol: Protocol, events: Sequence[ev.Event], since: Since
) -> tuple[StepResult, ...]:
    declared = _declared(events)
    opened = since(declared.at)
    starts = _stage_starts(events, since)
    final: dict[str, ev.Event] = {}  # the event that decided each step's final status
    first_done: dict[str, ev.StepCompleted] = {}
    for event in events:
        if isinstance(event, (ev.StepCompleted, ev.StepSkipped, ev.StepReopened)):
            final[event.step_id] = event
        if isinstance(event, ev.StepCompleted):
            first_done.setdefault(event.step_id, event)
    out = []
    for index, step in protocol.steps():
        stage = protocol.stages[index]
        base = opened if step.relative_to == "incident" else starts.get(stage.id)
        target = base + step.target if base is not None and step.target is not None else None
        last = final.get(step.id)
        completed: timedelta | None = None
        by, note = "", ""
        if isinstance(last, ev.StepCompleted):
            done = first_done[step.id]
            completed, by, note = since(done.at), done.actor_name, done.note
            status = "done" if target is None else ("on_time" if completed <= target else "late")
        elif isinstance(last, ev.StepSkipped):
            completed, by, note = since(last.at), last.actor_name, last.reason
            status = "skipped"
        else:
            status = "not_done"
        out.append(
            StepResult(
                stage_id=stage.id,
                step_id=step.id,
                title=step.title,
                role=step.role,
                required=step.required,
                target=target,
                completed=completed,
                by=by,
                status=status,
                note=note,
            )
        )
    return tuple(out)


def _upload_results(scenario: Scenario, log: Sequence[DrillLogEntry]) -> tuple[UploadResult, ...]:
    checks = {e.inject_id: e for e in log if isinstance(e, UploadChecked)}
    added: dict[str, timedelta] = {}
    for entry in log:
        if isinstance(entry, HashAdded):
            added.setdefault(entry.upload_id, entry.at)
    out = []
    for inject in scenario.injects:
        check = checks.get(inject.id)
        if inject.upload is None or check is None:
            continue
        out.append(
            UploadResult(
                inject_id=inject.id,
                at=check.at,
                platform=inject.upload.platform,
                expected=check.expected,
                matched=check.matched,
                distance=check.distance,
                hash_added=added.get(inject.id),
            )
        )
    return tuple(out)


def build_report(
    *,
    scenario: Scenario,
    protocol: Protocol,
    events: Sequence[ev.Event],
    log: Sequence[DrillLogEntry],
    run_id: str,
    exercise_list: str,
    t0: datetime,
    ended: timedelta,
    end_reason: str,
    speed: float | None,
    since: Since | None = None,
) -> AfterActionReport:
    """Assemble the after-action report of one run (pure: same inputs, same report).

    ``since`` maps event times to drill time; by default ``at - t0`` (the engine ran on the drill
    clock). A drill driven through Discord passes the drill clock's mapping from wall time.
    """
    if since is None:
        since = lambda at: at - t0  # noqa: E731
    declared = _declared(events)
    expectations = evaluate_expectations(scenario, events, log, since, ended)
    steps = _step_results(protocol, events, since)
    activated = _first(events, ev.IncidentActivated)
    never_done = tuple(
        [f"step {s.step_id} ({s.title})" for s in steps if s.status == "not_done" and s.required]
        + [f"expectation {x.id}: {x.description}" for x in expectations if x.status == "missed"]
    )
    refused = tuple(
        (e.at, e.action.describe(), e.message)
        for e in log
        if isinstance(e, ActionTaken) and not e.accepted
    )
    return AfterActionReport(
        run_id=run_id,
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        scenario_title=scenario.title,
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        incident_id=declared.incident_id,
        exercise_list=exercise_list,
        t0=t0,
        ended=ended,
        end_reason=end_reason,
        speed=speed,
        time_to_activation=since(activated.at) if activated else None,
        expectations=expectations,
        steps=steps,
        uploads=_upload_results(scenario, log),
        never_done=never_done,
        refused_actions=refused,
        injects_delivered=sum(1 for e in log if isinstance(e, InjectDelivered)),
        injects_total=len(scenario.injects),
    )
