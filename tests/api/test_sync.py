"""The sync client against a real server: incremental, resumable, removals propagate."""

from __future__ import annotations

from pathlib import Path

import pytest

from hashdb import open_hash_service
from hashdb.access import open_access_store
from hashdb.api.sync_client import SyncError, sync_from
from hashdb.content_hash import HashVariant

from .conftest import ApiEnv, FakeClock, running_api
from .helpers import pdq


async def active_values(svc, list_name: str) -> list[str]:
    return sorted(e.value for e in await svc.entries(list_name))


async def test_sync_resumes_after_interruption_and_propagates_removals(
    tmp_path: Path, clock: FakeClock
) -> None:
    (tmp_path / "remote").mkdir()
    async with running_api(tmp_path / "remote", clock) as remote:
        await remote.svc.create_list(
            "gifct", visibility="public", thresholds={"pdq": 20}, labels=["tve"], created_by="t"
        )
        await remote.svc.create_list("theirs", visibility="private", owner="x", created_by="t")
        entries = [
            await remote.svc.add_entry("gifct", "pdq", pdq(i), added_by="t") for i in range(7)
        ]
        await remote.svc.add_entry("theirs", "pdq", pdq(100), added_by="t")
        key = await remote.key("small")
        local_db = str(tmp_path / "local.db")
        async with (
            open_hash_service(local_db, clock=clock) as local,
            open_access_store(local_db) as store,
        ):
            kwargs = dict(hash_service=local, access_store=store, clock=clock, page_size=3)
            first = await sync_from(remote.url, key, max_pages=1, **kwargs)  # interrupted
            assert (first.added, first.complete, first.cursor) == (3, False, "3")
            assert await store.get_cursor(remote.url) == "3"

            # an interruption between applying a page and saving its cursor: re-applied safely
            await store.set_cursor(remote.url, "1", clock())
            await remote.svc.remove_entry(entries[2].id, reason="false positive", removed_by="t")
            second = await sync_from(remote.url + "/", key, **kwargs)
            assert second.complete and second.skipped == 2 and second.removed == 1
            mirror = await local.get_list("mirror.gifct")
            assert mirror.thresholds == {"pdq": 20} and mirror.labels == ("tve",)
            expected = sorted(pdq(i) for i in range(7) if i != 2)
            assert await active_values(local, "mirror.gifct") == expected
            assert [hl.name for hl in await local.lists()] == ["mirror.gifct"]
            removed = [
                e for e in await local.entries("mirror.gifct", include_removed=True) if not e.active
            ]
            assert [e.value for e in removed] == [pdq(2)] and "false positive" in removed[
                0
            ].removal_reason

            # later: one more removal and one add
            await remote.svc.remove_entry(entries[5].id, reason="dup", removed_by="t")
            await remote.svc.add_entry("gifct", "pdq", pdq(50), added_by="t")
            third = await sync_from(remote.url, key, **kwargs)
            assert (third.added, third.removed, third.pages) == (1, 1, 1)
            assert pdq(5) not in await active_values(local, "mirror.gifct")
            assert pdq(50) in await active_values(local, "mirror.gifct")
            result = await local.match("pdq", pdq(50))
            assert [m.list_name for m in result.matches] == ["mirror.gifct"]


async def test_sync_reports_refusals(tmp_path: Path, clock: FakeClock, api: ApiEnv) -> None:
    local_db = str(tmp_path / "local.db")
    async with (
        open_hash_service(local_db, clock=clock) as local,
        open_access_store(local_db) as store,
    ):
        with pytest.raises(SyncError, match="401"):
            await sync_from(
                api.url,
                "cbk_000000000000_" + "A" * 43,
                hash_service=local,
                access_store=store,
                clock=clock,
            )
        with pytest.raises(SyncError, match="127.0.0.1:9"):
            await sync_from(
                "http://127.0.0.1:9", "k", hash_service=local, access_store=store, clock=clock
            )
        assert await store.get_cursor(api.url) is None


async def test_synced_entries_keep_their_variants_and_match_the_same_way(
    tmp_path: Path, clock: FakeClock
) -> None:
    (tmp_path / "remote").mkdir()
    crop = HashVariant("crop-10", pdq(7))
    async with running_api(tmp_path / "remote", clock) as remote:
        await remote.svc.create_list("gifct", visibility="public", created_by="t")
        await remote.svc.add_entry("gifct", "pdq", pdq(1), added_by="t", variants=[crop])
        key = await remote.key("small")
        local_db = str(tmp_path / "local.db")
        async with (
            open_hash_service(local_db, clock=clock) as local,
            open_access_store(local_db) as store,
        ):
            report = await sync_from(
                remote.url, key, hash_service=local, access_store=store, clock=clock
            )
            assert report.added == 1
            (mirrored,) = await local.entries("mirror.gifct")
            assert mirrored.variants == (crop,)
            result = await local.match("pdq", pdq(7))
            assert [(m.entry.id, m.matched_variant) for m in result.matches] == [
                (mirrored.id, "crop-10")
            ]


async def test_asking_for_drills_later_brings_every_drill_list(
    tmp_path: Path, clock: FakeClock
) -> None:
    (tmp_path / "remote").mkdir()
    async with running_api(tmp_path / "remote", clock) as remote:
        await remote.svc.create_list("real", visibility="public", created_by="t")
        await remote.svc.create_list("drill", visibility="public", exercise=True, created_by="t")
        await remote.svc.add_entry("real", "pdq", pdq(1), added_by="t")
        await remote.svc.add_entry("drill", "pdq", pdq(2), added_by="t", exercise=True)
        key = await remote.key("small", exercise=True)
        local_db = str(tmp_path / "local.db")
        async with (
            open_hash_service(local_db, clock=clock) as local,
            open_access_store(local_db) as store,
        ):
            kwargs = dict(hash_service=local, access_store=store, clock=clock)
            first = await sync_from(remote.url, key, **kwargs)
            assert first.added == 1 and [hl.name for hl in await local.lists()] == ["mirror.real"]
            with_drills = await sync_from(remote.url, key, include_exercise=True, **kwargs)
            assert (with_drills.added, with_drills.skipped) == (1, 1)  # the real one: once
            assert await active_values(local, "mirror.drill") == [pdq(2)]
            assert (await local.get_list("mirror.drill")).exercise
            assert await active_values(local, "mirror.real") == [pdq(1)]
            again = await sync_from(remote.url, key, include_exercise=True, **kwargs)
            assert (again.added, again.skipped) == (0, 0)
