"""Tabletop drills: scenario files, timed injects in virtual time, after-action reports.

Pure core (no Discord, no HTTP, no CLI). Public surface:

- scenarios: ``Scenario`` and its parts, ``load_scenario``, ``parse_scenario``,
  ``ScenarioLibrary`` (shipped ``scenarios/*.yaml`` plus ``drills.extra_dirs``);
- player actions: ``ParticipantAction``, ``ScriptedAction``, ``parse_action_line``,
  ``load_script``, ``parse_script``, ``script_to_json``;
- running: ``DrillClock`` (virtual time, speed factor, pause/resume/stop), ``DrillRunner``,
  ``create_runner`` (wired to an incident engine and an ``ExerciseHashesFactory``: the ports the
  composition root fills), ``DrillNotice`` / ``DrillSink`` (what players see; the terminal's
  sink and prompt live with the CLI, ``crisisbot.cli.drill_terminal``);
- reporting: ``AfterActionReport``, ``build_report``, ``render_report`` (md, json, html);
- errors: ``DrillError`` (a ``ProtocolError``), ``ScenarioLoadError``, ``UnknownScenario``,
  ``BadAction``.

Module map: ``offsets`` (T+mm:ss), ``located_yaml`` (positions), ``scenario`` (model),
``scenario_loader``, ``scenario_library``, ``actions``, ``synthetic_media`` (seeded pictures),
``clock``, ``ports`` (sink, incidents, the one exercise-only hash list), ``runner``,
``resume`` (a run continued from the timeline after a restart), ``run_log``,
``after_action``, ``report_render``, ``session``.
"""

from __future__ import annotations

from protocols.drills.actions import (
    ParticipantAction,
    ScriptedAction,
    load_script,
    parse_action_line,
    parse_script,
    script_to_json,
)
from protocols.drills.after_action import AfterActionReport, build_report
from protocols.drills.clock import DrillClock
from protocols.drills.errors import BadAction, DrillError, ScenarioLoadError, UnknownScenario
from protocols.drills.offsets import format_offset, parse_offset
from protocols.drills.ports import (
    DrillIncidents,
    DrillNotice,
    DrillSink,
    ExerciseHashes,
    ExerciseHashesFactory,
)
from protocols.drills.report_render import REPORT_FORMATS, render_report, report_to_dict
from protocols.drills.runner import DrillRunner
from protocols.drills.scenario import Expectation, Inject, Participant, Scenario, UploadSpec
from protocols.drills.scenario_library import ScenarioLibrary
from protocols.drills.scenario_loader import load_scenario, parse_scenario
from protocols.drills.session import create_runner

__all__ = [
    "REPORT_FORMATS",
    "AfterActionReport",
    "BadAction",
    "DrillClock",
    "DrillError",
    "DrillIncidents",
    "DrillNotice",
    "DrillRunner",
    "DrillSink",
    "ExerciseHashes",
    "ExerciseHashesFactory",
    "Expectation",
    "Inject",
    "Participant",
    "ParticipantAction",
    "Scenario",
    "ScenarioLibrary",
    "ScenarioLoadError",
    "ScriptedAction",
    "UnknownScenario",
    "UploadSpec",
    "build_report",
    "create_runner",
    "format_offset",
    "load_scenario",
    "load_script",
    "parse_action_line",
    "parse_offset",
    "parse_scenario",
    "parse_script",
    "render_report",
    "report_to_dict",
    "script_to_json",
]
