"""The likely-bad-hash rule: false-positive verdicts of distinct sources, or an allow-list match;
never how often an entry is matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from hashdb import HashService, open_hash_service
from hashdb.bad_hash import BadHashRule, source_of

from .test_service import PDQ, flip


def test_a_platform_is_one_source_however_many_keys_it_holds() -> None:
    assert source_of("api:smallsite/k1") == source_of("api:smallsite/k2") == "api:smallsite"
    assert source_of("api:other/k1") == "api:other"
    assert source_of("cli:ana") == "cli:ana" and source_of("api:odd") == "api:odd"


def test_each_source_counts_by_its_latest_verdict() -> None:
    rule = BadHashRule(min_sources=2)
    verdicts = [
        ("api:a/1", "false_positive"),
        ("api:a/2", "false_positive"),  # the same platform again
        ("api:b/1", "false_positive"),
        ("api:b/1", "confirmed"),  # b took it back
    ]
    assert rule.false_positive_sources(verdicts) == {"api:a"}
    assert not rule.flags(verdicts, allowed=False)
    assert rule.flags([*verdicts, ("cli:ana", "false_positive")], allowed=False)
    assert rule.flags([], allowed=True)
    assert not rule.may_flag(1) and rule.may_flag(2)
    with pytest.raises(ValueError, match="at least 1"):
        BadHashRule(min_sources=0)


async def _flags(svc: HashService, value: str) -> dict[int, bool]:
    return {m.entry.id: m.likely_bad_hash for m in (await svc.match("pdq", value)).matches}


async def test_lookups_alone_never_flag_an_entry(tmp_path: Path) -> None:
    async with open_hash_service(str(tmp_path / "b.db")) as svc:
        await svc.create_list("l", created_by="a")
        entry = await svc.add_entry("l", "pdq", PDQ, added_by="a", quality=100)
        for i in range(300):
            await svc.match_many([("pdq", flip(PDQ, i % 5))])
        assert await _flags(svc, PDQ) == {entry.id: False}


async def test_false_positive_verdicts_of_two_platforms_flag_one_entry(tmp_path: Path) -> None:
    async with open_hash_service(str(tmp_path / "b.db")) as svc:
        await svc.create_list("l", created_by="a")
        suspect = await svc.add_entry("l", "pdq", PDQ, added_by="a", quality=100)
        other = await svc.add_entry("l", "pdq", flip(PDQ, 128), added_by="a", quality=100)
        for key in range(5):  # one platform, five keys, a verdict each
            await svc.record_feedback(suspect.id, verdict="false_positive", by=f"api:a/{key}")
        assert await _flags(svc, PDQ) == {suspect.id: False}
        await svc.record_feedback(suspect.id, verdict="false_positive", by="api:b/1")
        assert await _flags(svc, PDQ) == {suspect.id: True}
        assert await _flags(svc, flip(PDQ, 128)) == {other.id: False}
        await svc.record_feedback(suspect.id, verdict="confirmed", by="api:b/1")
        assert await _flags(svc, PDQ) == {suspect.id: False}


async def test_an_entry_matching_an_allow_list_is_flagged(tmp_path: Path) -> None:
    async with open_hash_service(str(tmp_path / "b.db")) as svc:
        await svc.create_list("l", created_by="a")
        await svc.create_list("benign", kind="allow", created_by="coordinator")
        await svc.create_list("drill-benign", kind="allow", exercise=True, created_by="c")
        logo = await svc.add_entry("l", "pdq", PDQ, added_by="a", quality=100)
        photo = await svc.add_entry("l", "pdq", flip(PDQ, 128), added_by="a", quality=100)
        await svc.add_entry(
            "drill-benign", "pdq", flip(PDQ, 3), added_by="c", quality=100, exercise=True
        )
        assert await _flags(svc, PDQ) == {logo.id: False}  # drill allow lists judge drills only
        await svc.add_entry("benign", "pdq", flip(PDQ, 6), added_by="coordinator", quality=100)
        assert await _flags(svc, flip(PDQ, 20)) == {logo.id: True}  # whatever the query
        assert await _flags(svc, flip(PDQ, 128)) == {photo.id: False}


async def test_the_configured_number_of_sources(tmp_path: Path) -> None:
    async with open_hash_service(str(tmp_path / "b.db"), bad_hash_min_sources=1) as svc:
        await svc.create_list("l", created_by="a")
        entry = await svc.add_entry("l", "pdq", PDQ, added_by="a", quality=100)
        await svc.record_feedback(entry.id, verdict="false_positive", by="api:a/1")
        assert await _flags(svc, PDQ) == {entry.id: True}
