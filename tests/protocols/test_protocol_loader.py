"""Protocol YAML: shipped protocols load; every kind of mistake is reported at its line:column."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from protocols import (
    ProtocolLibrary,
    ProtocolLoadError,
    format_duration,
    load_protocol,
    parse_duration,
    parse_protocol,
)
from protocols.bounded_yaml import BoundedSafeLoader
from protocols.protocol_library import SHIPPED_DIR

GOOD = """\
id: mini
version: "1"
name: Mini
modelled_on: nothing official
severity_levels:
  - {id: high, name: High}
roles:
  - {id: lead, name: Lead, lead: true}
  - {id: scribe, name: Scribe}
stages:
  - id: one
    name: One
    steps:
      - id: a
        title: A
        role: lead
        target: 15m
        escalation: {after: PT10M, notify: [lead]}
      - id: b
        title: B
        role: scribe
        depends_on: [a]
  - id: two
    name: Two
    steps:
      - {id: c, title: C, role: scribe, depends_on: [b], evidence: link, required: false}
"""


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(ProtocolLoadError) as info:
        parse_protocol(text, "p.yaml")
    return [(e.line, e.column, e.message) for e in info.value.errors]


def test_every_shipped_protocol_loads_and_says_it_is_modelled_not_official() -> None:
    files = sorted(SHIPPED_DIR.glob("*.yaml"))
    assert len(files) == 3
    for path in files:
        protocol = load_protocol(path)
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# Modelled on public descriptions of")
        assert "NOT the official" in re.sub(r"\s*\n#\s*", " ", text)
        assert protocol.modelled_on.startswith("public descriptions")
        assert protocol.lead_role.lead and protocol.stages
    assert {p.id for p in ProtocolLibrary().all()} == {
        "gifct-cip",
        "eu-crisis-protocol",
        "christchurch-call-crp",
    }


#: 5,000 levels once ran PyYAML's composer out of Python's recursion limit (RecursionError)
DEEP = {
    "flow list": "[" * 5000 + "]" * 5000,
    "flow mapping": "{a: " * 5000 + "1" + "}" * 5000,
    "block mapping": "\n" + "".join("  " * (i + 1) + "a:\n" for i in range(150)),
}


@pytest.mark.parametrize("shape", DEEP)
def test_deep_nesting_is_a_located_error(shape: str) -> None:
    text = GOOD.replace("name: Mini", "name: " + DEEP[shape], 1)
    ((line, column, message),) = problems(text)
    assert message == "invalid YAML: nested more than 100 levels deep"
    deepest = text.splitlines()[line - 1]
    assert line >= 3 and deepest.startswith(("name: ", "  ")) and column > 100
    at_the_limit = "[" * 100 + "]" * 100
    assert yaml.load(at_the_limit, Loader=BoundedSafeLoader) == json.loads(at_the_limit)
    with pytest.raises(yaml.MarkedYAMLError, match="nested more than 100"):
        yaml.load(f"[{at_the_limit}]", Loader=BoundedSafeLoader)


def test_a_good_file_builds_the_model() -> None:
    p = parse_protocol(GOOD)
    a = p.step("a")
    assert a.target == timedelta(minutes=15) and a.relative_to == "stage"
    assert a.escalation is not None and a.escalation.after == timedelta(minutes=10)
    assert p.step("c").required is False and p.step("c").evidence == "link"
    assert p.stage_and_step("c")[0] == 1 and p.lead_role.id == "lead"


def test_unknown_and_duplicate_keys() -> None:
    assert problems(GOOD.replace("    name: One\n", "    name: One\n    colour: red\n")) == [
        (13, 5, "stage: unknown key 'colour' (allowed: id, name, steps, description)")
    ]
    text = GOOD.replace("        title: B\n", "        title: B\n        title: again\n")
    assert problems(text) == [(21, 9, "step: duplicate key 'title'")]


def test_duplicate_ids_point_at_the_second_one() -> None:
    text = GOOD.replace("      - id: b\n", "      - id: a\n").replace("depends_on: [b], ", "")
    found = problems(text)
    assert (19, 13, "duplicate step id 'a' (first at line 14)") in found


def test_unknown_roles_in_steps_and_escalations() -> None:
    text = GOOD.replace("role: scribe\n        depends_on", "role: editor\n        depends_on")
    assert problems(text) == [
        (21, 15, "step 'b': role: unknown role 'editor' (roles: lead, scribe)")
    ]
    text = GOOD.replace("notify: [lead]", "notify: [lead, press]")
    assert problems(text) == [
        (18, 51, "step 'a': escalation.notify: unknown role 'press' (roles: lead, scribe)")
    ]


def test_dependency_cycles_unknown_and_later_stage_dependencies() -> None:
    text = GOOD.replace("        target: 15m\n", "        target: 15m\n        depends_on: [b]\n")
    assert any(
        "dependency cycle: a -> b -> a" in m or "dependency cycle: b -> a -> b" in m
        for _, _, m in problems(text)
    )
    text = GOOD.replace("depends_on: [a]", "depends_on: [zz]")
    assert problems(text) == [(22, 22, "step 'b' depends on unknown step 'zz'")]
    text = GOOD.replace("depends_on: [a]", "depends_on: [c]")
    assert (22, 22, "step 'b' depends on 'c' from a later stage") in problems(text)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "bad duration 'soon'"),
        ("0m", "duration must be positive"),
        ("P1M", "bad duration 'P1M'"),
        ("-5m", "bad duration '-5m'"),
    ],
)
def test_bad_durations(value: str, message: str) -> None:
    [(line, column, text)] = problems(GOOD.replace("target: 15m", f"target: {value}"))
    assert (line, column) == (17, 17) and message in text


def test_escalation_needs_a_target() -> None:
    assert problems(GOOD.replace("        target: 15m\n", "")) == [
        (14, 9, "step 'a': an escalation needs a target time")
    ]


def test_bad_types_and_missing_keys() -> None:
    assert problems(GOOD.replace("required: false", "required: maybe")) == [
        (26, 84, "step 'c': required: expected true or false")
    ]
    assert problems(GOOD.replace("evidence: link", "evidence: video")) == [
        (26, 68, "step 'c': evidence: 'video' is not one of text, link, hash")
    ]
    assert problems(GOOD.replace('version: "1"\n', "")) == [
        (1, 1, "protocol: missing required key 'version'")
    ]
    assert problems(GOOD.replace("  - {id: lead, name: Lead, lead: true}\n", "")) == [
        (8, 3, "roles: exactly one role needs 'lead: true' (found 0)"),
        (15, 15, "step 'a': role: unknown role 'lead' (roles: scribe)"),
        (17, 45, "step 'a': escalation.notify: unknown role 'lead' (roles: scribe)"),
    ]


def test_broken_yaml_empty_and_unreadable_files(tmp_path: Path) -> None:
    assert problems("id: [unclosed\nname: x\n")[0][:2] == (2, 5)
    assert problems("") == [(1, 1, "the file is empty")]
    assert problems("- just\n- a list\n") == [(1, 1, "protocol: expected a mapping")]
    with pytest.raises(ProtocolLoadError, match=r"missing.yaml:1:1: cannot read file"):
        load_protocol(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ProtocolLoadError, match="not UTF-8"):
        load_protocol(binary)


def test_library_adds_deployment_folders_and_refuses_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "mini.yaml").write_text(GOOD)
    library = ProtocolLibrary([tmp_path])
    assert "mini" in library and library.get("mini").name == "Mini"
    (tmp_path / "again.yml").write_text(GOOD)
    with pytest.raises(ProtocolLoadError, match="'mini' is already defined"):
        ProtocolLibrary([tmp_path])
    with pytest.raises(ProtocolLoadError, match="does not exist"):
        ProtocolLibrary([tmp_path / "nope"])


def test_a_tolerant_library_leaves_broken_files_out_and_says_which(tmp_path: Path) -> None:
    (tmp_path / "mini.yaml").write_text(GOOD)
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n")
    library = ProtocolLibrary([tmp_path, tmp_path / "nope"], skip_invalid=True)
    assert "mini" in library and "gifct-cip" in library
    assert [(Path(p.path).name, p.line) for p in library.problems] == [
        ("broken.yaml", 2),
        ("nope", 1),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        ("PT15M", timedelta(minutes=15)),
        ("P1DT2H", timedelta(hours=26)),
        ("P2W", timedelta(weeks=2)),
    ],
)
def test_durations_round_trip(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "PT", "P", "15", "15 m", "1y", "m"])
def test_bad_durations_raise(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)
