"""Hostile or malformed requests through the real server: each gets a 4xx with the documented
error body and changes nothing (once a 500, or worse, a wrong answer).

Every response, errors included, carries the same protective headers and no server version.
"""

from __future__ import annotations

import pytest

from .conftest import ApiEnv
from .helpers import pdq, png_image

#: path segments that are not an entry id: past the stores' 64-bit range, longer than Python's
#: int-string limit, Unicode digits that ``int()`` or ``str.isdigit()`` accept, forms ``int()``
#: accepts but no client writes
NOT_IDS = [
    "99999999999999999999999",
    "9223372036854775808",
    "9" * 5000,
    "²",
    "١",  # ARABIC-INDIC DIGIT ONE: int() reads it as 1
    "１",  # FULLWIDTH DIGIT ONE
    "+1",
    "1_0",
    "0",
    "-1",
]


async def _one_entry(api: ApiEnv) -> int:
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    entry = await api.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
    assert entry.id == 1  # the id some of NOT_IDS would be misread as
    return entry.id


def _short(raw: str) -> str:
    return raw if len(raw) < 30 else f"{raw[:3]}...({len(raw)} chars)"


@pytest.mark.parametrize("raw", NOT_IDS, ids=_short)
async def test_an_entry_id_that_is_not_ascii_digits_in_range_names_no_entry(
    api: ApiEnv, raw: str
) -> None:
    await _one_entry(api)
    token = await api.key("small", "admin")
    for method, path, body in [
        ("GET", f"/v1/entries/{raw}", None),
        ("DELETE", f"/v1/entries/{raw}?reason=x", None),
        ("POST", f"/v1/entries/{raw}/feedback", {"verdict": "confirmed"}),
    ]:
        status, answer, _ = await api.call(method, path, token, json=body)
        assert (status, answer["error"]["code"]) == (404, "entry_not_found"), (method, path)
    assert (await api.svc.get_entry(1)).removed_at is None


@pytest.mark.parametrize(
    "raw", ["9223372036854775808", "9" * 5000, "²", "١", "+1", "-1"], ids=_short
)
async def test_a_cursor_or_page_bound_that_is_not_an_integer_in_range_is_a_400(
    api: ApiEnv, raw: str
) -> None:
    await _one_entry(api)
    token = await api.key()
    for path in [
        f"/v1/changes?since={raw}",
        f"/v1/changes?limit={raw}",
        f"/v1/lists/gifct/entries?after={raw}",
        f"/v1/lists/gifct/entries?limit={raw}",
    ]:
        status, answer, _ = await api.call("GET", path, token)
        assert (status, answer["error"]["code"]) == (400, "invalid_request"), path
        assert len(answer["error"]["message"]) < 200  # a 5,000-digit value is not echoed


async def test_the_largest_cursor_and_id_are_answered_normally(api: ApiEnv) -> None:
    await _one_entry(api)
    token = await api.key()
    status, body, _ = await api.call("GET", f"/v1/changes?since={2**63 - 1}", token)
    assert status == 200 and body["changes"] == []
    status, body, _ = await api.call("GET", f"/v1/entries/{2**63 - 1}", token)
    assert (status, body["error"]["code"]) == (404, "entry_not_found")


async def _upload(api: ApiEnv, token: str, content_type: str, data: bytes) -> tuple[int, dict]:
    headers = {"Content-Type": content_type}
    status, body, _ = await api.call("POST", "/v1/match/upload", token, data=data, headers=headers)
    return status, body


async def test_malformed_multipart_bodies_are_400(api: ApiEnv) -> None:
    token = await api.key()
    part = (
        b"--real\r\nContent-Disposition: form-data; name=file; filename=a.png\r\n\r\n"
        + png_image()
        + b"\r\n--real--\r\n"
    )
    for content_type, data in [
        ("multipart/form-data", part),  # no boundary at all
        ("multipart/form-data; boundary=other", part),  # a boundary the body does not use
        ("multipart/form-data; boundary=" + "b" * 200, part),  # longer than RFC 2046 allows
        ("multipart/form-data; boundary=real", part[: part.index(b"\r\n")]),  # no part at all
    ]:
        status, body = await _upload(api, token, content_type, data)
        assert (status, body["error"]["code"]) == (400, "invalid_request"), content_type
        assert "multipart" in body["error"]["message"]
    status, body = await _upload(api, token, "multipart/form-data; boundary=real", part)
    assert status == 200 and body["file"]["name"] == "a.png"  # the same body, well framed


async def test_an_entry_marked_drill_never_lands_in_a_real_list(api: ApiEnv) -> None:
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    await api.svc.create_list("drill", visibility="public", exercise=True, created_by="t")
    contributor = await api.key("small", "contribute", exercise=True)

    async def add(list_name: str, **extra: object) -> tuple[int, dict]:
        entry = {"signal": "pdq", "value": pdq(7), **extra}
        status, body, _ = await api.call(
            "POST",
            f"/v1/lists/{list_name}/entries?include_exercise=true",
            contributor,
            json={"entries": [{"signal": "pdq", "value": pdq(8)}, entry]},
        )
        return status, body

    status, body = await add("gifct", drill=True)
    assert (status, body["error"]["code"]) == (403, "drill_list_violation")
    status, body = await add("drill", drill=False)
    assert (status, body["error"]["code"]) == (403, "drill_list_violation")
    status, body = await add("gifct", drill="yes")
    assert (status, body["error"]["code"]) == (400, "invalid_request")
    assert "entries[1].drill" in body["error"]["message"]
    assert await api.svc.entries("gifct") == [] and await api.svc.entries("drill") == []

    status, body = await add("gifct", drill=False)
    assert status == 201 and [e["drill"] for e in body["entries"]] == [False, False]
    status, body = await add("drill")  # unsaid: the list's kind, as before
    assert status == 201 and [e["drill"] for e in body["entries"]] == [True, True]
    assert [len(await api.svc.entries(name)) for name in ("gifct", "drill")] == [2, 2]


EXPECTED_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


async def test_every_response_carries_the_protective_headers_and_no_version(api: ApiEnv) -> None:
    await _one_entry(api)
    token = await api.key()
    for method, path, auth, expected_status in [
        ("GET", "/v1/health", None, 200),
        ("GET", "/metrics", None, 200),
        ("GET", "/v1/openapi.json", None, 200),
        ("GET", f"/v1/match?signal=pdq&value={pdq(1)}", token, 200),
        ("GET", "/v1/lists/gifct/export?format=text", token, 200),  # streamed
        ("GET", "/v1/lists", None, 401),
        ("GET", "/v1/entries/²", token, 404),
        ("GET", "/v1/nowhere", None, 404),
        ("PUT", "/v1/health", None, 405),
    ]:
        auth_header = {"Authorization": f"Bearer {auth}"} if auth else {}
        async with api.session.request(method, api.url + path, headers=auth_header) as response:
            await response.read()
            status, headers = response.status, response.headers
        assert status == expected_status, path
        assert {name: headers.get(name) for name in EXPECTED_HEADERS} == EXPECTED_HEADERS, path
        assert headers["Server"] == "crisisbot", path
