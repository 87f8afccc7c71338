"""Fixtures for drill tests: the real protocol library, incident engine and hash database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hashdb import HashService, open_hash_service
from protocols.drills.clock import DrillClock
from protocols.drills.ports import DrillNotice
from protocols.drills.scenario_library import SHIPPED_SCENARIOS_DIR, ScenarioLibrary
from protocols.protocol_library import ProtocolLibrary
from protocols.service import IncidentService, open_incident_service

T0 = datetime(2026, 3, 15, 1, 40, tzinfo=UTC)
SCRIPTS_DIR = SHIPPED_SCENARIOS_DIR / "scripts"


@dataclass
class CollectingSink:
    notices: list[DrillNotice] = field(default_factory=list)

    async def show(self, notice: DrillNotice) -> None:
        self.notices.append(notice)

    def kinds(self, kind: str) -> list[DrillNotice]:
        return [n for n in self.notices if n.kind == kind]


@dataclass
class Services:
    library: ProtocolLibrary
    scenarios: ScenarioLibrary
    incidents: IncidentService
    hashes: HashService
    clock: DrillClock
    db: str


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
