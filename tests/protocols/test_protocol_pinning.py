"""Protocol pinning: an incident keeps running under the protocol it was declared with, even when
the file changes or disappears; the snapshot round-trips and is covered by ``verify``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from protocol_support import ADMIN, START, VirtualClock, cli_runner

from protocols import (
    CompleteStep,
    DeclareIncident,
    IncidentDeclared,
    ProtocolError,
    ProtocolLibrary,
    RoleAssigned,
    UnknownStep,
    open_incident_service,
)
from protocols.protocol_snapshot import (
    protocol_fingerprint,
    protocol_from_data,
    protocol_from_snapshot,
    protocol_snapshot,
    protocol_to_data,
)
from protocols.service import open_event_store

V1 = """\
id: mini
version: "1"
name: Mini
modelled_on: nothing official
severity_levels: [{id: high, name: High}]
roles:
  - {id: lead, name: Lead, lead: true}
  - {id: scribe, name: Scribe, can_correct_timeline: true}
stages:
  - id: one
    name: One
    steps:
      - {id: a, title: A, role: lead, target: 15m, relative_to: incident}
      - {id: b, title: B, role: scribe, depends_on: [a]}
"""
V2 = V1.replace('version: "1"', 'version: "2"').replace("target: 15m", "target: 1h") + (
    "      - {id: d, title: D, role: lead}\n"
)


def write(folder: Path, text: str) -> ProtocolLibrary:
    (folder / "mini.yaml").write_text(text, encoding="utf-8")
    return ProtocolLibrary([folder])


@pytest.mark.parametrize(
    "protocol_id", ["gifct-cip", "eu-crisis-protocol", "christchurch-call-crp"]
)
def test_every_shipped_protocol_round_trips_through_a_snapshot(
    library: ProtocolLibrary, protocol_id: str
) -> None:
    protocol = library.get(protocol_id)
    again = protocol_from_snapshot(
        protocol_snapshot(protocol), protocol_fingerprint(protocol), "test"
    )
    assert again == protocol and again.roles == protocol.roles
    assert protocol_from_data(protocol_to_data(protocol)) == protocol


def test_a_snapshot_that_does_not_match_its_fingerprint_or_shape_is_refused(
    library: ProtocolLibrary,
) -> None:
    protocol = library.get("gifct-cip")
    snapshot = protocol_snapshot(protocol)
    with pytest.raises(ProtocolError, match="does not match its fingerprint"):
        protocol_from_snapshot(
            snapshot.replace("Scribe", "Scrib"), protocol_fingerprint(protocol), "x"
        )
    data = protocol_to_data(protocol)
    data["roles"][0]["can_fly"] = True
    with pytest.raises(ProtocolError, match="snapshot cannot be read"):
        protocol_from_data(data)


def test_the_declared_event_carries_the_protocol_it_runs_under(library: ProtocolLibrary) -> None:
    from protocols import decide

    protocol = library.get("gifct-cip")
    declared, _ = decide(
        None, DeclareIncident("gifct-cip", "T", "cip", ADMIN, incident_id="i"), protocol, START
    )
    assert isinstance(declared, IncidentDeclared)
    assert declared.protocol_hash == protocol_fingerprint(protocol)
    assert json.loads(declared.protocol_snapshot)["version"] == protocol.version


async def test_an_incident_keeps_its_protocol_when_the_file_changes(tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    db = str(tmp_path / "pin.db")
    clock = VirtualClock()
    async with open_incident_service(db, library=write(folder, V1), clock=clock) as svc:
        old = await svc.declare(DeclareIncident("mini", "Old", "high", ADMIN, incident_id="old"))
        assert svc.protocol_drift(old) is None
    library_v2 = write(folder, V2)
    async with open_incident_service(db, library=library_v2, clock=clock) as svc:
        state = await svc.get("old")
        pinned = svc.protocol_for(state)
        assert (pinned.version, [s.id for _, s in pinned.steps()]) == ("1", ["a", "b"])
        # deadlines come from v1 (15 minutes), not v2 (1 hour)
        assert [d.due_at for d in svc.due(state)] == [START + timedelta(minutes=15)]
        with pytest.raises(UnknownStep, match="no step 'd'"):
            await svc.execute("old", CompleteStep("d", actor=ADMIN))
        warning = svc.protocol_drift(state)
        assert warning is not None and "keeps running under mini v1" in warning
        assert "the library now has v2" in warning
        assert "`mini` v1" in await svc.export("old", "md")
        assert (await svc.verify("old")).ok
        new = await svc.declare(DeclareIncident("mini", "New", "high", ADMIN, incident_id="new"))
        assert svc.protocol_for(new).version == "2" and svc.protocol_drift(new) is None
    (folder / "mini.yaml").unlink()
    async with open_incident_service(
        db, library=ProtocolLibrary(), clock=clock
    ) as svc:  # the protocol is gone from the library altogether
        state = await svc.get("old")
        await svc.execute("old", CompleteStep("a", actor=ADMIN))
        assert "no longer in the library" in (svc.protocol_drift(state) or "")
        assert (await svc.transparency()).incidents[0].steps_met == 1


async def test_an_incident_declared_before_snapshots_uses_the_library_and_warns(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    store = await open_event_store(str(tmp_path / "legacy.db"))
    base = {"at": START, "actor_id": ADMIN.id, "actor_name": ADMIN.name}
    legacy = IncidentDeclared(
        **base,
        incident_id="legacy",
        protocol_id="mini",
        protocol_version="1",
        title="Before pinning",
        severity="high",
        drill=False,
        first_stage="one",
    )
    lead = RoleAssigned(**base, role="lead", user_id=ADMIN.id, user_name=ADMIN.name)
    await store.append("legacy", 0, [legacy, lead], START)
    async with open_incident_service(
        "", library=write(folder, V2), clock=VirtualClock(), store=store
    ) as svc:
        state = await svc.get("legacy")
        assert svc.protocol_for(state).version == "2"
        assert "has no protocol snapshot; it now uses the library's v2" in (
            svc.protocol_drift(state) or ""
        )
        assert (await svc.verify("legacy")).ok


def test_the_cli_warns_when_the_protocol_file_changed(tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    write(folder, V1)
    config = tmp_path / "crisisbot.yaml"
    config.write_text(f"protocols:\n  extra_dirs: [{folder}]\n", encoding="utf-8")

    run = cli_runner(tmp_path, f"sqlite:///{tmp_path}/c.db", "--config", str(config))

    assert run("incident", "open", "--protocol", "mini", "--title", "T", "--severity", "high",
               "--id", "i1").returncode == 0  # fmt: skip
    quiet = run("incident", "show", "i1")
    assert quiet.returncode == 0 and quiet.stderr == ""
    write(folder, V2)
    shown = run("incident", "show", "i1", "--json")
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr.startswith("Warning: incident i1 keeps running under mini v1")
    doc = json.loads(shown.stdout)
    assert doc["protocol_version"] == "1" and doc["protocol_warning"].startswith("incident i1")
    assert [s["id"] for s in doc["steps"]] == ["a", "b"]
    refused = run("incident", "act", "i1", "complete", "d")
    assert refused.returncode == 1 and "no step 'd'" in refused.stderr
