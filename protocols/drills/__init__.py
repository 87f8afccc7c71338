"""Tabletop drills: scenario files, timed injects in virtual time, after-action reports.

Pure core (no Discord, no HTTP, no CLI). Public surface:

- scenarios: ``Scenario`` and its parts, ``load_scenario``, ``parse_scenario``,
  ``ScenarioLibrary`` (shipped ``scenarios/*.yaml`` plus ``drills.extra_dirs``);
- player actions: ``ParticipantAction``, ``ScriptedAction``, ``parse_action_line``,
  ``load_script``, ``parse_script``, ``script_to_json``;
- running: ``DrillClock`` (virtual time, speed factor, pause/resume/stop), ``DrillRunner``,
  ``create_runner`` (wired to the real incident and hash services), ``DrillNotice`` /
  ``DrillSink`` (what players see), ``TerminalSink`` and ``handle_line`` (the terminal prompt);
- reporting: ``AfterActionReport``, ``build_report``, ``render_report`` (md, json, html);
- errors: ``DrillError`` (a ``ProtocolError``), ``ScenarioLoadError``, ``UnknownScenario``,
  ``BadAction``.

Module map: ``offsets`` (T+mm:ss), ``located_yaml`` (positions), ``scenario`` (model),
``scenario_loader``, ``scenario_library``, ``actions``, ``synthetic_media`` (seeded pictures),
``clock``, ``ports``, ``exercise_hashes`` (the one exercise-only list), ``runner``,
``resume`` (a run continued from the timeline after a restart), ``run_log``,
``after_action``, ``report_render``, ``terminal``, ``session``.
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
from protocols.drills.ports import DrillNotice, DrillSink
from protocols.drills.report_render import REPORT_FORMATS, render_report, report_to_dict
from protocols.drills.runner import DrillRunner
from protocols.drills.scenario import Expectation, Inject, Participant, Scenario, UploadSpec
from protocols.drills.scenario_library import ScenarioLibrary
from protocols.drills.scenario_loader import load_scenario, parse_scenario
from protocols.drills.session import create_runner
from protocols.drills.terminal import TerminalSink, handle_line

__all__ = [
    "REPORT_FORMATS",
    "AfterActionReport",
    "BadAction",
    "DrillClock",
    "DrillError",
    "DrillNotice",
    "DrillRunner",
    "DrillSink",
    "Expectation",
    "Inject",
    "Participant",
    "ParticipantAction",
    "Scenario",
    "ScenarioLibrary",
    "ScenarioLoadError",
    "ScriptedAction",
    "TerminalSink",
    "UnknownScenario",
    "UploadSpec",
    "build_report",
    "create_runner",
    "format_offset",
    "handle_line",
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
