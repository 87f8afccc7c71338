"""`crisisbot drill` as a real subprocess: validate, list, and runs of a shipped scenario."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from hashdb import open_hash_service
from protocols.drills.runner import CONTROLLER
from protocols.drills.scenario_library import SHIPPED_SCENARIOS_DIR, scenario_files
from tests.cli_env import isolated_env, run_crisisbot
from tests.drills.helpers import SCRIPTS_DIR


def run(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_crisisbot(tmp_path, *args, stdin=stdin, env=isolated_env(tmp_path), timeout=90)


def ok(tmp_path: Path, *args: str, stdin: str | None = None) -> str:
    result = run(tmp_path, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_validate_shipped_and_bad_files(tmp_path: Path) -> None:
    shipped = [str(p) for p in scenario_files(SHIPPED_SCENARIOS_DIR)]
    out = ok(tmp_path, "drill", "validate", *shipped)
    assert out.count(": OK (") == len(shipped) >= 3
    bad = tmp_path / "bad.yaml"
    text = (SHIPPED_SCENARIOS_DIR / "false-alarm.yaml").read_text(encoding="utf-8")
    text = text.replace("step_completed: first-contact", "step_completed: first-kontakt")
    bad.write_text(text.replace("  Hana: secretariat", "  Hana: queen"), encoding="utf-8")
    result = run(tmp_path, "drill", "validate", str(bad), shipped[0])
    assert result.returncode == 1
    lines = text.replace("  Hana: secretariat", "  Hana: queen").splitlines()
    queen = next(i for i, line in enumerate(lines, 1) if "Hana: queen" in line)
    kontakt = next(i for i, line in enumerate(lines, 1) if "first-kontakt" in line)
    assert (
        f"{bad}:{queen}:9: participants.Hana.role: protocol 'christchurch-call-crp' has no role"
        in result.stderr
    )
    assert f"{bad}:{kontakt}:21: expectation.step:" in result.stderr
    assert ": OK (" in result.stdout  # the good file is still reported
    as_json = json.loads(run(tmp_path, "drill", "validate", str(bad), "--json").stdout)
    assert as_json[0]["ok"] is False
    assert [(e["line"], e["column"]) for e in as_json[0]["errors"]] == [(queen, 9), (kontakt, 21)]


def test_list(tmp_path: Path) -> None:
    rows = json.loads(ok(tmp_path, "drill", "list", "--json"))
    assert [r["id"] for r in rows] == ["false-alarm", "livestream-attack", "manifesto-spread"]
    assert {r["protocol"] for r in rows} == {
        "gifct-cip",
        "eu-crisis-protocol",
        "christchurch-call-crp",
    }


def test_show_outlines_a_scenario(tmp_path: Path) -> None:
    outline = json.loads(ok(tmp_path, "drill", "show", "false-alarm", "--json"))
    assert outline["participants"]["Hana"] == ["secretariat"]
    assert [(i["at"], i["id"]) for i in outline["injects"]][:2] == [
        ("T+00:00", "I1"),
        ("T+05:00", "S1"),
    ]
    assert outline["injects"][2]["what"] == (
        "upload on shortvid.example: picture, seed 3141, expect no_match"
    )
    assert outline["expectations"][3] == {
        "id": "E4",
        "expected": "no hash of the film footage is added to any list",
    }
    text = ok(tmp_path, "drill", "show", "false-alarm")
    assert "[false-alarm v1, DRILL]" in text and "E5   incident stood down" in text


def test_scripted_run_to_completion_with_reports(tmp_path: Path) -> None:
    script = SCRIPTS_DIR / "livestream-attack.perfect.yaml"
    out = ok(
        tmp_path,
        "drill",
        "run",
        "livestream-attack",
        "--speed",
        "1000000",
        "--script",
        str(script),
        "--run-id",
        "cli1",
        "--t0",
        "2026-03-15T01:40:00Z",
        "--report",
        "html",
        "--output",
        "aar.html",
    )
    lines = out.splitlines()
    assert lines and all(line.startswith("[DRILL T+") for line in lines)
    assert (
        "Drill ended (concluded) at T+2:10:00: 8 expectations met, 0 late, 0 missed." in lines[-1]
    )
    html = (tmp_path / "aar.html").read_text(encoding="utf-8")
    assert html.count("<tr>") == html.count('<td class="drill">DRILL</td>') + html.count(
        '<th class="drill">DRILL</th>'
    )
    # the drill incident is in the configured database, marked as a drill
    with sqlite3.connect(tmp_path / "cli.db") as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert any(n.startswith("incident_") for n in names)
    shown = json.loads(ok(tmp_path, "incident", "show", "drill-cli1", "--json"))
    assert shown["drill"] is True and shown["status"] == "concluded"


def test_json_run_prints_json_lines_and_the_report(tmp_path: Path) -> None:
    out = ok(
        tmp_path,
        "drill",
        "run",
        "false-alarm",
        "--speed",
        "1000000",
        "--script",
        str(SCRIPTS_DIR / "false-alarm.perfect.yaml"),
        "--run-id",
        "j1",
        "--json",
    )
    records = [json.loads(line) for line in out.splitlines()]  # every line is one JSON record
    assert all(r["drill"] is True for r in records)
    report = records[-1]["report"]  # the after-action report is the last line
    assert report["summary"] == {"met": 5, "late": 0, "missed": 0}
    assert report["end_reason"] == "closed"


def test_typed_run_at_high_speed_reaches_the_end(tmp_path: Path) -> None:
    """No script: actions come from stdin; at a large speed the drill runs to its duration."""
    typed = "Hana complete first-contact Contacts reached\nstatus\nHana fly\n"
    out = ok(
        tmp_path,
        "drill",
        "run",
        "false-alarm",
        "--speed",
        "20000",
        "--run-id",
        "t1",
        "--report",
        "md",
        "--record",
        "typed.json",
        "--t0",
        "2026-03-15T01:40:00Z",
        stdin=typed,
    )
    assert "Type an action as NAME ACTION" in out
    assert "[DRILL T+00:00] Hana: complete first-contact Contacts reached" in out
    assert "unknown action 'fly'" in out
    assert "Drill ended (completed) at T+1:00:00" in out
    report = out[out.index("# DRILL — After-action report") :]
    assert "| DRILL | E1 | step first-contact completed by T+15:00 |" in report
    assert "MET" in report and "MISSED" in report
    # the typed session replays as a script, with the same results
    recorded = json.loads((tmp_path / "typed.json").read_text(encoding="utf-8"))
    assert recorded == [
        {
            "at": "T+00:00",
            "by": "Hana",
            "do": "complete",
            "step": "first-contact",
            "text": "Contacts reached",
        }
    ]
    replay = ok(
        tmp_path,
        "drill",
        "run",
        "false-alarm",
        "--speed",
        "1000000",
        "--script",
        "typed.json",
        "--run-id",
        "t2",
        "--report",
        "md",
        "--t0",
        "2026-03-15T01:40:00Z",
    )
    assert _results(replay) == _results(out)


def _results(out: str) -> list[str]:
    """The expectation rows of a Markdown report printed after a run."""
    return [line for line in out.splitlines() if line.startswith("| DRILL | E")]


def test_unknown_scenario_is_an_error(tmp_path: Path) -> None:
    result = run(tmp_path, "drill", "run", "no-such-drill", "--speed", "10")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no scenario 'no-such-drill'")


async def test_drill_writes_are_in_the_audit_log(tmp_path: Path) -> None:
    """The run's exercise list and the hashes players add to it are audited like any write."""
    ok(tmp_path, "drill", "run", "livestream-attack", "--speed", "1000000", "--script",
       str(SCRIPTS_DIR / "livestream-attack.perfect.yaml"), "--run-id", "a1",
       "--t0", "2026-03-15T01:40:00Z")  # fmt: skip
    list_name = "drill:livestream-attack:a1"
    async with open_hash_service(str(tmp_path / "cli.db")) as hashes:
        added = await hashes.entries(list_name)
    assert len(added) == 2  # the script hashes uploads U1 and U4
    records = json.loads(ok(tmp_path, "keys", "audit", "--json"))
    assert [(r["action"], r["actor"], r["target"]) for r in reversed(records)] == [
        ("list.create", CONTROLLER.name, f"list:{list_name}"),
        *[("entry.add", e.added_by, f"entry:{e.id}") for e in sorted(added, key=lambda e: e.id)],
    ]
    assert {e.added_by for e in added} == {"Ben"}
