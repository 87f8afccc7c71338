"""What a new user meets through `crisisbot incident ...`: JSON on every printing command, errors
on stderr with exit 1 and nothing written, broken protocol files, unusable databases, and the
whole flow once on PostgreSQL (a throwaway schema selected with ``?search_path=``)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from protocol_support import cli_runner

PG_DSN = os.environ.get("CRISISBOT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr


def test_every_printing_command_has_json_and_bad_input_is_refused(tmp_path: Path) -> None:
    run = cli_runner(tmp_path, f"sqlite:///{tmp_path}/a.db")
    listed = run("incident", "list")
    assert listed.returncode == 0 and listed.stdout == "" and "No incidents." in listed.stderr
    assert json.loads(ok(run("incident", "list", "--json"))) == []
    opened = json.loads(ok(run("incident", "open", "--protocol", "gifct-cip", "--title", "T",
                               "--severity", "cip", "--id", "i1", "--json")))  # fmt: skip
    assert opened["id"] == "i1"
    [row] = ok(run("incident", "list", "--tz", "Asia/Tokyo")).splitlines()
    assert row.startswith("i1 ") and " JST  T" in row  # the opening time, dated, in the zone
    refused(run("incident", "open", "--protocol", "gifct-cip", "--title", "T", "--severity",
                "cip", "--id", "bad id/.."), "bad incident id")  # fmt: skip
    for command in (["show", "nope"], ["due", "nope"], ["verify", "nope"], ["export", "nope"],
                    ["act", "nope", "note", "hi"]):  # fmt: skip
        refused(run("incident", *command), "no incident 'nope'")
    refused(run("incident", "act", "i1", "complete", "nope"), "has no step 'nope'")
    refused(run("incident", "act", "i1", "complete", "situational-awareness", "--as", "eve",
                "--no-admin"), "eve may not complete step 'situational-awareness'")  # fmt: skip
    refused(run("incident", "show", "i1", "--tz", "Mars/Base"), "unknown time zone")
    refused(run("incident", "act", "i1", "link-hash", "e1", "--list", "l", "--signal", "pdq",
                "--value", "abc"), "pdq: expected 64 hex digits")  # fmt: skip
    assigned = ok(run("incident", "act", "i1", "assign", "scribe", "u1", "--name", "Sam"))
    assert "Instructions for Sam (Scribe): Keep the timeline complete" in assigned
    [event] = json.loads(ok(run("incident", "act", "i1", "note", "hello", "--json")))
    assert event["type"] == "NoteAdded" and event["text"] == "Note: hello"
    assert json.loads(ok(run("incident", "due", "i1", "--json")))[0]["step"]
    assert json.loads(ok(run("incident", "export", "i1", "--json")))["incident"]["id"] == "i1"
    assert json.loads(ok(run("incident", "transparency", "--json")))["incidents_counted"] == 1
    ok(run("incident", "act", "i1", "close", "--reason", "done"))
    refused(run("incident", "act", "i1", "note", "late"), "is closed")
    assert json.loads(ok(run("incident", "verify", "i1", "--json")))["events_checked"] == 5


def test_a_broken_protocol_file_does_not_stop_work_on_incidents(tmp_path: Path) -> None:
    defs = tmp_path / "defs"
    defs.mkdir()
    config = tmp_path / "c.yaml"
    config.write_text(f"protocols:\n  extra_dirs: [{defs}]\n", encoding="utf-8")
    run = cli_runner(tmp_path, f"sqlite:///{tmp_path}/a.db", "--config", str(config))
    ok(run("incident", "open", "--protocol", "gifct-cip", "--title", "T", "--severity", "cip",
           "--id", "i1"))  # fmt: skip
    (defs / "bad.yaml").write_text("id: [unclosed\nname: x\n", encoding="utf-8")
    shown = run("incident", "show", "i1")
    assert shown.returncode == 0 and "i1: T" in shown.stdout
    assert "Warning: protocol file left out:" in shown.stderr and "bad.yaml:2:5" in shown.stderr
    refused(run("protocol", "list"), "bad.yaml:2:5: invalid YAML")  # validation stays strict


def test_an_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    missing = cli_runner(tmp_path, f"sqlite:///{tmp_path}/no/such/dir/a.db")
    result = missing("incident", "list")
    refused(result, "no folder")  # checked once for every store, before any is opened
    assert "SQLite database" in result.stderr and "Traceback" not in result.stderr
    result = cli_runner(tmp_path, "postgresql://postgres:s3cret@127.0.0.1:9/test")(
        "incident", "list"
    )
    refused(result, "cannot open the incident database postgresql://postgres:***@127.0.0.1:9")
    assert "s3cret" not in result.stderr


async def _schema(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.mark.postgres
def test_the_incident_commands_end_to_end_on_postgresql(tmp_path: Path) -> None:
    schema = f"cli_{uuid.uuid4().hex[:12]}"
    asyncio.run(_schema(f"CREATE SCHEMA {schema}"))
    try:
        run = cli_runner(tmp_path, f"{PG_DSN}?search_path={schema}")
        ok(run("incident", "open", "--protocol", "eu-crisis-protocol", "--title", "PG",
               "--severity", "crisis", "--id", "pg1"))  # fmt: skip
        ok(run("incident", "act", "pg1", "note", "hello"))
        ok(run("incident", "act", "pg1", "correct", "--entry", "3", "--text", "hello there",
               "--reason", "typo"))  # fmt: skip
        ok(run("incident", "act", "pg1", "activate", "--reason", "go"))
        refused(run("incident", "act", "pg1", "complete", "nope"), "no step 'nope'")
        assert [i["id"] for i in json.loads(ok(run("incident", "list", "--json")))] == ["pg1"]
        assert json.loads(ok(run("incident", "show", "pg1", "--json")))["status"] == "active"
        assert json.loads(ok(run("incident", "due", "pg1", "--json")))
        doc = json.loads(ok(run("incident", "export", "pg1", "--format", "json")))
        corrected = next(e for e in doc["timeline"] if e["version"] == 3)
        assert corrected["correction"]["text"] == "hello there"
        assert "<del>Note: hello</del>" in ok(run("incident", "export", "pg1", "--format", "html"))
        ok(run("incident", "act", "pg1", "close", "--reason", "done"))
        refused(run("incident", "act", "pg1", "note", "late"), "is closed")
        assert json.loads(ok(run("incident", "verify", "pg1", "--json")))["ok"] is True
        assert json.loads(ok(run("incident", "transparency", "--json")))["incidents_counted"] == 1
    finally:
        asyncio.run(_schema(f"DROP SCHEMA {schema} CASCADE"))
