"""Fixtures for drill tests: the real protocol library, incident engine and hash database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hashdb import open_hash_service
from protocols.drills.clock import DrillClock
from protocols.drills.scenario_library import ScenarioLibrary
from protocols.protocol_library import ProtocolLibrary
from protocols.service import open_incident_service
from tests.drills.helpers import T0, Services


@pytest.fixture(scope="session")
def protocol_library() -> ProtocolLibrary:
    return ProtocolLibrary()


@pytest.fixture(scope="session")
def scenario_library(protocol_library: ProtocolLibrary) -> ScenarioLibrary:
    return ScenarioLibrary(protocol_library)


@pytest.fixture
async def services(
    tmp_path: Path, protocol_library: ProtocolLibrary, scenario_library: ScenarioLibrary
) -> AsyncIterator[Services]:
    """Both services on one SQLite file, both reading the drill clock (pure virtual time)."""
    clock = DrillClock(T0, speed=None)
    db = str(tmp_path / "crisisbot.db")
    async with (
        open_incident_service(db, library=protocol_library, clock=clock.now) as incidents,
        open_hash_service(db, clock=clock.now) as hashes,
    ):
        yield Services(protocol_library, scenario_library, incidents, hashes, clock, db)
