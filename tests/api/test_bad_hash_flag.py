"""The "likely bad hash" flag through the real server: one platform cannot set it for the others,
two platforms' false-positive verdicts do."""

from __future__ import annotations

from typing import Any

from .conftest import ApiEnv
from .helpers import flip, pdq


async def _flag(api: ApiEnv, token: str, value: str) -> bool:
    status, body, _ = await api.call("GET", f"/v1/match?signal=pdq&value={value}", token)
    assert status == 200, body
    (match,) = body["matches"]
    flag: Any = match["likely_bad_hash"]
    return bool(flag)


async def test_one_platforms_lookups_do_not_flag_an_entry_for_the_others(api: ApiEnv) -> None:
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    entry = await api.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
    flooder, other = await api.key("flooder"), await api.key("other")
    for i in range(250):  # copies of genuine content, or a caller trying to discredit the entry
        assert not await _flag(api, flooder, flip(pdq(1), i % 8))
    assert not await _flag(api, other, pdq(1))
    # nor do its false-positive verdicts, however many keys it holds
    second_key = await api.key("flooder")
    feedback = f"/v1/entries/{entry.id}/feedback"
    for token in (flooder, second_key, flooder):
        status, _, _ = await api.call("POST", feedback, token, json={"verdict": "false_positive"})
        assert status == 201
    assert not await _flag(api, other, pdq(1))
    # a second platform's verdict is evidence one caller cannot manufacture: flagged for everyone
    status, _, _ = await api.call("POST", feedback, other, json={"verdict": "false_positive"})
    assert status == 201
    assert await _flag(api, other, pdq(1)) and await _flag(api, await api.key("third"), pdq(1))
