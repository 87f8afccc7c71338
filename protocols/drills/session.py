"""Wiring one drill run to the incident engine and the hash database's exercise port.

``create_runner`` gives a :class:`DrillRunner` whose exercise hashes go to the run's own
``drill:<scenario>:<run>`` list, through the ``ExerciseHashesFactory`` it is given (the
composition root makes one over the real hash database: ``crisisbot.drill_hashes``). Adapters
(CLI, bot) receive the services and the factory and call this; tests do the same with temporary
databases. Imports only ``protocols`` modules.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocols.drills.actions import ScriptedAction
from protocols.drills.clock import DrillClock
from protocols.drills.ports import DrillIncidents, DrillSink, ExerciseHashesFactory
from protocols.drills.runner import DrillRunner, incident_id_for, new_run_id
from protocols.drills.scenario import Scenario
from protocols.protocol_library import ProtocolLibrary

__all__ = ["create_runner", "exercise_list_name"]


def exercise_list_name(scenario_id: str, run_id: str) -> str:
    """The one hash list a run may touch; exercise lists are named ``drill:...``."""
    return f"drill:{scenario_id}:{run_id}"


def create_runner(
    scenario: Scenario,
    *,
    library: ProtocolLibrary,
    incidents: DrillIncidents,
    exercise_hashes: ExerciseHashesFactory,
    clock: DrillClock,
    sink: DrillSink,
    script: Sequence[ScriptedAction] = (),
    run_id: str | None = None,
    incident_id: str | None = None,
    timer: bool = True,
) -> DrillRunner:
    """A runner for ``scenario`` (see :class:`DrillRunner` for ``incident_id`` and ``timer``)."""
    run_id = run_id or new_run_id(clock)
    hashes = exercise_hashes(
        exercise_list_name(scenario.id, run_id), incident_id=incident_id or incident_id_for(run_id)
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
