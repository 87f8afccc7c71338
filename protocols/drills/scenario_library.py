"""The scenario library: the shipped scenarios (``protocols/drills/scenarios/``) plus extra folders.

Like the protocol library, it is built once by the composition root (with ``drills.extra_dirs``)
and passed in; every scenario is validated against the protocol library when loaded, and a
scenario id may not be defined twice. ``find`` also accepts a path to a scenario file, so a
planner can run a draft without installing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from protocols.drills.errors import ScenarioLoadError, UnknownScenario
from protocols.drills.located_yaml import Issue
from protocols.drills.scenario import Scenario
from protocols.drills.scenario_loader import ProtocolSource, load_scenario

__all__ = ["SHIPPED_SCENARIOS_DIR", "ScenarioLibrary", "scenario_files"]

SHIPPED_SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"


def scenario_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


class ScenarioLibrary:
    def __init__(
        self,
        protocols: ProtocolSource,
        extra_dirs: Iterable[str | Path] = (),
        *,
        include_shipped: bool = True,
    ) -> None:
        self.protocols = protocols
        self._scenarios: dict[str, Scenario] = {}
        folders = [SHIPPED_SCENARIOS_DIR] if include_shipped else []
        folders.extend(Path(d) for d in extra_dirs)
        for folder in folders:
            if not folder.is_dir():
                raise ScenarioLoadError(
                    [Issue(str(folder), 1, 1, "scenario folder does not exist")]
                )
            for path in scenario_files(folder):
                self.add(load_scenario(path, protocols=protocols))

    def add(self, scenario: Scenario) -> None:
        existing = self._scenarios.get(scenario.id)
        if existing is not None:
            raise ScenarioLoadError(
                [
                    Issue(
                        scenario.source or scenario.id,
                        1,
                        1,
                        f"scenario id {scenario.id!r} is already defined in {existing.source}",
                    )
                ]
            )
        self._scenarios[scenario.id] = scenario

    def all(self) -> list[Scenario]:
        return sorted(self._scenarios.values(), key=lambda s: s.id)

    def find(self, id_or_path: str) -> Scenario:
        """A scenario by id, or loaded (and validated) from a file path."""
        if id_or_path in self._scenarios:
            return self._scenarios[id_or_path]
        path = Path(id_or_path)
        if path.suffix in (".yaml", ".yml") or path.exists():
            return load_scenario(path, protocols=self.protocols)
        known = ", ".join(self._scenarios) or "none"
        raise UnknownScenario(f"no scenario {id_or_path!r} (known: {known}; or give a file path)")
