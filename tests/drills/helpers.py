"""Shared pieces of the drill tests: the drill T0, the shipped scripts, a collecting sink."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from hashdb import HashService
from protocols.drills.clock import DrillClock
from protocols.drills.ports import DrillNotice
from protocols.drills.scenario_library import SHIPPED_SCENARIOS_DIR, ScenarioLibrary
from protocols.protocol_library import ProtocolLibrary
from protocols.service import IncidentService

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
