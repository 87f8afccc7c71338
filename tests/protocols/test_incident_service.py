"""The service: ids, listing, unknown incidents, duplicate declarations, the global feed."""

from __future__ import annotations

from pathlib import Path

import pytest
from protocol_support import ADMIN, VirtualClock

from protocols import (
    AddNote,
    Close,
    DeclareIncident,
    InvalidTransition,
    ProtocolLibrary,
    UnknownIncident,
    UnknownProtocol,
    open_incident_service,
)


async def test_several_incidents_listing_and_feed(tmp_path: Path, library: ProtocolLibrary) -> None:
    clock = VirtualClock()
    async with open_incident_service(str(tmp_path / "s.db"), library=library, clock=clock) as svc:
        real = await svc.declare(DeclareIncident("gifct-cip", "Real", "cip", ADMIN))
        drill = await svc.declare(
            DeclareIncident("christchurch-call-crp", "Drill", "crisis-response", ADMIN, drill=True)
        )
        assert real.id.startswith("inc-20260315-") and drill.id.startswith("drill-20260315-")
        await svc.execute(real.id, Close("done", actor=ADMIN))
        assert [s.id for s in await svc.list()] == [real.id, drill.id]
        assert [s.id for s in await svc.list(open_only=True)] == [drill.id]
        assert [s.id for s in await svc.list(include_drills=False)] == [real.id]
        feed = await svc.feed()
        assert [r.incident_id for r in feed] == [real.id] * 2 + [drill.id] * 2 + [real.id]
        assert await svc.feed(after_position=feed[-1].position) == []
    # a second open of the same file sees everything (durability)
    async with open_incident_service(str(tmp_path / "s.db"), library=library, clock=clock) as svc:
        assert (await svc.get(real.id)).status == "closed"


async def test_unknown_and_duplicate_ids_are_refused(library: ProtocolLibrary) -> None:
    async with open_incident_service(":memory:", library=library, clock=VirtualClock()) as svc:
        with pytest.raises(UnknownIncident, match="no incident 'nope'"):
            await svc.execute("nope", AddNote("x", actor=ADMIN))
        with pytest.raises(UnknownIncident):
            await svc.verify("nope")
        with pytest.raises(UnknownProtocol, match="no protocol 'x'"):
            await svc.declare(DeclareIncident("x", "t", "cip", ADMIN))
        await svc.declare(DeclareIncident("gifct-cip", "t", "cip", ADMIN, incident_id="same"))
        with pytest.raises(InvalidTransition, match="already exists"):
            await svc.declare(DeclareIncident("gifct-cip", "t", "cip", ADMIN, incident_id="same"))
        assert len(await svc.events("same")) == 2


async def test_states_handed_out_never_change_and_other_writers_are_seen(
    tmp_path: Path, library: ProtocolLibrary
) -> None:
    db = str(tmp_path / "cow.db")
    clock = VirtualClock()
    async with (
        open_incident_service(db, library=library, clock=clock) as one,
        open_incident_service(db, library=library, clock=clock) as two,
    ):
        await one.declare(DeclareIncident("gifct-cip", "t", "cip", ADMIN, incident_id="c"))
        seen = await one.get("c")
        await one.execute("c", AddNote("first", actor=ADMIN))
        assert seen.version == 2 and seen.notes == []
        await two.execute("c", AddNote("second", actor=ADMIN))  # another process writes
        assert [n.text for n in (await one.get("c")).notes] == ["first", "second"]
        await one.execute("c", AddNote("third", actor=ADMIN))
        assert [n.text for n in (await two.get("c")).notes] == ["first", "second", "third"]
        assert (await one.verify("c")).ok
