"""Property tests over random action sequences on every shipped protocol.

Properties: replaying the stored log reproduces the state built event by event; accepted commands
store exactly what ``decide`` returns; the hash chain verifies; refused commands change nothing.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from protocol_support import ADMIN, BOB, CAROL, START, VirtualClock

from protocols import (
    HASH_COORDINATOR,
    TIMELINE_RECORDER,
    ActivateIncident,
    Actor,
    AddNote,
    AdvanceStage,
    AssignRole,
    AttachEvidence,
    ChangeSeverity,
    Close,
    CompleteStep,
    Conclude,
    CorrectTimelineEntry,
    DeclareIncident,
    IncidentService,
    LinkHashEntry,
    Protocol,
    ProtocolError,
    ProtocolLibrary,
    RecordEscalation,
    RecordMatch,
    RecordMessage,
    RecordMessageDeleted,
    RecordMessageEdited,
    ReopenStep,
    SkipStep,
    UnassignRole,
    UnlinkHashEntry,
    decide,
    replay,
)
from protocols.service import open_event_store
from protocols.state import IncidentState
from protocols.state import evolve as evolve_state

LIBRARY = ProtocolLibrary()
RECORDER = Actor("bot", "crisisbot", frozenset({TIMELINE_RECORDER, HASH_COORDINATOR}))
ACTORS = st.sampled_from([ADMIN] * 5 + [BOB, CAROL, RECORDER])  # mostly allowed
USERS = st.sampled_from([(BOB.id, BOB.name), (CAROL.id, CAROL.name), ("u-dan", "Dan")])
TEXT = st.sampled_from(["ok"] * 4 + ["https://example.org/x", "", "  "])
MESSAGES = st.sampled_from(["m1", "m2"])
ENTRIES = st.sampled_from(["e1", "e2"])


@dataclass(frozen=True)
class NextStep:
    """Resolved at run time: complete the first open step of the current stage (drives progress)."""

    actor: Actor


def resolve(command: Any, state: IncidentState, protocol: Protocol) -> Any:
    if not isinstance(command, NextStep):
        return command
    stage = protocol.stages[state.stage_index]
    open_steps = [s for s in stage.steps if not state.step(s.id).finished] or [stage.steps[0]]
    step = open_steps[0]
    evidence = "https://example.org/e" if step.evidence == "link" else "seen"
    return CompleteStep(step.id, "", evidence, actor=command.actor)


def commands_for(protocol: Protocol) -> st.SearchStrategy[Any]:
    steps = st.sampled_from([s.id for _, s in protocol.steps()] + ["no-such-step"])
    roles = st.sampled_from([*protocol.roles, "no-such-role"])
    levels = st.sampled_from([s.id for s in protocol.severity_levels] + ["bogus"])
    kinds = st.sampled_from(["text", "link", "hash", "video"])
    when = st.builds(lambda m: START + timedelta(minutes=m), st.integers(-30, 600))
    a = ACTORS
    complete = st.builds(lambda s, e, x: CompleteStep(s, "", e, actor=x), steps, TEXT, a)
    next_step = st.builds(NextStep, a)
    return st.one_of(
        next_step,
        next_step,
        next_step,
        next_step,
        complete,
        complete,
        complete,
        complete,
        st.builds(lambda s, x: CompleteStep(s, actor=x), steps, a),
        st.builds(lambda s, r, x: SkipStep(s, r, actor=x), steps, TEXT, a),
        st.builds(lambda s, r, x: ReopenStep(s, r, actor=x), steps, TEXT, a),
        st.builds(lambda r, u, x: AssignRole(r, u[0], u[1], actor=x), roles, USERS, a),
        st.builds(lambda r, u, x: UnassignRole(r, u[0], actor=x), roles, USERS, a),
        st.builds(lambda x: ActivateIncident("go", actor=x), a),
        st.builds(lambda lv, r, x: ChangeSeverity(lv, r, actor=x), levels, TEXT, a),
        st.builds(lambda t, x: AddNote(t, actor=x), TEXT, a),
        st.builds(lambda r, x: AdvanceStage(r, actor=x), TEXT, a),
        st.builds(lambda t, x: Conclude(t, actor=x), TEXT, a),
        st.builds(
            lambda s, k, v, x: AttachEvidence(s, k, v, actor=x), st.none() | steps, kinds, TEXT, a
        ),
        st.builds(
            lambda m, t, x: RecordMessage(m, "c", BOB.id, BOB.name, "hi", t, actor=x),
            MESSAGES,
            when,
            a,
        ),
        st.builds(lambda m, t, x: RecordMessageEdited(m, "edited", t, actor=x), MESSAGES, when, a),
        st.builds(lambda m, t, x: RecordMessageDeleted(m, t, actor=x), MESSAGES, when, a),
        st.builds(lambda e, x: LinkHashEntry(e, "l", "pdq", "f" * 64, actor=x), ENTRIES, a),
        st.builds(lambda e, t, x: UnlinkHashEntry(e, t, actor=x), ENTRIES, TEXT, a),
        st.builds(
            lambda e, n, x: RecordMatch(e, "site", n, actor=x), ENTRIES, st.integers(0, 3), a
        ),
        st.builds(lambda s, r, x: RecordEscalation(s, (r,), actor=x), steps, roles, a),
        st.builds(
            lambda n, t, w, r, x: CorrectTimelineEntry(n, "typo", t, w, r, actor=x),
            st.integers(-1, 40),
            st.none() | TEXT,
            st.none() | when,
            st.booleans(),
            a,
        ),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, list[tuple[int, Any]]]:
    """A protocol id and timed commands; sometimes a Close followed by more (refused) commands."""
    protocol = draw(st.sampled_from(LIBRARY.all()))
    timed = st.tuples(st.integers(0, 90), commands_for(protocol))
    actions = draw(st.lists(timed, min_size=10, max_size=80))
    if draw(st.booleans()):
        close = draw(st.builds(lambda t, x: Close(t, actor=x), TEXT, ACTORS))
        actions += [(1, close), *draw(st.lists(timed, max_size=5))]
    return protocol.id, actions


async def check(protocol_id: str, actions: list[tuple[int, Any]], db: str) -> None:
    protocol = LIBRARY.get(protocol_id)
    clock = VirtualClock()
    store = await open_event_store(db)
    svc = IncidentService(store, library=LIBRARY, clock=clock)
    try:
        level = protocol.severity_levels[0].id
        state = await svc.declare(DeclareIncident(protocol.id, "p", level, ADMIN, incident_id="x"))
        accepted = refused = 0
        for minutes, command in actions:
            clock.advance(minutes=minutes)
            before = copy.deepcopy(await svc.get("x"))  # the service must not mutate it either
            command = resolve(command, before, protocol)
            try:
                stored = await svc.execute("x", command)
            except ProtocolError:
                refused += 1
                assert await svc.get("x") == before
                assert len(await svc.events("x")) == before.version
                continue
            accepted += 1
            expected = decide(before, command, protocol, clock.now)
            assert [r.event for r in stored] == expected
            state = evolve_state(state, expected)
        event(f"accepted commands: {min(accepted // 5 * 5, 20)}+")
        event(f"final status: {state.status}")
        records = await svc.events("x")
        assert replay(r.event for r in records) == state == await svc.get("x")
        assert (await svc.verify("x")).ok
        assert state.version == len(records) >= 2 + accepted
        exported = json.loads(await svc.export("x", "json"))
        assert sorted(e["version"] for e in exported["timeline"]) == [r.version for r in records]
    finally:
        await svc.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_sequences_in_memory(scenario: tuple[str, list[tuple[int, Any]]]) -> None:
    asyncio.run(check(*scenario, ":memory:"))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scenarios())
def test_random_sequences_on_sqlite(
    tmp_path: Path, scenario: tuple[str, list[tuple[int, Any]]]
) -> None:
    db = tmp_path / f"p{id(scenario)}.db"
    db.unlink(missing_ok=True)
    asyncio.run(check(*scenario, str(db)))
