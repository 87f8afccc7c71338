"""Deadlines and escalations in virtual time."""

from __future__ import annotations

from datetime import timedelta

from protocol_support import ADMIN, START, VirtualClock

from protocols import (
    TIMELINE_RECORDER,
    Actor,
    AdvanceStage,
    AssignRole,
    Close,
    CompleteStep,
    DeclareIncident,
    IncidentService,
    MemoryEventStore,
    ProtocolLibrary,
    RecordEscalation,
)

TIMER = Actor("timer", "deadline timer", frozenset({TIMELINE_RECORDER}))


async def _service(library: ProtocolLibrary) -> tuple[IncidentService, VirtualClock]:
    clock = VirtualClock()
    svc = IncidentService(MemoryEventStore(), library=library, clock=clock)
    await svc.declare(DeclareIncident("gifct-cip", "t", "cip", ADMIN, incident_id="d1"))
    return svc, clock


async def test_due_overdue_and_escalation_fire_once(library: ProtocolLibrary) -> None:
    svc, clock = await _service(library)
    await svc.execute("d1", AssignRole("lead", "u-bob", "Bob", actor=ADMIN))
    state = await svc.get("d1")
    first = svc.due(state)[0]
    assert (first.step_id, first.due_at, first.overdue) == (
        "situational-awareness",
        START + timedelta(minutes=30),
        False,
    )
    assert first.holders == ("Alice Admin", "Bob")
    # steps of stages that have not started are never due
    assert {d.stage_id for d in svc.due(state)} == {"awareness"}
    assert svc.next_deadline(state) == START + timedelta(minutes=30)

    later = START + timedelta(minutes=46)
    first = svc.due(state, later)[0]
    assert (
        first.overdue and first.escalation_due and first.notify_roles == ("lead", "communications")
    )
    clock.now = later
    await svc.execute("d1", RecordEscalation(first.step_id, first.notify_roles, actor=TIMER))
    state = await svc.get("d1")
    assert not svc.due(state, later + timedelta(minutes=5))[0].escalation_due


async def test_stage_relative_targets_start_with_the_stage(library: ProtocolLibrary) -> None:
    svc, clock = await _service(library)
    clock.advance(hours=3)
    await svc.execute("d1", AdvanceStage("criteria obvious", actor=ADMIN))
    state = await svc.get("d1")
    alert = next(d for d in svc.due(state) if d.step_id == "alert-members")
    assert alert.due_at == clock.now + timedelta(minutes=15)
    await svc.execute("d1", CompleteStep("alert-members", actor=ADMIN))
    state = await svc.get("d1")
    assert "alert-members" not in {d.step_id for d in svc.due(state)}


async def test_closed_incidents_have_no_deadlines(library: ProtocolLibrary) -> None:
    svc, clock = await _service(library)
    await svc.execute("d1", Close("false alarm", actor=ADMIN))
    state = await svc.get("d1")
    assert svc.due(state, START + timedelta(days=3)) == []
    assert svc.next_deadline(state) is None
