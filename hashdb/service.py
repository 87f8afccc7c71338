"""``HashService``: the hash database's one public entry point for adapters.

Lists and entries come from ``ListCatalogue``; this module adds matching on top. The parts, each
in its own module:

- ``hashdb.catalogue``: lists and entries (create, add, remove, read, verdicts, the change log),
  every write checked, committed and announced;
- ``hashdb.list_rules``: what a list and an entry must be (names, labels, drill separation; the
  signal type's own checks: form, low quality, variants, thresholds);
- ``hashdb.live_index``: the in-memory index of every signal type, kept in step with the store's
  change log (refresh, background table builds, list tags);
- ``hashdb.matcher``: searching it and building ``MatchResult`` (per-list thresholds, allow lists,
  likely-bad-hash flags);
- ``hashdb.write_events``: the observers told of every committed write (not the audit log: the
  store writes that in each write's own transaction, ``hashdb.audit_log``).

Every match first refreshes the index so rows written by any process are visible. What differs
between signal types lives with the types (``hashdb.signals``): adding one edits nothing here
(``docs/signal-types.md``).

Construct with ``open_hash_service(db, ...)`` (an async context manager). The service imports no
adapter and takes its seams (store, clock, limits) as arguments.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from hashdb.bad_hash import BadHashRule
from hashdb.catalogue import ListCatalogue, system_clock
from hashdb.content_hash import ContentHash, QueryHash
from hashdb.decoding import HashLimits
from hashdb.entry_cache import EntryCache
from hashdb.hashing import (
    hash_bytes,
    hash_bytes_for_query,
    hash_path_for_query,
    looks_like_video_file,
)
from hashdb.hashing_pool import HashingPool
from hashdb.live_index import LiveIndex
from hashdb.matcher import Matcher
from hashdb.records import HashList, MatchResult
from hashdb.signals import get_signal
from hashdb.store import HashStore, make_store
from hashdb.video.container import looks_like_video

__all__ = ["HashService", "open_hash_service", "system_clock"]


class HashService(ListCatalogue):
    """Hash lists and entries (``ListCatalogue``) and matching over a ``HashStore``. See
    ``open_hash_service``."""

    def __init__(
        self,
        store: HashStore,
        *,
        limits: HashLimits | None = None,
        clock: Callable[[], datetime] | None = None,
        bad_hash_min_sources: int = 2,
    ) -> None:
        super().__init__(store, clock=clock)
        self.limits = limits or HashLimits()
        self._entry_cache = EntryCache()
        self._live = LiveIndex(store, self._entry_cache)
        self._matcher = Matcher(
            self._live,
            self._entry_cache,
            BadHashRule(min_sources=bad_hash_min_sources),
        )
        self._hashing = HashingPool(self.limits.max_concurrent_decodes)
        # videos take seconds to minutes: a pool of their own, so uploads of pictures never wait
        # behind them (``HashLimits.max_concurrent_videos``)
        self._video_hashing = HashingPool(self.limits.max_concurrent_videos)

    def _list_created(self, hash_list: HashList) -> None:
        self._live.lists[hash_list.name] = hash_list

    # -- index ------------------------------------------------------------------------------
    async def refresh(self) -> int:
        """Apply change-log rows written since the last refresh (by any process); returns seq."""
        return await self._live.refresh()

    async def _reload_lists(self) -> None:
        await self._live.reload_lists()

    async def close(self) -> None:
        """Wait for background index builds, stop the hashing threads (called by
        ``open_hash_service`` on exit)."""
        self._hashing.close()
        self._video_hashing.close()
        await self._live.close()

    def index_sizes(self) -> dict[str, int]:
        """Live entries per signal type in this process's index (after the last refresh)."""
        return self._live.sizes()

    def index_rows(self) -> dict[str, int]:
        """Indexed hashes per signal type: live entries plus their stored variants."""
        return self._live.rows()

    # -- matching ---------------------------------------------------------------------------
    async def _match_queries(
        self,
        queries: Sequence[QueryHash],
        lists: Collection[str] | None,
        include_exercise: bool,
    ) -> list[MatchResult]:
        await self.refresh()
        return await self._matcher.match_queries(queries, lists, include_exercise)

    async def match(
        self,
        signal: str,
        value: str,
        *,
        lists: Collection[str] | None = None,
        include_exercise: bool = False,
    ) -> MatchResult:
        """Every entry within its list's threshold of one hash (InvalidHash if malformed).

        ``lists`` restricts the search (ListNotFound for an unknown name); exercise lists are
        searched only with ``include_exercise``. Allow-list hits come back in ``allow_matches``.
        """
        (result,) = await self.match_many(
            [(signal, value)], lists=lists, include_exercise=include_exercise
        )
        return result

    async def match_many(
        self,
        queries: Sequence[tuple[str, str]],
        *,
        lists: Collection[str] | None = None,
        include_exercise: bool = False,
    ) -> list[MatchResult]:
        """``match`` for a batch, in order; every hash is validated before any is searched."""
        parsed = []
        for signal_name, value in queries:
            signal = get_signal(signal_name)
            parsed.append(signal.query_hash(signal.parse(value)))
        return await self._match_queries(parsed, lists, include_exercise)

    async def match_bytes(
        self,
        data: bytes,
        *,
        name: str = "<upload>",
        lists: Collection[str] | None = None,
        include_exercise: bool = False,
    ) -> list[MatchResult]:
        """Hash ``data`` (never stored) and match every hash: md5, sha256, pdq, phash.

        An image's PDQ is searched with its 8 dihedral variants (rotated and mirrored copies match),
        both PDQ and pHash with the hash of the mirrored pixels and of the content inside uniform
        borders (``hashdb.hashing.hash_bytes_for_query``); stored variants of entries added from
        pixels are searched too. A result carries the original hash as ``query`` and each entry
        once, at its smallest distance (``Match.matched_variant`` says which stored variant gave
        it). A video gives md5, sha256 and one ``vpdq`` result, whose matches carry the shares and
        time ranges in ``Match.detail`` (``hashdb.video``). Hashed in the service's hashing pool,
        as ``hash_bytes``.
        """
        pool = self._pool(data)
        queries = await pool.run(hash_bytes_for_query, data, name=name, limits=self.limits)
        return await self._match_queries(queries, lists, include_exercise)

    async def match_file(
        self,
        path: str | os.PathLike[str],
        *,
        lists: Collection[str] | None = None,
        include_exercise: bool = False,
    ) -> list[MatchResult]:
        """``match_bytes`` of a file; a video is streamed from disk (``video_max_file_bytes``,
        ``hashdb.hashing.hash_path_for_query``), in the video pool."""
        try:
            video = looks_like_video_file(path)
        except OSError:
            video = False  # hashing reports it, with the file's name
        pool = self._video_hashing if video else self._hashing
        queries = await pool.run(hash_path_for_query, path, limits=self.limits)
        return await self._match_queries(queries, lists, include_exercise)

    async def hash_bytes(
        self, data: bytes, *, name: str = "<upload>", variants: bool = False
    ) -> list[ContentHash]:
        """``hashdb.hash_bytes`` with this service's limits, in its hashing pool: off the event
        loop, at most ``limits.max_concurrent_decodes`` at once (``hashdb.hashing_pool``); a
        video in the video pool, at most ``limits.max_concurrent_videos`` at once."""
        return await self._pool(data).run(
            hash_bytes, data, name=name, limits=self.limits, variants=variants
        )

    def _pool(self, data: bytes) -> HashingPool:
        return self._video_hashing if looks_like_video(data) else self._hashing


@asynccontextmanager
async def open_hash_service(
    db: str,
    *,
    limits: HashLimits | None = None,
    clock: Callable[[], datetime] | None = None,
    bad_hash_min_sources: int = 2,
    store: HashStore | None = None,
    schema: str | None = None,
) -> AsyncIterator[HashService]:
    """Open the store for ``db`` (SQLite path or ``postgresql://`` DSN), migrate, load the index.

    ``schema`` selects a PostgreSQL schema (created if missing); ``store`` overrides ``db`` with a
    ready-made (unopened) store. ``bad_hash_min_sources``: how many distinct sources' false-positive
    verdicts flag an entry as a likely bad hash (``hashdb.bad_hash``).
    """
    backend = store or make_store(db, schema=schema)
    await backend.open()
    try:
        service = HashService(
            backend,
            limits=limits,
            clock=clock,
            bad_hash_min_sources=bad_hash_min_sources,
        )
        await service.refresh()
        await service._reload_lists()
        try:
            yield service
        finally:
            await service.close()
    finally:
        await backend.close()
