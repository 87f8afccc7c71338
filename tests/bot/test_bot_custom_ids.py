from __future__ import annotations

import re

import pytest

from bot.custom_ids import (
    CORRECT_FORM_TEMPLATE,
    MAX_CUSTOM_ID,
    STEP_FORM_TEMPLATE,
    CustomIdError,
    StepButtonId,
    UploadAddId,
    correct_form_id,
    parse_step_id,
    parse_upload_add_id,
    step_button_id,
    step_form_id,
    upload_add_id,
)
from bot.forms import submitted_values


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


def test_form_ids_match_their_templates_and_fit_where_the_button_fits() -> None:
    form = re.fullmatch(STEP_FORM_TEMPLATE, step_form_id("i" * 40, "s" * 46, "skip"))
    assert form is not None and (form["incident"], form["action"]) == ("i" * 40, "skip")
    assert len(form.string) == len(step_button_id("i" * 40, "s" * 46, "skip"))
    fix = re.fullmatch(CORRECT_FORM_TEMPLATE, correct_form_id("inc-1", 17))
    assert fix is not None and (fix["incident"], fix["entry"]) == ("inc-1", "17")
    with pytest.raises(CustomIdError):
        step_form_id("inc-1", "s", "own")  # taking a step opens no form


def test_submitted_values_reads_inputs_in_rows_and_labels() -> None:
    data = {
        "custom_id": "cb:fix:inc-1:3",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "text", "value": "new"}]},
            {"type": 18, "component": {"type": 4, "custom_id": "reason", "value": "typo"}},
        ],
    }
    assert submitted_values(data) == {"text": "new", "reason": "typo"}
    assert submitted_values(None) == {}
