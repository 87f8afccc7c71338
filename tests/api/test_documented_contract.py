"""Promises of README's "Lookup API for platforms" and /v1/openapi.json that a platform relies on.

Each test pins a point where the running server and its documentation once disagreed (found by
calling the API as an outside client would), so that they cannot drift apart again.
"""

from __future__ import annotations

from .conftest import ApiEnv
from .helpers import pdq


async def test_hma_lookup_marks_matches_in_exercise_lists(api: ApiEnv) -> None:
    """README: every match touching a drill list carries ``"drill": true`` — HMA's answer too,
    while real matches keep HMA's exact two-field shape."""
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    await api.svc.create_list("drill", visibility="public", exercise=True, created_by="t")
    real = await api.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
    drill = await api.svc.add_entry("drill", "pdq", pdq(1), added_by="t", exercise=True)
    token = await api.key(exercise=True)
    lookup = f"/m/lookup?signal_type=pdq&signal={pdq(1)}"

    status, body, _ = await api.call("GET", lookup + "&include_exercise=true", token)
    assert status == 200
    assert body == {
        "gifct": [{"bank_content_id": real.id, "distance": "0"}],
        "drill": [{"bank_content_id": drill.id, "distance": "0", "drill": True}],
    }
    status, body, _ = await api.call("GET", lookup, token)
    assert body == {"gifct": [{"bank_content_id": real.id, "distance": "0"}]}
