"""HashService rules: thresholds per list, allow lists, drills, low quality, matching, feedback."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from hashdb import (
    DrillListViolation,
    EntryNotFound,
    HashService,
    InvalidArgument,
    InvalidHash,
    ListExists,
    ListNotFound,
    LowQualityHash,
    NewEntry,
    open_hash_service,
)
from hashdb.perceptual import pdq_hash
from hashdb.write_events import WriteEvent

from .imaging import encode, synthetic_photo

PDQ = pdq_hash(synthetic_photo(3)).value  # a real, high-quality hash


def flip(value: str, bits: int) -> str:
    """``value`` with its first ``bits`` bits inverted (distance exactly ``bits``)."""
    width = len(value) * 4
    return format(int(value, 16) ^ (((1 << bits) - 1) << (width - bits)), f"0{len(value)}x")


async def test_create_list_validation(service: HashService) -> None:
    created = await service.create_list(
        "tve-2026",
        description="d",
        labels=["tve", " ", "tve"],
        thresholds={"PDQ": 20},
        created_by="alice",
    )
    assert created.labels == ("tve",) and created.thresholds == {"pdq": 20}
    assert created.threshold("pdq") == 20 and created.threshold("phash") == 10
    with pytest.raises(ListExists):
        await service.create_list("tve-2026", created_by="alice")
    bad_calls = [
        {"name": "has space"},
        {"name": ""},
        {"name": "ok", "kind": "deny"},
        {"name": "ok", "visibility": "secret"},
        {"name": "ok", "thresholds": {"pdq": 200}},
        {"name": "ok", "thresholds": {"pdq": "31"}},
    ]
    for kwargs in bad_calls:
        with pytest.raises(InvalidArgument):
            await service.create_list(**{"created_by": "alice", **kwargs})  # type: ignore[arg-type]
    with pytest.raises(InvalidHash, match="unknown signal type"):
        await service.create_list("ok", thresholds={"tlsh": 3}, created_by="alice")
    assert [hl.name for hl in await service.lists()] == ["tve-2026"]


async def test_per_list_thresholds(service: HashService) -> None:
    await service.create_list("strict", thresholds={"pdq": 10}, created_by="a")
    await service.create_list("loose", created_by="a")
    for name in ("strict", "loose"):
        await service.add_entry(name, "pdq", PDQ, added_by="a", quality=100)
    for distance, expected in (
        (0, ["loose", "strict"]),
        (10, ["loose", "strict"]),
        (20, ["loose"]),
        (31, ["loose"]),
        (32, []),
    ):
        result = await service.match("pdq", flip(PDQ, distance))
        assert sorted(m.list_name for m in result.matches) == expected, distance
        assert all(m.distance == distance for m in result.matches)
    only = await service.match("pdq", PDQ, lists=["strict"])
    assert [m.list_name for m in only.matches] == ["strict"]
    with pytest.raises(ListNotFound):
        await service.match("pdq", PDQ, lists=["nope"])
    with pytest.raises(InvalidHash):
        await service.match("pdq", "abc")


async def test_allow_lists_are_reported_separately(service: HashService) -> None:
    await service.create_list("tve", labels=["tve"], created_by="a")
    await service.create_list("news", kind="allow", labels=["news-footage"], created_by="a")
    await service.add_entry("tve", "pdq", PDQ, labels=["frame-12"], added_by="a", quality=100)
    await service.add_entry("news", "pdq", flip(PDQ, 4), added_by="a", quality=100)
    result = await service.match("pdq", PDQ)
    assert [(m.list_name, m.distance, m.labels) for m in result.matches] == [
        ("tve", 0, ("frame-12", "tve"))
    ]
    assert [(m.list_name, m.distance) for m in result.allow_matches] == [("news", 4)]
    assert result.matched and result.allowed


async def test_drill_and_real_content_never_mix(service: HashService) -> None:
    await service.create_list("real", created_by="a")
    await service.create_list("drill-list", exercise=True, created_by="a")
    with pytest.raises(DrillListViolation, match="real content"):
        await service.add_entry("real", "pdq", PDQ, added_by="a", exercise=True)
    with pytest.raises(DrillListViolation, match="exercise list"):
        await service.add_entry("drill-list", "pdq", PDQ, added_by="a")
    await service.add_entry("drill-list", "pdq", PDQ, added_by="a", exercise=True)
    assert (await service.match("pdq", PDQ)).matches == []
    drill = await service.match("pdq", PDQ, include_exercise=True)
    assert [m.list_name for m in drill.matches] == ["drill-list"]
    assert [hl.name for hl in await service.lists(include_exercise=False)] == ["real"]
    assert (await service.get_list("real")).entry_count == 0


async def test_low_quality_pdq_is_never_added_silently(service: HashService) -> None:
    await service.create_list("l", created_by="a")
    with pytest.raises(LowQualityHash, match="quality 20"):
        await service.add_entry("l", "pdq", PDQ, added_by="a", quality=20)
    degenerate = "0" * 60 + "ffff"
    with pytest.raises(LowQualityHash, match="16 of 256 bits"):
        await service.add_entry("l", "pdq", degenerate, added_by="a")
    entry = await service.add_entry(
        "l", "pdq", degenerate, added_by="a", quality=5, allow_low_quality=True
    )
    assert entry.quality == 5
    with pytest.raises(InvalidArgument, match="quality"):
        await service.add_entry("l", "pdq", PDQ, added_by="a", quality=300)


async def test_add_entries_is_all_or_nothing(service: HashService) -> None:
    await service.create_list("l", created_by="a")
    items = [NewEntry("md5", "a" * 32), NewEntry("md5", "not-a-hash"), NewEntry("sha256", "b" * 64)]
    with pytest.raises(InvalidHash):
        await service.add_entries("l", items, added_by="a")
    assert await service.entries("l") == []
    assert await service.changes() == []
    checked = await service.validate_entries("l", items)
    assert isinstance(checked[1], InvalidHash) and checked[0] == NewEntry("md5", "a" * 32)
    added = await service.add_entries("l", [items[0], items[2]], added_by="a")
    assert [e.signal for e in added] == ["md5", "sha256"]


async def test_match_bytes_finds_edited_copies_and_stores_nothing(service: HashService) -> None:
    await service.create_list("tve", created_by="a")
    original = synthetic_photo(4)
    for h in await service.hash_bytes(encode(original)):
        await service.add_entry("tve", h.signal, h.value, added_by="a", quality=h.quality)
    before = len(await service.changes())
    mirrored = encode(original.transpose(Image.Transpose.FLIP_LEFT_RIGHT), quality=70)
    results = {r.query.signal: r for r in await service.match_bytes(mirrored, name="m.jpg")}
    assert set(results) == {"md5", "sha256", "pdq", "phash", "orb"}
    assert results["orb"].matches and results["orb"].matches[0].detail["mirrored"]
    assert results["pdq"].matches and results["pdq"].matches[0].distance <= 31
    assert not results["md5"].matches  # different bytes
    assert (
        results["pdq"].query.value == pdq_hash(Image.open(__import__("io").BytesIO(mirrored))).value
    )
    exact = {r.query.signal: r for r in await service.match_bytes(encode(original))}
    assert exact["md5"].matches and exact["sha256"].matches
    unrelated = await service.match_bytes(encode(synthetic_photo(40)))
    assert all(not r.matches for r in unrelated)
    assert len(await service.changes()) == before


async def test_writes_by_another_service_are_visible_to_the_next_match(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    async with open_hash_service(path) as reader, open_hash_service(path) as writer:
        await writer.create_list("l", created_by="a")
        entry = await writer.add_entry("l", "pdq", PDQ, added_by="a", quality=100)
        assert [m.entry.id for m in (await reader.match("pdq", PDQ)).matches] == [entry.id]
        await writer.remove_entry(entry.id, reason="mistake", removed_by="a")
        assert (await reader.match("pdq", PDQ)).matches == []
        assert reader.index_sizes()["pdq"] == 0
        await writer.create_list("later", created_by="a")  # a list the reader has not seen
        await writer.add_entry("later", "pdq", PDQ, added_by="a", quality=100)
        assert [m.list_name for m in (await reader.match("pdq", PDQ)).matches] == ["later"]


async def test_the_sqlite_change_marker_moves_on_every_commit_by_anyone(tmp_path: Path) -> None:
    path = str(tmp_path / "marker.db")
    async with open_hash_service(path) as reader, open_hash_service(path) as writer:
        await reader.create_list("mine", created_by="a")  # the reader's own commit counts too
        await writer.create_list("l", created_by="a")
        quiet = reader.store.change_marker()
        assert quiet is not None
        await reader.match("pdq", PDQ)  # reads commit nothing
        assert reader.store.change_marker() == quiet
        await writer.add_entry("l", "pdq", PDQ, added_by="a", quality=100)
        moved = reader.store.change_marker()
        assert moved != quiet
        await reader.add_entry("mine", "md5", "0" * 32, added_by="a")
        assert reader.store.change_marker() != moved
        assert reader.index_sizes()["md5"] == 0  # applied on the next match, not before
        assert (await reader.match("md5", "0" * 32)).matches


async def test_restart_rebuilds_the_index(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    async with open_hash_service(path) as svc:
        await svc.create_list("l", created_by="a")
        await svc.add_entries(
            "l", [NewEntry("md5", format(i, "032x")) for i in range(50)], added_by="a"
        )
    async with open_hash_service(path) as svc:
        assert svc.index_sizes()["md5"] == 50
        assert (await svc.match("md5", format(7, "032x"))).matches


async def test_removal_feedback_and_entries(service: HashService) -> None:
    await service.create_list("l", created_by="a")
    entry = await service.add_entry(
        "l", "md5", "c" * 32, added_by="a", source="s", incident_id="i1"
    )
    with pytest.raises(InvalidArgument, match="reason"):
        await service.remove_entry(entry.id, reason=" ", removed_by="b")
    await service.record_feedback(entry.id, verdict="false_positive", note="logo", by="c")
    with pytest.raises(InvalidArgument):
        await service.record_feedback(entry.id, verdict="maybe", by="c")  # type: ignore[arg-type]
    assert (await service.get_entry(entry.id)).false_positive_count == 1
    removed = await service.remove_entry(entry.id, reason="benign logo", removed_by="b")
    assert removed.removal_reason == "benign logo" and not removed.active
    assert await service.entries("l") == []
    assert [e.id for e in await service.entries("l", include_removed=True)] == [entry.id]
    with pytest.raises(EntryNotFound):
        await service.get_entry(10**6)
    with pytest.raises(ListNotFound):
        await service.entries("nope")
    changes = await service.changes(lists=["l"])
    assert [c.kind for c in changes] == ["add", "remove"]
    assert await service.changes(since=changes[-1].seq) == []


@pytest.mark.parametrize("entry_id", [2**63, 10**30, 0, -1])
async def test_an_id_no_store_can_hold_names_no_entry(service: HashService, entry_id: int) -> None:
    """Once SQLite's OverflowError (``hashdb remove 99999999999999999999999``: an internal
    error); a refusal naming the id, with nothing changed, on both stores."""
    await service.create_list("l", created_by="a")
    entry = await service.add_entry("l", "md5", "c" * 32, added_by="a")
    with pytest.raises(EntryNotFound, match=str(entry_id)):
        await service.get_entry(entry_id)
    with pytest.raises(EntryNotFound):
        await service.remove_entry(entry_id, reason="r", removed_by="b")
    with pytest.raises(EntryNotFound):
        await service.record_feedback(entry_id, verdict="confirmed", by="c")
    with pytest.raises(InvalidArgument, match="since"):
        await service.changes(since=2**63)
    assert await service.changes(since=2**63 - 1) == []
    assert (await service.get_entry(entry.id)).active


async def test_to_dict_is_json_ready_with_iso_utc_times(service: HashService) -> None:
    hash_list = await service.create_list("l", created_by="a")
    await service.add_entry("l", "pdq", PDQ, added_by="a", quality=99)
    result = await service.match("pdq", PDQ)
    change = (await service.changes())[0]
    for value in (hash_list, result, change, result.matches[0], result.matches[0].entry):
        text = json.dumps(value.to_dict())
        assert json.loads(text) == value.to_dict()
    entry = result.to_dict()["matches"][0]["entry"]
    assert datetime.fromisoformat(entry["added_at"]).utcoffset().total_seconds() == 0
    assert set(entry) >= {
        "id",
        "list_name",
        "signal",
        "value",
        "labels",
        "quality",
        "confirmed_count",
        "false_positive_count",
        "removed_at",
    }


async def test_clock_must_be_aware(tmp_path: Path) -> None:
    async with open_hash_service(str(tmp_path / "c.db"), clock=lambda: datetime(2026, 1, 1)) as svc:
        with pytest.raises(ValueError, match="aware"):
            await svc.create_list("l", created_by="a")


async def test_visibility_rules(service: HashService) -> None:
    private = await service.create_list("p", visibility="private", owner="org-a", created_by="a")
    shared = await service.create_list(
        "s", visibility="shared", owner="org-a", shared_with=["org-b"], created_by="a"
    )
    public = await service.create_list("pub", created_by="a")
    assert [private.visible_to(o) for o in ("org-a", "org-b", None)] == [True, False, True]
    assert [shared.visible_to(o) for o in ("org-a", "org-b", "org-c")] == [True, True, False]
    assert public.visible_to("anyone")


@pytest.mark.parametrize("size", [(256, 256), (300, 200), (1024, 768)])
async def test_mirrored_copy_matches_exactly_at_any_size(
    service: HashService, size: tuple[int, int]
) -> None:
    """Dihedral variants drift on small images; the mirrored-pixel query makes mirrors exact."""
    await service.create_list("tve", created_by="a")
    original = synthetic_photo(11, size)
    for h in await service.hash_bytes(encode(original, "PNG")):
        if h.signal in {"pdq", "phash"}:
            await service.add_entry("tve", h.signal, h.value, added_by="a", quality=h.quality)
    mirrored = encode(original.transpose(Image.Transpose.FLIP_LEFT_RIGHT), "PNG")
    results = {r.query.signal: r for r in await service.match_bytes(mirrored, name="m.png")}
    assert [m.distance for m in results["pdq"].matches] == [0]
    assert [m.distance for m in results["phash"].matches] == [0]


async def test_write_observers_hear_committed_writes_and_cannot_undo_them(
    service: HashService, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[tuple[str, str, str]] = []

    async def listener(events: Sequence[WriteEvent]) -> None:
        heard.extend((e.action, e.actor, e.target) for e in events)

    async def broken(events: Sequence[WriteEvent]) -> None:
        raise RuntimeError("audit store is down")

    service.add_write_observer(broken)
    service.add_write_observer(listener)
    service.add_write_observer(listener)  # registered once
    await service.create_list("l", created_by="ana")
    entry = await service.add_entry("l", "pdq", PDQ, added_by="ana", quality=100)
    await service.add_entry("l", "pdq", PDQ, added_by="bo", quality=100)  # already there
    await service.remove_entry(entry.id, reason="test", removed_by="bo")
    assert heard == [
        ("list.create", "ana", "list:l"),
        ("entry.add", "ana", f"entry:{entry.id}"),
        ("entry.remove", "bo", f"entry:{entry.id}"),
    ]
    assert "a write observer failed" in caplog.text  # logged; the writes stand
    assert (await service.get_entry(entry.id)).removed_by == "bo"
    service.remove_write_observer(listener)
    await service.create_list("m", created_by="ana")
    assert len(heard) == 3


async def test_index_tables_are_rebuilt_in_the_background_while_matching_goes_on(
    tmp_path: Path,
) -> None:
    async with open_hash_service(str(tmp_path / "bg.db")) as service:
        await service.create_list("l", created_by="a")
        index = service._live.indexes["pdq"].entries  # the PDQ entries' HammingIndex
        index.tail_limit = 10  # so a few adds need a rebuild (8,192 by default)
        rng = random.Random(60)  # unrelated hashes: ~128 bits apart
        values = [f"{rng.getrandbits(256):064x}" for _ in range(60)]
        items = [NewEntry("pdq", v, allow_low_quality=True) for v in values]
        await service.add_entries("l", items[:40], added_by="a")
        await service.refresh()
        assert index.unbuilt_rows == 0  # mostly new rows: built at once
        await service.add_entries("l", items[40:], added_by="a")
        await service.refresh()  # 20 rows past the tables: a build starts aside
        assert index.unbuilt_rows == 20 and service._live.rebuilds
        for value in (values[3], values[55]):  # found meanwhile, by the scan of the tail
            assert [m.entry.value for m in (await service.match("pdq", value)).matches] == [value]
        await asyncio.gather(*service._live.rebuilds.values())
        assert index.unbuilt_rows == 0 and not service._live.rebuilds
        assert [m.entry.value for m in (await service.match("pdq", values[55])).matches] == [
            values[55]
        ]
