"""Failed authentications are throttled per client address (once: 2,000 wrong secrets in 0.4 s,
every one looked up). Through the real server on loopback; two clients are told apart by a
trusted proxy's ``X-Forwarded-For``, the way a deployment behind a reverse proxy sees them."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from hashdb.access.rate_limit import RateLimiter
from hashdb.api.client_address import ClientAddresses
from hashdb.errors import InvalidArgument

from .conftest import ApiEnv, FakeClock, running_api
from .helpers import pdq

LOOKUP = f"/v1/match?signal=pdq&value={pdq(1)}"


def _from(client: str) -> dict[str, str]:
    return {"X-Forwarded-For": client}


async def test_a_guessing_client_is_refused_then_forgiven_and_others_are_not_affected(
    tmp_path: Path, clock: FakeClock
) -> None:
    limits = {
        "auth_failure_burst": 5,
        "auth_failures_per_minute": 30,
        "trusted_proxies": ["127.0.0.1"],
    }
    async with running_api(tmp_path, clock, **limits) as api:
        good = await api.key("small")
        forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
        guesser, neighbour = _from("203.0.113.9"), _from("198.51.100.7")

        answers = [
            await api.call("GET", LOOKUP, token, headers=guesser)
            for token in [forged, None, "not-a-key", forged, forged]
        ]
        assert [status for status, _, _ in answers] == [401] * 5
        status, body, headers = await api.call("GET", LOOKUP, forged, headers=guesser)
        assert (status, body["error"]["code"]) == (429, "auth_throttled")
        assert headers["Retry-After"] == "2"  # one failure every 2 s refills
        # refused before the key is looked at: a right guess now looks like a wrong one
        status, body, _ = await api.call("GET", LOOKUP, good, headers=guesser)
        assert (status, body["error"]["code"]) == (429, "auth_throttled")

        assert (await api.call("GET", LOOKUP, good, headers=neighbour))[0] == 200
        assert (await api.call("GET", LOOKUP, forged, headers=neighbour))[0] == 401

        clock.advance(2)
        assert (await api.call("GET", LOOKUP, good, headers=guesser))[0] == 200
        assert (await api.call("GET", LOOKUP, forged, headers=guesser))[0] == 401
        assert (await api.call("GET", LOOKUP, forged, headers=guesser))[0] == 429


async def test_a_client_cannot_pose_as_another_without_a_trusted_proxy(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Without ``trusted_proxies`` the header is the client's own claim: ignored."""
    async with running_api(tmp_path, clock, auth_failure_burst=2) as api:
        good = await api.key("small")
        for n in range(2):
            status, _, _ = await api.call("GET", LOOKUP, "not-a-key", headers=_from(f"10.0.0.{n}"))
            assert status == 401
        status, body, _ = await api.call("GET", LOOKUP, good, headers=_from("10.0.0.99"))
        assert (status, body["error"]["code"]) == (429, "auth_throttled")


async def test_good_keys_are_never_counted(api: ApiEnv) -> None:
    good = await api.key("small")
    statuses = {(await api.call("GET", LOOKUP, good))[0] for _ in range(60)}
    assert statuses == {200}  # 60 > the default burst of 20 failures


def _request(peer: str, *forwarded: str) -> web.Request:
    transport = mock.Mock()
    transport.get_extra_info.return_value = (peer, 1234)
    headers = CIMultiDict(("X-Forwarded-For", value) for value in forwarded)
    return make_mocked_request("GET", "/", headers=headers, transport=transport)


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("192.0.2.1", ("203.0.113.9",), "192.0.2.1"),  # not a proxy: its claim is ignored
        ("10.1.2.3", ("203.0.113.9",), "203.0.113.9"),
        ("10.1.2.3", ("6.6.6.6, 203.0.113.9",), "203.0.113.9"),  # the client wrote 6.6.6.6
        ("10.1.2.3", ("203.0.113.9, 10.9.9.9",), "203.0.113.9"),  # two proxies in a chain
        ("10.1.2.3", ("6.6.6.6", "203.0.113.9"), "203.0.113.9"),  # repeated header
        ("10.1.2.3", (), "10.1.2.3"),  # a proxy that adds nothing is the client
        ("10.1.2.3", ("10.9.9.9",), "10.9.9.9"),  # only proxies: the furthest one
        ("10.1.2.3", ("203.0.113.9, ",), "10.1.2.3"),  # an empty hop: believe nothing further
        ("2001:db8::5", ("2001:db8:1::7",), "2001:db8:1::7"),
    ],
)
def test_the_client_is_the_last_hop_that_is_not_a_trusted_proxy(
    peer: str, forwarded: tuple[str, ...], client: str
) -> None:
    addresses = ClientAddresses(["10.0.0.0/8", "2001:db8::/64"])
    assert addresses.of(_request(peer, *forwarded)) == client


def test_a_bad_trusted_proxy_is_a_configuration_error() -> None:
    with pytest.raises(InvalidArgument, match="trusted_proxies"):
        ClientAddresses(["10.0.0.0/8", "proxy.example.org"])


def test_full_buckets_are_dropped_so_many_addresses_do_not_pile_up(clock: FakeClock) -> None:
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    for n in range(5000):
        assert limiter.check(f"client-{n}").allowed
        clock.advance(1)  # each bucket is full again 1 s after its one failure
    assert len(limiter) <= 1024
    limiter.check("busy")
    limiter.check("busy")
    assert limiter.wait("busy") == 1 and limiter.wait("never-seen") == 0
    assert not limiter.check("busy").allowed  # wait() took nothing, check() still refuses
