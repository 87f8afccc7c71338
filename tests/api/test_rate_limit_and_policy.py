from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from hashdb.access import (
    ApiKey,
    Forbidden,
    Scope,
    can_read,
    can_remove_entry,
    check_exercise_request,
    require_scope,
)
from hashdb.access.rate_limit import RateLimiter

from .conftest import FakeClock


def test_bucket_allows_burst_then_says_when_to_retry(clock: FakeClock) -> None:
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.check("k").allowed for _ in range(4)] == [True, True, True, False]
    assert limiter.check("k").retry_after_seconds == 1
    assert limiter.check("other").allowed
    clock.advance(2)
    assert [limiter.check("k").allowed for _ in range(3)] == [True, True, False]


def test_batch_cost_beyond_burst_waits_for_a_full_bucket(clock: FakeClock) -> None:
    limiter = RateLimiter(per_minute=60, burst=10, clock=clock)
    assert limiter.check("k", cost=50).allowed
    decision = limiter.check("k", cost=50)
    assert not decision.allowed and decision.retry_after_seconds == 10


@dataclass
class L:
    owner: str | None = "gifct"
    visibility: str = "private"
    shared_with: list[str] = field(default_factory=list)
    exercise: bool = False


def key(platform: str = "small", scope: Scope = Scope.QUERY, exercise: bool = False) -> ApiKey:
    return ApiKey("abcdefabcdef", platform, scope, datetime(2026, 1, 1, tzinfo=UTC), "t", exercise)


@pytest.mark.parametrize(
    ("hash_list", "who", "expected"),
    [
        (L(visibility="public"), key(), True),
        (L(visibility="private"), key(), False),
        (L(visibility="private", owner="small"), key(), True),
        (L(visibility="shared", shared_with=["small"]), key(), True),
        (L(visibility="shared", shared_with=["other"]), key(), False),
        (L(visibility="private"), key(scope=Scope.ADMIN), True),
    ],
)
def test_visibility(hash_list: L, who: ApiKey, expected: bool) -> None:
    assert can_read(who, hash_list) is expected


def test_exercise_lists_need_both_the_key_flag_and_the_request() -> None:
    drill = L(visibility="public", exercise=True)
    assert not can_read(key(scope=Scope.ADMIN), drill)
    assert not can_read(key(exercise=True), drill)
    assert not can_read(key(), drill, include_exercise=True)
    assert can_read(key(exercise=True), drill, include_exercise=True)
    with pytest.raises(Forbidden, match="exercise"):
        check_exercise_request(key(), True)
    assert check_exercise_request(key(exercise=True), True) is True


def test_scopes_and_own_entries() -> None:
    require_scope(key(scope=Scope.ADMIN), Scope.CONTRIBUTE)
    with pytest.raises(Forbidden, match="contribute"):
        require_scope(key(), Scope.CONTRIBUTE)
    contributor = key(scope=Scope.CONTRIBUTE)
    assert can_remove_entry(contributor, contributor.actor)
    assert not can_remove_entry(contributor, "api:other/abcdefabcdef")
    assert not can_remove_entry(key(), key().actor)
    assert can_remove_entry(key(scope=Scope.ADMIN), "cli:someone")
