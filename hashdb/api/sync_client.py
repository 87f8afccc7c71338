"""The sync client: pull a remote crisisbot API's delta feed into a local mirror.

``sync_from`` reads ``GET /v1/changes`` page by page from the cursor stored for that source,
applies each page to the local hash service (adds into lists named ``<prefix><remote list>``,
removals of the entries it mirrored earlier), then stores the page's ``next_cursor``. Applying a
page is idempotent (the remote-to-local entry map is consulted before every add and removal), so
an interruption at any point, even between applying a page and saving its cursor, is repaired by
simply running the sync again.

Mirror lists copy the remote list's kind, thresholds, labels and exercise flag, and are created
``public`` on the local copy (the local server's keys are the platform's own). Drill lists are
pulled only with ``include_exercise`` (and a key allowed to ask); that mode keeps a cursor of its
own, so a mirror first synced without drills gets them all the first time it asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from hashdb.access import AccessStore
from hashdb.content_hash import HashVariant
from hashdb.errors import EntryNotFound, HashDBError, ListNotFound
from hashdb.records import NewEntry

__all__ = ["SyncError", "SyncReport", "sync_from"]


class SyncError(HashDBError):
    """The remote API could not be reached or refused the request."""


@dataclass
class SyncReport:
    source: str
    cursor: str
    pages: int = 0
    added: int = 0
    removed: int = 0
    skipped: int = 0
    lists_created: list[str] = field(default_factory=list)
    complete: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "cursor": self.cursor,
            "pages": self.pages,
            "added": self.added,
            "removed": self.removed,
            "skipped": self.skipped,
            "lists_created": self.lists_created,
            "complete": self.complete,
        }


class _Remote:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, key: str, drills: bool):
        self._session = session
        self._base = base_url
        self._headers = {"Authorization": f"Bearer {key}"}
        self._params = {"include_exercise": "true"} if drills else {}

    async def get(self, path: str, **params: str) -> Any:
        url = self._base + path
        try:
            async with self._session.get(
                url, headers=self._headers, params={**self._params, **params}
            ) as resp:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
                if resp.status != 200:
                    message = (body or {}).get("error", {}).get("message", resp.reason)
                    raise SyncError(f"{url}: HTTP {resp.status}: {message}")
                return body
        except aiohttp.ClientError as exc:
            raise SyncError(f"{url}: {exc}") from None


class _Mirror:
    """Applies changes to the local service, remembering remote -> local entry ids."""

    def __init__(self, svc: Any, store: AccessStore, source: str, prefix: str, remote: _Remote):
        self.svc = svc
        self.store = store
        self.source = source
        self.prefix = prefix
        self.remote = remote
        self.actor = f"sync:{source}"
        self.known: dict[str, Any] = {}

    async def local_list(self, remote_name: str, report: SyncReport) -> Any:
        name = self.prefix + remote_name
        if name in self.known:
            return self.known[name]
        try:
            hash_list = await self.svc.get_list(name)
        except ListNotFound:
            meta = await self.remote.get(f"/v1/lists/{remote_name}")
            hash_list = await self.svc.create_list(
                name,
                description=f"mirror of {remote_name!r} from {self.source}",
                labels=meta.get("labels", []),
                thresholds=meta.get("thresholds", {}),
                kind=meta.get("kind", "block"),
                exercise=bool(meta.get("exercise", False)),
                owner=meta.get("owner"),
                visibility="public",
                created_by=self.actor,
            )
            report.lists_created.append(name)
        self.known[name] = hash_list
        return hash_list

    async def add(self, changes: list[dict[str, Any]], report: SyncReport) -> None:
        if not changes:
            return
        hash_list = await self.local_list(changes[0]["list_name"], report)
        fresh = []
        for change in changes:
            if await self.store.mirror_entry(self.source, str(change["entry"]["id"])) is None:
                fresh.append(change["entry"])
        report.skipped += len(changes) - len(fresh)
        if not fresh:
            return
        items = [
            NewEntry(
                signal=e["signal"],
                value=e["value"],
                labels=tuple(e.get("labels", ())),
                source=e.get("source") or self.source,
                incident_id=e.get("incident_id"),
                quality=e.get("quality"),
                allow_low_quality=True,  # the source already decided to list it
                exercise=bool(hash_list.exercise),
                # derived search hashes (crops of the original): the copy matches the same way
                variants=tuple(HashVariant(v["kind"], v["value"]) for v in e.get("variants", ())),
            )
            for e in fresh
        ]
        added = await self.svc.add_entries(hash_list.name, items, added_by=self.actor)
        for remote, local in zip(fresh, added, strict=True):
            await self.store.set_mirror_entry(self.source, str(remote["id"]), str(local.id))
        report.added += len(added)

    async def remove(self, change: dict[str, Any], report: SyncReport) -> None:
        local_id = await self.store.mirror_entry(self.source, str(change["entry"]["id"]))
        if local_id is None:
            report.skipped += 1
            return
        reason = change["entry"].get("removal_reason") or "removed at the source"
        try:
            await self.svc.remove_entry(
                int(local_id), reason=f"removed at {self.source}: {reason}", removed_by=self.actor
            )
            report.removed += 1
        except EntryNotFound:  # already removed by an earlier, interrupted run
            report.skipped += 1


async def _apply_page(mirror: _Mirror, changes: list[dict[str, Any]], report: SyncReport) -> None:
    """Apply in order; consecutive adds to one list go in one all-or-nothing batch."""
    run: list[dict[str, Any]] = []
    for change in changes:
        if change["kind"] == "add" and (not run or run[0]["list_name"] == change["list_name"]):
            run.append(change)
            continue
        await mirror.add(run, report)
        run = []
        if change["kind"] == "add":
            run.append(change)
        else:
            await mirror.remove(change, report)
    await mirror.add(run, report)


async def sync_from(
    base_url: str,
    key: str,
    *,
    hash_service: Any,
    access_store: AccessStore,
    clock: Callable[[], datetime],
    prefix: str = "mirror.",
    page_size: int = 1000,
    include_exercise: bool = False,
    max_pages: int | None = None,
    session: aiohttp.ClientSession | None = None,
) -> SyncReport:
    """Pull every change since the stored cursor (or ``max_pages`` pages) into the local copy."""
    source = base_url.rstrip("/")
    # each mode keeps its own cursor: turning ``include_exercise`` on later replays the feed from
    # the start for the drill lists the first syncs left out (re-applying a page is idempotent)
    cursor_key = f"{source} +exercise" if include_exercise else source
    cursor = await access_store.get_cursor(cursor_key) or "0"
    report = SyncReport(source=source, cursor=cursor)
    own_session = session is None
    client = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
    try:
        remote = _Remote(client, source, key, include_exercise)
        mirror = _Mirror(hash_service, access_store, source, prefix, remote)
        while max_pages is None or report.pages < max_pages:
            page = await remote.get("/v1/changes", since=cursor, limit=str(page_size))
            await _apply_page(mirror, page["changes"], report)
            cursor = page["next_cursor"]
            await access_store.set_cursor(cursor_key, cursor, clock())
            report.pages += 1
            report.cursor = cursor
            if not page["has_more"]:
                report.complete = True
                break
    finally:
        if own_session:
            await client.close()
    return report
