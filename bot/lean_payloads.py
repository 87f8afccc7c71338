"""Tolerance for lean payloads: fill in what discord.py requires but the API may omit.

discord.py 2.x parses every gateway event with its own models, and some of them index fields
that Discord's documentation marks optional or added only recently: an interaction's
``attachment_size_limit`` and ``version``, a member's ``flags`` and ``roles``, an attachment's
``proxy_url`` and ``size``, a user's ``discriminator`` and ``avatar``, a message's ``type``,
``content`` and ``author`` (a MESSAGE_UPDATE may be partial), a context-menu command's
``type`` (without it discord.py looks for a slash command), a clicked button missing from the
click's ``message.components`` (discord.py would drop the click); and it finds an interaction's
channel only in the newer ``channel`` object, not in ``channel_id``. A Discord-compatible server
that leaves one out would make discord.py raise ``KeyError`` (or lose the channel) before the
bot sees the event: the command would simply never be answered. :func:`install` wraps the
parsers of the events the bot uses so that such fields get their documented defaults first;
everything else is still parsed by discord.py's own models.

One REST answer needs the same care: discord.py asks for the interaction callback's body
(``?with_response=1``) and reads it after the callback has been accepted; a server that answers
``204 No Content`` (Discord's answer without that parameter) would turn every delivered answer
into an exception. :func:`install` makes a missing body mean "accepted, no details".

A MESSAGE_UPDATE without ``content`` is an unfurl, not an edit: the defaulted keys are listed
under :data:`FILLED` in the payload, so ``on_raw_message_edit`` can tell a real text from a
default. Imports nothing from the rest of the bot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

__all__ = ["FILLED", "install", "was_filled"]

Payload = dict[str, Any]

#: key under which a payload lists the top-level keys that were defaulted here
FILLED = "crisisbot_filled"
#: Discord's default upload limit for a server without boosts
_DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
_UNKNOWN_USER: Payload = {"id": "0", "username": "unknown user", "discriminator": "0"}


def was_filled(data: Any, key: str) -> bool:
    """True when ``data[key]`` is a default put in by this module, not sent by Discord."""
    return isinstance(data, dict) and key in data.get(FILLED, ())


def _default(data: Payload, key: str, value: Any) -> None:
    if key not in data:
        data[key] = value
        data.setdefault(FILLED, []).append(key)


def _user(data: Payload) -> None:
    data.setdefault("username", f"user {data.get('id', '?')}")
    data.setdefault("discriminator", "0")
    data.setdefault("avatar", None)


def _member(data: Payload) -> None:
    data.setdefault("roles", [])
    data.setdefault("flags", 0)
    if isinstance(data.get("user"), dict):
        _user(data["user"])


def _attachment(data: Payload) -> None:
    data.setdefault("proxy_url", data.get("url", ""))
    data.setdefault("size", 0)
    data.setdefault("filename", "attachment")


def _message(data: Payload, state: Any = None) -> None:
    _default(data, "type", 0)
    _default(data, "content", "")
    if "author" not in data:
        known = state is not None and str(data.get("id", "")).isdigit()
        cached = state._get_message(int(data["id"])) if known else None
        author = cached.author if cached is not None else None
        _default(
            data,
            "author",
            {"id": str(author.id), "username": author.name} if author else dict(_UNKNOWN_USER),
        )
    if isinstance(data.get("author"), dict):
        _user(data["author"])
    if isinstance(data.get("member"), dict):
        data["member"].setdefault("roles", [])
        data["member"].setdefault("flags", 0)
    for attachment in data.get("attachments") or ():
        _attachment(attachment)


def _interaction(data: Payload, state: Any = None) -> None:
    if "channel" not in data and data.get("channel_id"):
        # discord.py 2.7 reads only the newer partial ``channel`` object, not ``channel_id``
        data["channel"] = {"id": data["channel_id"], **({"type": 0} if "guild_id" in data else {})}
    data.setdefault("version", 1)
    data.setdefault("attachment_size_limit", _DEFAULT_UPLOAD_LIMIT)
    if isinstance(data.get("member"), dict):
        _member(data["member"])
    if isinstance(data.get("user"), dict):
        _user(data["user"])
    command = data.get("data") or {}
    if data.get("type") == 3 and command.get("custom_id"):
        _clicked_button(data, command)
    if isinstance(data.get("message"), dict):
        _message(data["message"])
    resolved = command.get("resolved") or {}
    if "target_id" in command and "type" not in command:  # a context-menu command
        messages = resolved.get("messages") or {}
        command["type"] = 3 if str(command["target_id"]) in messages else 2
    for user in (resolved.get("users") or {}).values():
        _user(user)
    for member in (resolved.get("members") or {}).values():
        member.setdefault("roles", [])
        member.setdefault("flags", 0)
    for attachment in (resolved.get("attachments") or {}).values():
        _attachment(attachment)
    for message in (resolved.get("messages") or {}).values():
        _message(message)


def _walk(components: Any) -> Any:
    for component in components or ():
        if isinstance(component, dict):
            yield component
            yield from _walk(component.get("components"))


def _clicked_button(data: Payload, command: Payload) -> None:
    """discord.py routes a click to a persistent (``DynamicItem``) button only if the clicked
    component is in ``message.components``; a lean click that leaves it (or the message) out
    gets the button put back from its ``custom_id``."""
    command.setdefault("component_type", 2)
    if command["component_type"] != 2:
        return
    if not isinstance(data.get("message"), dict):  # Discord always sends it; the id is unknown
        data["message"] = {"id": data["id"], "channel_id": data.get("channel_id", "0")}
    message = data["message"]
    if any(c.get("custom_id") == command["custom_id"] for c in _walk(message.get("components"))):
        return
    button = {"type": 2, "style": 2, "label": "…", "custom_id": command["custom_id"]}
    message.setdefault("components", []).append({"type": 1, "components": [button]})


def _reaction(data: Payload, state: Any = None) -> None:
    member = data.get("member")
    if isinstance(member, dict) and isinstance(member.get("user"), dict):
        _member(member)
    elif "member" in data:  # unusable without its user: the bot looks the member up instead
        del data["member"]


_FILLERS: dict[str, Callable[[Payload, Any], None]] = {
    "INTERACTION_CREATE": _interaction,
    "MESSAGE_CREATE": _message,
    "MESSAGE_UPDATE": _message,
    "MESSAGE_REACTION_ADD": _reaction,
}


def _tolerate_empty_callback_answers() -> None:
    """Let discord.py accept an interaction callback answered with no body (once per process)."""
    cls = discord.InteractionCallbackResponse
    if getattr(cls, "_crisisbot_lenient", False):
        return
    update = cls._update

    def _update(self: Any, data: Any) -> None:
        if not isinstance(data, dict) or "interaction" not in data:
            data = {"interaction": {"id": str(self._parent.id)}}
        update(self, data)

    cls._update = _update  # type: ignore[method-assign]
    cls._crisisbot_lenient = True  # type: ignore[attr-defined]


def install(client: discord.Client) -> None:
    """Wrap ``client``'s parsers of the events above (call before the client connects)."""
    _tolerate_empty_callback_answers()
    state = client._connection
    for event, fill in _FILLERS.items():
        parse = state.parsers[event]

        def tolerant(
            data: Payload,
            parse: Callable[[Payload], None] = parse,
            fill: Callable[[Payload, Any], None] = fill,
        ) -> None:
            if isinstance(data, dict):
                fill(data, state)
            parse(data)

        state.parsers[event] = tolerant
