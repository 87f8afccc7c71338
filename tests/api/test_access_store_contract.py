"""One contract for every AccessStore (SQLite and PostgreSQL), driven through AccessService."""

from __future__ import annotations

import asyncio

import pytest

from hashdb.access import (
    AccessService,
    AccessStore,
    AuditAction,
    InvalidKeyRequest,
    KeyNotFound,
    NotAuthenticated,
    Scope,
)
from hashdb.access.api_keys import hash_token

from .conftest import FakeClock


async def test_issued_key_authenticates_and_is_stored_only_as_a_hash(
    access_store: AccessStore, clock: FakeClock
) -> None:
    access = AccessService(access_store, clock=clock, key_cache_seconds=0)
    issued = await access.issue_key(platform="smallsite", scope="contribute", created_by="cli:ops")
    key = await access.authenticate(issued.token)
    assert key.platform == "smallsite" and key.scope is Scope.CONTRIBUTE
    found = await access_store.find_key(key.key_id)
    assert found is not None
    stored_key, stored_hash = found
    assert stored_hash == hash_token(issued.token) and issued.token not in repr(stored_key)
    assert stored_key.created_at == clock.now


async def test_wrong_unknown_malformed_and_missing_tokens_are_refused(
    access_store: AccessStore, clock: FakeClock
) -> None:
    access = AccessService(access_store, clock=clock, key_cache_seconds=0)
    issued = await access.issue_key(platform="p", scope="query", created_by="t")
    forged = issued.token[:-4] + ("AAAA" if not issued.token.endswith("AAAA") else "BBBB")
    for token, needle in [
        (forged, "unknown"),
        ("cbk_000000000000_" + "x" * 43, "unknown"),
        ("not-a-key", "malformed"),
        (None, "required"),
    ]:
        with pytest.raises(NotAuthenticated, match=needle):
            await access.authenticate(token)


async def test_revocation_is_immediate_and_audited(
    access_store: AccessStore, clock: FakeClock
) -> None:
    access = AccessService(access_store, clock=clock, key_cache_seconds=60)
    issued = await access.issue_key(platform="p", scope="admin", created_by="cli:ops")
    await access.authenticate(issued.token)  # now cached
    clock.advance(5)
    revoked = await access.revoke_key(issued.key.key_id, revoked_by="cli:boss")
    assert revoked.revoked_at == clock.now and revoked.revoked_by == "cli:boss"
    with pytest.raises(NotAuthenticated, match="revoked"):
        await access.authenticate(issued.token)
    actions = [(r.action, r.actor, r.target) for r in await access.audit()]
    assert actions == [
        (AuditAction.KEY_REVOKE, "cli:boss", f"key:{issued.key.key_id}"),
        (AuditAction.KEY_CREATE, "cli:ops", f"key:{issued.key.key_id}"),
    ]
    with pytest.raises(KeyNotFound):
        await access.revoke_key("ffffffffffff", revoked_by="x")


async def test_revocation_from_another_process_is_seen_after_the_cache_expires(
    access_store: AccessStore, clock: FakeClock
) -> None:
    server = AccessService(access_store, clock=clock, key_cache_seconds=5)
    cli = AccessService(access_store, clock=clock, key_cache_seconds=5)
    issued = await cli.issue_key(platform="p", scope="query", created_by="cli")
    await server.authenticate(issued.token)
    await cli.revoke_key(issued.key.key_id, revoked_by="cli")
    clock.advance(5)
    with pytest.raises(NotAuthenticated, match="revoked"):
        await server.authenticate(issued.token)


async def test_bad_key_requests_change_nothing(access_store: AccessStore, clock: FakeClock) -> None:
    access = AccessService(access_store, clock=clock)
    with pytest.raises(InvalidKeyRequest, match="scope"):
        await access.issue_key(platform="p", scope="root", created_by="t")
    with pytest.raises(InvalidKeyRequest, match="platform"):
        await access.issue_key(platform="bad name!", scope="query", created_by="t")
    assert await access.keys() == []
    assert await access.audit() == []


async def test_query_counts_are_flushed_per_key(
    access_store: AccessStore, clock: FakeClock
) -> None:
    access = AccessService(access_store, clock=clock)
    a = await access.issue_key(platform="a", scope="query", created_by="t")
    b = await access.issue_key(platform="b", scope="query", created_by="t")
    access.admit(a.key, queries=1)
    access.admit(a.key, queries=100)
    access.admit(b.key, queries=2)
    counts = {k.platform: k.query_count for k in await access.keys()}
    assert counts == {"a": 101, "b": 2}
    access.admit(b.key, queries=3)
    await access.flush_usage()
    assert {k.platform: k.query_count for k in await access_store.keys()} == {"a": 101, "b": 5}


async def test_audit_filters_and_sync_state(access_store: AccessStore, clock: FakeClock) -> None:
    access = AccessService(access_store, clock=clock)
    await access.record("api:p/1", AuditAction.ENTRY_ADD, "entry:e1", {"list": "l"})
    await access.record("api:q/2", AuditAction.ENTRY_REMOVE, "entry:e1", {"reason": "fp"})
    removed = await access.audit(action=AuditAction.ENTRY_REMOVE)
    assert [(r.actor, r.detail) for r in removed] == [("api:q/2", {"reason": "fp"})]
    assert [r.target for r in await access.audit(actor="api:p/1")] == ["entry:e1"]

    assert await access_store.get_cursor("https://x") is None
    await access_store.set_cursor("https://x", "5", clock.now)
    await access_store.set_cursor("https://x", "9", clock.now)
    assert await access_store.get_cursor("https://x") == "9"
    assert await access_store.mirror_entry("https://x", "r1") is None
    await access_store.set_mirror_entry("https://x", "r1", "l1")
    assert await access_store.mirror_entry("https://x", "r1") == "l1"
    assert await access_store.mirror_entry("https://y", "r1") is None


async def test_transactions_begun_together_all_commit(
    access_store: AccessStore, clock: FakeClock
) -> None:
    """Keys issued while usage is flushed: each write waits its turn instead of failing."""
    access = AccessService(access_store, clock=clock)
    first = await access.issue_key(platform="p", scope="query", created_by="t")
    access.admit(first.key, queries=3)
    issued = await asyncio.gather(
        access.flush_usage(),
        *(access.issue_key(platform=f"p{i}", scope="query", created_by="t") for i in range(10)),
    )
    assert len(await access.keys()) == 11 and len(issued) == 11
    assert {k.platform: k.query_count for k in await access_store.keys()}["p"] == 3
    assert len(await access.audit(action=AuditAction.KEY_CREATE)) == 11
