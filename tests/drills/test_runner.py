"""Drill runs in virtual time through the real incident engine and the real hash database."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest

from crisisbot.drill_hashes import exercise_hashes_over
from hashdb import DrillListViolation, open_hash_service
from protocols.drills.actions import load_script
from protocols.drills.clock import DrillClock
from protocols.drills.offsets import parse_offset
from protocols.drills.runner import DrillRunner
from protocols.drills.session import create_runner
from protocols.service import open_incident_service
from tests.drills.helpers import SCRIPTS_DIR, T0, CollectingSink, Services


def _runner(
    services: Services, scenario_id: str, script, run_id: str = "run1"
) -> tuple[DrillRunner, CollectingSink]:
    sink = CollectingSink()
    runner = create_runner(
        services.scenarios.find(scenario_id),
        library=services.library,
        incidents=services.incidents,
        exercise_hashes=exercise_hashes_over(services.hashes),
        clock=services.clock,
        sink=sink,
        script=script,
        run_id=run_id,
    )
    return runner, sink


SHIPPED = ["false-alarm", "livestream-attack", "manifesto-spread"]


def test_every_shipped_scenario_has_a_perfect_script(scenario_library) -> None:
    assert [s.id for s in scenario_library.all()] == SHIPPED
    assert sorted(p.name for p in SCRIPTS_DIR.glob("*.perfect.yaml")) == [
        f"{name}.perfect.yaml" for name in SHIPPED
    ]


@pytest.mark.parametrize("scenario_id", SHIPPED)
async def test_scripted_perfect_run_meets_every_expectation(
    services: Services, scenario_id: str
) -> None:
    script = load_script(SCRIPTS_DIR / f"{scenario_id}.perfect.yaml")
    runner, sink = _runner(services, scenario_id, script)
    report = await runner.run()
    assert [(x.id, x.status) for x in report.expectations] == [
        (x.id, "met") for x in runner.scenario.expectations
    ]
    assert sink.kinds("refused") == []
    assert report.injects_delivered == report.injects_total == len(runner.scenario.injects)
    # every upload looked up as the scenario predicts (edits that PDQ survives match, a tight
    # crop does not until its own hash is added)
    assert [(u.inject_id, u.as_expected) for u in report.uploads] == [
        (i.id, True) for i in runner.scenario.injects if i.upload is not None
    ]
    state = await runner.state()
    assert state.drill is True
    assert report.end_reason == state.status
    assert state.status in ("concluded", "closed")


async def test_injects_are_recorded_in_the_drill_timeline(services: Services) -> None:
    script = load_script(SCRIPTS_DIR / "livestream-attack.perfect.yaml")
    runner, _ = _runner(services, "livestream-attack", script)
    await runner.run()
    state = await runner.state()
    recorded = [m for m in state.messages.values() if m.content.startswith("[DRILL inject")]
    assert [m.message_id.split(":")[1] for m in recorded] == [i.id for i in runner.scenario.injects]
    # each message carries the drill time of its inject
    assert [m.posted_at - services.clock.t0 for m in recorded] == [
        i.at for i in runner.scenario.injects
    ]
    # uploads carry their hash, never bytes
    u1 = next(m for m in recorded if m.message_id.endswith(":U1"))
    assert u1.image_hashes and u1.image_hashes[0][0] == "pdq"


def _without(script, *, drop: set[str] = frozenset(), move: dict[str, str] | None = None):
    """The script with actions dropped or moved, keyed by their typed description."""
    out = []
    for item in script:
        key = item.action.describe()
        if key in drop:
            continue
        if move and key in move:
            item = replace(item, at=parse_offset(move[key]))
        out.append(item)
    return sorted(out, key=lambda a: a.at)


async def test_run_with_omissions_reports_exactly_those(services: Services) -> None:
    perfect = load_script(SCRIPTS_DIR / "livestream-attack.perfect.yaml")
    script = _without(
        perfect,
        drop={"Ben hash U4"},
        move={"Ana severity cip CIP criteria met": "T+35:00"},
    )
    runner, sink = _runner(services, "livestream-attack", script)
    report = await runner.run()
    statuses = {x.id: x.status for x in report.expectations}
    assert statuses == {
        "E1": "met",
        "E2": "late",
        "E3": "met",
        "E4": "met",
        "E5": "met",
        "E6": "missed",
        "E7": "met",
        "E8": "met",
    }
    late = next(x for x in report.expectations if x.id == "E2")
    assert (late.deadline, late.actual) == (timedelta(minutes=30), timedelta(minutes=35))
    missed = [item for item in report.never_done if item.startswith("expectation")]
    assert missed == [f"expectation E6: {runner.scenario.expectations[5].describe()}"]
    # U5 (a re-encode of the never-hashed crop) now slips through: reported, not hidden
    outcome = {u.inject_id: u.as_expected for u in report.uploads}
    assert outcome == {"U1": True, "U2": True, "U3": True, "U4": True, "U5": False}
    # the post-incident steps have no action in either script: reported as never done
    not_done = [s.step_id for s in report.steps if s.status == "not_done"]
    assert not_done == ["debrief", "transparency-post"]


async def test_drill_hashes_never_reach_real_lists(services: Services) -> None:
    hs = services.hashes
    real = await hs.create_list("gifct-shared", created_by="operator")
    await hs.add_entry(
        real.name, "md5", "0" * 31 + "1", added_by="operator", labels=("perpetrator",)
    )
    before = [e.to_dict() for e in await hs.entries(real.name, include_removed=True)]
    seq_before = (await hs.changes())[-1].seq

    script = load_script(SCRIPTS_DIR / "livestream-attack.perfect.yaml")
    runner, _ = _runner(services, "livestream-attack", script)
    report = await runner.run()

    drill_list = await hs.get_list(report.exercise_list)
    assert drill_list.exercise is True
    drill_entries = await hs.entries(drill_list.name)
    assert len(drill_entries) == 2  # U1 and the cropped U4
    drill_values = {e.value for e in drill_entries}
    # real lists: unchanged, and no drill value anywhere outside the exercise list
    assert [e.to_dict() for e in await hs.entries(real.name, include_removed=True)] == before
    for hash_list in await hs.lists(include_exercise=False):
        assert not drill_values & {e.value for e in await hs.entries(hash_list.name)}
    # the change feed: every change since the drill began is in the exercise list
    new_changes = await hs.changes(since=seq_before)
    assert {c.list_name for c in new_changes} == {drill_list.name}
    assert await hs.changes(since=seq_before, lists=[real.name]) == []
    # a lookup that leaves exercise lists out (what real consumers do) finds no drill hash
    for entry in drill_entries:
        assert not (await hs.match(entry.signal, entry.value)).matched
    # and the hash service itself refuses a drill hash in a real list
    with pytest.raises(DrillListViolation):
        await hs.add_entry(real.name, "pdq", drill_entries[0].value, added_by="x", exercise=True)
    # the incident knows the linked entries are in the exercise list
    state = await runner.state()
    assert {h.list_name for h in state.linked_hashes.values()} == {drill_list.name}


@pytest.mark.postgres
async def test_perfect_run_on_postgresql(protocol_library, scenario_library) -> None:
    """The same drill on the second backend: engine and hash database on PostgreSQL."""
    dsn = os.environ.get("CRISISBOT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"drill_{uuid.uuid4().hex[:12]}"
    clock = DrillClock(T0)
    conn = await asyncpg.connect(dsn)
    await conn.execute(f"CREATE SCHEMA {schema}")
    try:
        async with (
            open_incident_service(
                dsn, library=protocol_library, clock=clock.now, schema=schema
            ) as incidents,
            open_hash_service(dsn, clock=clock.now, schema=schema) as hashes,
        ):
            services = Services(protocol_library, scenario_library, incidents, hashes, clock, dsn)
            script = load_script(SCRIPTS_DIR / "livestream-attack.perfect.yaml")
            runner, _ = _runner(services, "livestream-attack", script, run_id="pg")
            report = await runner.run()
            assert report.summary == {"met": 8, "late": 0, "missed": 0}
            assert [hl.name for hl in await hashes.lists()] == [report.exercise_list]
    finally:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()
