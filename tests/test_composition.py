"""The composition root: settings become open services, and every hash-list write is audited."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from crisisbot.composition import (
    hash_limits,
    open_access_service,
    open_drill_services,
    open_hash_database,
    open_hash_service,
    protocol_library,
)
from crisisbot.config import Settings
from tests.api.helpers import pdq


def _settings(db: Path) -> Settings:
    settings = Settings()
    settings.database.url = f"sqlite:///{db}"
    settings.hashdb.max_file_bytes = 1234
    settings.hashdb.bad_hash_min_sources = 1  # one platform's false-positive verdict flags
    return settings


def _fixed_clock() -> datetime:
    return datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def test_hash_service_gets_the_configured_limits_and_audits_its_writes(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.db"
    settings = _settings(db)
    async with open_hash_service(settings) as hashes:
        assert hashes.limits == hash_limits(settings) and hashes.limits.max_file_bytes == 1234
        await hashes.lists()
        # reading opens no access store (the audit table is the hash store's too: not a sign)
        assert "api_keys" not in _tables(db)
        await hashes.create_list("tve", created_by="cli:ana")
        entry = await hashes.add_entry("tve", "pdq", pdq(1), added_by="cli:ana")
        flags = [(await hashes.match("pdq", pdq(1))).matches[0].likely_bad_hash]
        await hashes.record_feedback(entry.id, verdict="false_positive", by="api:p/1")
        flags.append((await hashes.match("pdq", pdq(1))).matches[0].likely_bad_hash)
        assert flags == [False, True]  # the configured number of sources, not the default 2
    async with open_access_service(settings) as access:
        records = await access.audit()
    assert [(r.action, r.actor, r.target) for r in records] == [
        ("entry.add", "cli:ana", f"entry:{entry.id}"),
        ("list.create", "cli:ana", "list:tve"),
    ]


async def test_hash_database_audits_in_its_own_access_store(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "c.db")
    async with open_hash_database(settings) as database:
        await database.hashes.create_list("tve", created_by="api:p/1")
        records = await database.access_store.audit()
    assert [(r.action, r.target) for r in records] == [("list.create", "list:tve")]


async def test_drill_services_write_the_exercise_list_with_audit(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "c.db")
    library = protocol_library(settings)
    async with open_drill_services(settings, library=library, clock=_fixed_clock) as services:
        exercise = services.exercise_hashes("drill:x:1", incident_id="drill-1")
        await exercise.create(created_by="DRILL control")
        await exercise.add("pdq", pdq(2), added_by="Ben", note="DRILL x U1")
    async with open_access_service(settings) as access:
        records = await access.audit()
    assert [(r.action, r.actor) for r in records] == [
        ("entry.add", "Ben"),
        ("list.create", "DRILL control"),
    ]
