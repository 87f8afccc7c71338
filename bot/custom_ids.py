"""Custom ids of the bot's persistent components: one template per kind, namespaced ``cb:``.

A persistent button or form (modal) keeps all its state in its ``custom_id`` so that it still
works after a restart (discord.py re-creates a button from the id through a ``DynamicItem``
template; ``bot.forms`` dispatches a form's submit by its id). Discord caps a
custom id at 100 characters, so builders refuse anything longer instead of letting Discord reject
the whole message. Ids of incidents, steps and lists must not contain ``:``, the separator.

This module imports nothing from discord: the templates are plain regular expressions so they can
be tested (and reused by the views) without a client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CORRECT_FORM_TEMPLATE",
    "MAX_CUSTOM_ID",
    "STEP_ACTIONS",
    "STEP_FORM_TEMPLATE",
    "STEP_TEMPLATE",
    "UPLOAD_ADD_TEMPLATE",
    "CustomIdError",
    "StepButtonId",
    "UploadAddId",
    "correct_form_id",
    "parse_step_id",
    "parse_upload_add_id",
    "step_button_id",
    "step_form_id",
    "upload_add_id",
]

MAX_CUSTOM_ID: Final = 100
#: What a checklist button does to its step: complete it, skip it (asks for a reason), take it.
STEP_ACTIONS: Final = ("done", "skip", "own")

_PART = r"[^:]{1,80}"
STEP_TEMPLATE: Final = rf"cb:step:(?P<incident>{_PART}):(?P<step>{_PART}):(?P<action>done|skip|own)"
UPLOAD_ADD_TEMPLATE: Final = rf"cb:upadd:(?P<list>{_PART})"
#: the form a checklist button opens (evidence, or a skip reason): as long as the button's id
STEP_FORM_TEMPLATE: Final = (
    rf"cb:form:(?P<incident>{_PART}):(?P<step>{_PART}):(?P<action>done|skip)"
)
#: the "Correct timeline entry" form of a captured message: incident and entry number
CORRECT_FORM_TEMPLATE: Final = rf"cb:fix:(?P<incident>{_PART}):(?P<entry>[0-9]{{1,12}})"


class CustomIdError(ValueError):
    """A custom id would be too long or contains the ``:`` separator in one of its parts."""


@dataclass(frozen=True)
class StepButtonId:
    incident_id: str
    step_id: str
    action: str


@dataclass(frozen=True)
class UploadAddId:
    list_name: str


def _checked(custom_id: str, *parts: str) -> str:
    for part in parts:
        if not part or ":" in part:
            raise CustomIdError(f"custom id part {part!r} must be non-empty and contain no ':'")
    if len(custom_id) > MAX_CUSTOM_ID:
        raise CustomIdError(
            f"custom id {custom_id!r} has {len(custom_id)} characters; the limit is {MAX_CUSTOM_ID}"
        )
    return custom_id


def step_button_id(incident_id: str, step_id: str, action: str) -> str:
    """``cb:step:{incident}:{step}:{action}`` for a checklist button."""
    if action not in STEP_ACTIONS:
        raise CustomIdError(f"unknown step action {action!r} (known: {', '.join(STEP_ACTIONS)})")
    return _checked(f"cb:step:{incident_id}:{step_id}:{action}", incident_id, step_id)


def step_form_id(incident_id: str, step_id: str, action: str) -> str:
    """``cb:form:{incident}:{step}:{done|skip}`` for the form a checklist button opens."""
    if action not in ("done", "skip"):
        raise CustomIdError(f"no form for step action {action!r}")
    return _checked(f"cb:form:{incident_id}:{step_id}:{action}", incident_id, step_id)


def correct_form_id(incident_id: str, entry: int) -> str:
    """``cb:fix:{incident}:{entry}`` for the form correcting a captured message's entry."""
    return _checked(f"cb:fix:{incident_id}:{entry}", incident_id)


def upload_add_id(list_name: str) -> str:
    """``cb:upadd:{list}`` for the "add this upload to the list" button under a match alert."""
    return _checked(f"cb:upadd:{list_name}", list_name)


def parse_step_id(custom_id: str) -> StepButtonId | None:
    match = re.fullmatch(STEP_TEMPLATE, custom_id)
    if match is None:
        return None
    return StepButtonId(match["incident"], match["step"], match["action"])


def parse_upload_add_id(custom_id: str) -> UploadAddId | None:
    match = re.fullmatch(UPLOAD_ADD_TEMPLATE, custom_id)
    return None if match is None else UploadAddId(match["list"])
