"""Scenario and script validation: every problem reported with file, line and column."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from protocols.drills.actions import parse_action_line, parse_script
from protocols.drills.errors import BadAction, ScenarioLoadError
from protocols.drills.offsets import format_offset, parse_duration, parse_offset
from protocols.drills.scenario import ExpectationKind, InjectKind, MatchExpectation
from protocols.drills.scenario_library import SHIPPED_SCENARIOS_DIR, ScenarioLibrary, scenario_files
from protocols.drills.scenario_loader import load_scenario, parse_scenario
from protocols.errors import ProtocolError, ProtocolLoadError

GOOD = """\
id: mini
title: Minimal drill
protocol: gifct-cip
severity: incident
duration: 2h
participants:
  Ana: lead
  Ben: [hash-coordinator, scribe]
injects:
  - id: I1
    at: T+00:00
    message: Something happened
  - id: U1
    at: T+05:00
    upload: {platform: a.example, seed: 7}
  - id: U2
    at: T+1h02m
    upload: {platform: b.example, variant_of: U1, edits: [mirror, {crop: 0.01}], expect: match}
  - id: S1
    at: T+10:00
    severity: cip
expectations:
  - {id: E1, step_completed: assess-criteria, by: T+20m}
  - {id: E2, hash_added: U1, within: 10m}
  - {id: E3, no_hash_added: true}
"""


def _errors(text: str, protocols) -> list[tuple[int, int, str]]:
    with pytest.raises(ScenarioLoadError) as info:
        parse_scenario(text, "s.yaml", protocols=protocols)
    return [(i.line, i.column, i.message) for i in info.value.issues]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T+05:00", timedelta(minutes=5)),
        ("T+1h02m", timedelta(hours=1, minutes=2)),
        ("T+20m", timedelta(minutes=20)),
        ("T+1:02:03", timedelta(hours=1, minutes=2, seconds=3)),
        ("T+0", timedelta(0)),
        ("T+90s", timedelta(seconds=90)),
    ],
)
def test_offsets(text: str, expected: timedelta) -> None:
    assert parse_offset(text) == expected
    assert parse_offset(format_offset(expected)) == expected


@pytest.mark.parametrize("text", ["05:00", "T+", "T+5", "T+05:60", "T+xm", "T-05:00", "T+1:60:00"])
def test_bad_offsets(text: str) -> None:
    with pytest.raises(ValueError, match="offset|below 60"):
        parse_offset(text)


def test_durations_share_the_protocol_grammar() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("10:00") == timedelta(minutes=10)
    with pytest.raises(ValueError):
        parse_duration("10")


def test_good_scenario_loads(protocol_library) -> None:
    s = parse_scenario(GOOD, "s.yaml", protocols=protocol_library)
    assert (s.id, s.version, s.protocol, s.severity) == ("mini", 1, "gifct-cip", "incident")
    assert [p.roles for p in s.participants] == [("lead",), ("hash-coordinator", "scribe")]
    # injects come out in time order; ties keep the file's order
    assert [i.id for i in s.injects] == ["I1", "U1", "S1", "U2"]
    assert s.inject("U2").upload.expect is MatchExpectation.MATCH
    assert [e.kind for e in s.inject("U2").upload.edits] == ["mirror", "crop"]
    assert s.inject("S1").kind is InjectKind.SEVERITY
    assert [x.kind for x in s.expectations] == [
        ExpectationKind.STEP_COMPLETED,
        ExpectationKind.HASH_ADDED,
        ExpectationKind.NO_HASH_ADDED,
    ]


def test_deep_nesting_is_a_located_error_in_scenarios_and_scripts(protocol_library) -> None:
    """Once a RecursionError from PyYAML's composer (5,000 levels)."""
    deep = "[" * 5000 + "]" * 5000
    text = GOOD.replace("title: Minimal drill", f"title: {deep}")
    # the document's mapping is the first level, "title: " takes 7 columns: the 100th list
    assert _errors(text, protocol_library) == [
        (2, 7 + 100, "invalid YAML: nested more than 100 levels deep")
    ]
    with pytest.raises(ScenarioLoadError, match=r"^a.yaml:1:\d+: invalid YAML: nested more"):
        parse_script(f"- {deep}\n", "a.yaml")


def test_error_is_a_protocol_load_error_with_position(protocol_library) -> None:
    with pytest.raises(ProtocolLoadError) as info:
        parse_scenario(
            GOOD.replace("protocol: gifct-cip", "protocol: nope"),
            "s.yaml",
            protocols=protocol_library,
        )
    assert isinstance(info.value, ProtocolError)
    assert (info.value.path, info.value.line, info.value.column) == ("s.yaml", 3, 11)
    assert str(info.value) == "s.yaml:3:11: protocol: unknown protocol 'nope'"


def _position(text: str, marker: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of ``marker`` in ``text``."""
    offset = text.index(marker)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# (replace this, with that, the error points at this part of it, and says this)
@pytest.mark.parametrize(
    ("old", "new", "marker", "needle"),
    [
        ("  Ana: lead", "  Ana: chief", "chief", "has no role 'chief'"),
        ("step_completed: assess-criteria", "step_completed: nap", "nap", "has no step 'nap'"),
        ("severity: cip", "severity: mega", "mega", "has no severity 'mega'"),
        ("severity: incident", "severity: huge", "huge", "has no severity 'huge'"),
        ("at: T+05:00", "at: 5 minutes", "5 minutes", "offset"),
        ("  - id: U2", "  - id: U1  # again", "U1  #", "duplicate id 'U1' (first on line 13)"),
        ("duration: 2h", "duratoin: 2h", "duratoin", "unknown key 'duratoin'"),
        ("at: T+1h02m", "at: T+3h", "T+3h", "after the drill ends"),
        ("variant_of: U1", "variant_of: U9", "U9", "no earlier upload inject 'U9'"),
        ("{crop: 0.01}", "{crop: 0.9}", "{crop: 0.9}", "outside"),
        ("[mirror,", "[blur,", "blur", "unknown edit 'blur'"),
        ("hash_added: U1", "hash_added: U7", "U7", "no upload inject 'U7'"),
        ("within: 10m", "within: soon", "soon", "duration"),
        ("no_hash_added: true}", "no_hash_added: true, by: T+5m}", "T+5m", "not used by"),
        ("protocol: gifct-cip", "protocol: eu-crisis-protocol", "Ana: lead"[5:], "no role"),
        (
            "    message: Something happened",
            "    message: x\n    report: {platform: p, text: t}",
            "id: I1",
            "exactly one of",
        ),
    ],
)
def test_bad_scenario_points_at_the_problem(
    protocol_library, old: str, new: str, marker: str, needle: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    where = _position(text, marker)
    errors = _errors(text, protocol_library)
    assert any((ln, col) == where and needle in msg for ln, col, msg in errors), errors


def test_every_problem_is_reported_at_once(protocol_library) -> None:
    text = GOOD.replace("  Ana: lead", "  Ana: chief").replace("severity: cip", "severity: mega")
    errors = _errors(text, protocol_library)
    assert [(ln, col) for ln, col, _ in errors] == [
        _position(text, "chief"),
        _position(text, "mega"),
    ]


def test_broken_yaml_gives_position(protocol_library) -> None:
    errors = _errors(GOOD.replace("  Ana: lead", "  Ana: [lead"), protocol_library)
    assert errors[0][2].startswith("invalid YAML")
    assert errors[0][0] >= 8


def test_shape_only_without_protocols() -> None:
    s = parse_scenario(GOOD.replace("  Ana: lead", "  Ana: chief"), "s.yaml")
    assert s.participants[0].roles == ("chief",)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioLoadError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")


def test_every_shipped_scenario_validates(protocol_library) -> None:
    files = scenario_files(SHIPPED_SCENARIOS_DIR)
    assert len(files) >= 3
    for path in files:
        scenario = load_scenario(path, protocols=protocol_library)
        assert scenario.modelled_on and scenario.expectations and scenario.injects


def test_library_refuses_duplicate_ids(tmp_path: Path, protocol_library) -> None:
    (tmp_path / "copy.yaml").write_text(
        (SHIPPED_SCENARIOS_DIR / "false-alarm.yaml").read_text(encoding="utf-8")
    )
    with pytest.raises(ScenarioLoadError, match="already defined"):
        ScenarioLibrary(protocol_library, [tmp_path])


def test_typed_actions() -> None:
    a = parse_action_line("Ana complete assess-criteria All four criteria met")
    assert (a.by, a.verb, a.step, a.text) == (
        "Ana",
        "complete",
        "assess-criteria",
        "All four criteria met",
    )
    assert parse_action_line("Ben hash U1").upload == "U1"
    b = parse_action_line("Ana assign hash-coordinator Ben")
    assert (b.role, b.to) == ("hash-coordinator", "Ben")
    for bad in ["Ana", "Ana fly", "Ana skip step-only", "Ben hash U1 U2"]:
        with pytest.raises(BadAction):
            parse_action_line(bad)


def test_script_errors_are_located() -> None:
    text = "- {at: T+01:00, by: Ana, do: complete x}\n- {at: 5, by: Ana, do: fly}\n"
    with pytest.raises(ScenarioLoadError) as info:
        parse_script(text, "run.yaml")
    found = [(i.line, i.column, i.message.split(":")[0]) for i in info.value.issues]
    assert found == [(2, 8, "action.at"), (2, 24, "action.do")]


def test_script_accepts_json_and_sorts_by_time() -> None:
    text = (
        '{"actions": [{"at": "T+10:00", "by": "Ana", "do": "note", "text": "b"},'
        ' {"at": "T+01:00", "by": "Ana", "do": "note a"}]}'
    )
    actions = parse_script(text)
    assert [(a.at, a.action.text) for a in actions] == [
        (timedelta(minutes=1), "a"),
        (timedelta(minutes=10), "b"),
    ]
