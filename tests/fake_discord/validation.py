"""Discord's limits on what a bot may send, so the fake refuses what the real API would refuse
(400, code 50035 "Invalid Form Body") instead of letting a test pass on a payload that fails in
production: message content and embed sizes, component rows and custom_id lengths, modal sizes.

Owns only the checks (https://discord.com/developers/docs/resources/message,
/interactions/message-components). Must not import discord.py or aiohttp.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .state import FakeDiscordError

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
FIELD_LIMITS = {"name": 256, "value": 1024}
MAX_ROWS = 5
MAX_ROW_ITEMS = 5
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
MAX_SELECT_OPTIONS = 25
MAX_MODAL_TITLE = 45
COMPONENTS_V2 = 1 << 15


def invalid(path: str, problem: str) -> FakeDiscordError:
    return FakeDiscordError(400, 50035, f"Invalid Form Body: {path}: {problem}")


def check_message(body: Mapping[str, Any]) -> None:
    content = body.get("content") or ""
    if len(content) > MAX_CONTENT:
        raise invalid("content", f"must be {MAX_CONTENT} or fewer in length ({len(content)})")
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        raise invalid("embeds", f"at most {MAX_EMBEDS} embeds ({len(embeds)})")
    total = sum(_check_embed(i, e) for i, e in enumerate(embeds))
    if total > MAX_EMBED_TOTAL:
        raise invalid("embeds", f"embeds exceed {MAX_EMBED_TOTAL} characters in total ({total})")
    components = body.get("components") or []
    if not int(body.get("flags") or 0) & COMPONENTS_V2:
        if len(components) > MAX_ROWS:
            raise invalid("components", f"at most {MAX_ROWS} action rows ({len(components)})")
        for i, row in enumerate(components):
            items = row.get("components", [])
            if row.get("type") != 1 or not items or len(items) > MAX_ROW_ITEMS:
                raise invalid(f"components.{i}", f"an action row holds 1 to {MAX_ROW_ITEMS} items")
    _check_components(components, "components")


def check_modal(data: Mapping[str, Any]) -> None:
    title = data.get("title") or ""
    if not title or len(title) > MAX_MODAL_TITLE:
        raise invalid("data.title", f"must be 1 to {MAX_MODAL_TITLE} characters")
    _check_custom_id(data.get("custom_id"), "data.custom_id")
    components = data.get("components") or []
    if not 1 <= len(components) <= MAX_ROWS:
        raise invalid("data.components", f"a modal holds 1 to {MAX_ROWS} components")
    _check_components(components, "data.components")


def _check_embed(index: int, embed: Mapping[str, Any]) -> int:
    size = 0
    for key, limit in EMBED_LIMITS.items():
        text = embed.get(key) or ""
        if len(text) > limit:
            raise invalid(f"embeds.{index}.{key}", f"must be {limit} or fewer in length")
        size += len(text)
    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        raise invalid(f"embeds.{index}.fields", f"at most {MAX_FIELDS} fields")
    for j, field in enumerate(fields):
        for key, limit in FIELD_LIMITS.items():
            text = str(field.get(key) or "")
            if not text:
                raise invalid(f"embeds.{index}.fields.{j}.{key}", "required")
            if len(text) > limit:
                raise invalid(f"embeds.{index}.fields.{j}.{key}", f"must be {limit} or fewer")
            size += len(text)
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    return size


def _check_components(components: Sequence[Mapping[str, Any]], path: str) -> None:
    for i, component in enumerate(components):
        where = f"{path}.{i}"
        kind = component.get("type")
        if (
            kind == 2 and component.get("style") != 5 or kind in (3, 4, 5, 6, 7, 8)
        ):  # non-link button
            _check_custom_id(component.get("custom_id"), f"{where}.custom_id")
        if len(component.get("label") or "") > MAX_LABEL:
            raise invalid(f"{where}.label", f"must be {MAX_LABEL} or fewer in length")
        if len(component.get("options") or []) > MAX_SELECT_OPTIONS:
            raise invalid(f"{where}.options", f"at most {MAX_SELECT_OPTIONS} options")
        _check_components(component.get("components") or [], f"{where}.components")
        for key in ("component", "accessory"):
            if key in component:
                _check_components([component[key]], f"{where}.{key}")


def _check_custom_id(custom_id: Any, path: str) -> None:
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
        raise invalid(path, f"custom_id must be 1 to {MAX_CUSTOM_ID} characters ({custom_id!r})")
