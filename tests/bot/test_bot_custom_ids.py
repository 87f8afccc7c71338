from __future__ import annotations

import pytest

from bot.custom_ids import (
    MAX_CUSTOM_ID,
    CustomIdError,
    StepButtonId,
    UploadAddId,
    parse_step_id,
    parse_upload_add_id,
    step_button_id,
    upload_add_id,
)


@pytest.mark.parametrize("action", ["done", "skip", "own"])
def test_step_id_round_trips(action: str) -> None:
    custom_id = step_button_id("inc-20261125-ab12", "notify_gifct", action)
    assert custom_id == f"cb:step:inc-20261125-ab12:notify_gifct:{action}"
    assert parse_step_id(custom_id) == StepButtonId("inc-20261125-ab12", "notify_gifct", action)


def test_upload_add_id_round_trips() -> None:
    assert parse_upload_add_id(upload_add_id("gifct-tve")) == UploadAddId("gifct-tve")


@pytest.mark.parametrize(
    ("incident", "step", "action"),
    [("a:b", "s", "done"), ("a", "", "done"), ("a", "s", "explode"), ("i" * 60, "s" * 40, "done")],
)
def test_bad_step_ids_are_refused(incident: str, step: str, action: str) -> None:
    with pytest.raises(CustomIdError):
        step_button_id(incident, step, action)


def test_longest_accepted_id_fits_discord_limit() -> None:
    custom_id = step_button_id("i" * 40, "s" * 46, "skip")
    assert len(custom_id) == MAX_CUSTOM_ID


@pytest.mark.parametrize(
    "custom_id",
    ["cb:step:a:b:nope", "cb:step:a:b", "xx:step:a:b:done", "cb:upadd:", "cb:step:a:b:c:done"],
)
def test_foreign_ids_do_not_parse(custom_id: str) -> None:
    assert parse_step_id(custom_id) is None
    assert parse_upload_add_id(custom_id) is None
