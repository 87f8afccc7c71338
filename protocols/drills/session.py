"""Wiring one drill run to the real engine and hash database (the drill's composition helper).

``create_runner`` gives a :class:`DrillRunner` whose exercise hashes go to the run's own
``drill:<scenario>:<run>`` list through :class:`HashServiceExercise`. Adapters (CLI, bot) open the
incident and hash services and call this; tests do the same with temporary databases.
"""

from __future__ import annotations

from collections.abc import Sequence

from hashdb import HashService
from protocols.drills.actions import ScriptedAction
from protocols.drills.clock import DrillClock
from protocols.drills.exercise_hashes import HashServiceExercise, exercise_list_name
from protocols.drills.ports import DrillSink
from protocols.drills.runner import DrillRunner, incident_id_for, new_run_id
from protocols.drills.scenario import Scenario
from protocols.protocol_library import ProtocolLibrary
from protocols.service import IncidentService

__all__ = ["create_runner"]


def create_runner(
    scenario: Scenario,
    *,
    library: ProtocolLibrary,
    incidents: IncidentService,
    hash_service: HashService,
    clock: DrillClock,
    sink: DrillSink,
    script: Sequence[ScriptedAction] = (),
    run_id: str | None = None,
    incident_id: str | None = None,
    timer: bool = True,
) -> DrillRunner:
    """A runner for ``scenario`` (see :class:`DrillRunner` for ``incident_id`` and ``timer``)."""
    run_id = run_id or new_run_id(clock)
    hashes = HashServiceExercise(
        hash_service,
        exercise_list_name(scenario.id, run_id),
        incident_id=incident_id or incident_id_for(run_id),
    )
    return DrillRunner(
        scenario,
        protocol=library.get(scenario.protocol),
        incidents=incidents,
        hashes=hashes,
        clock=clock,
        sink=sink,
        script=script,
        run_id=run_id,
        incident_id=incident_id,
        timer=timer,
    )
