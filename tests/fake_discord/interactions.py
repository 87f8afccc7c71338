"""INTERACTION_CREATE payloads a user's action would produce: slash commands (with subcommands,
typed options and resolved users, members, roles, channels and attachments), autocomplete,
message and user context-menu commands, component clicks and modal submits.

Owns the translation from test-friendly Python values to Discord's option types. With `minimal`
set, payloads carry only what Discord's documentation requires (no locales, no `app_permissions`,
no `attachment_size_limit` or `version`, members without nick/flags/permissions, attachments
without `content_type`/`proxy_url`, user options as a bare id with nothing resolved), as another
Discord-compatible server might send them. When the bot has
registered the command (bulk overwrite), the registered schema decides option types and is checked
(unknown or missing required options, values outside `choices` are test mistakes and raise
ValueError); otherwise types are inferred from the Python values. Must not import discord.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from . import payloads as p
from .state import DiscordState, FakeGuild, FakeInteraction, FakeMember, FakeRole, FakeUser, Payload

# Interaction types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
# Option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
)
MENTIONABLE, NUMBER, ATTACHMENT = 9, 10, 11
# Application command types.
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3

UserLike = FakeMember | FakeUser | int
ChannelLike = Mapping[str, Any] | int


def user_id_of(user: UserLike) -> int:
    return user if isinstance(user, int) else user.id


def channel_id_of(channel: ChannelLike) -> int:
    return channel if isinstance(channel, int) else int(channel["id"])


class InteractionFactory:
    """Builds interaction payloads against one `DiscordState` and registers them there."""

    def __init__(self, world: DiscordState) -> None:
        self._world = world
        self.minimal = False

    # entry points ---------------------------------------------------------------------------

    def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        *,
        user: UserLike,
        channel: ChannelLike,
        focused: str | None = None,
    ) -> FakeInteraction:
        channel_id = channel_id_of(channel)
        guild = self._world.guild_of(channel_id)
        top, *path = name.split()
        command = self._world.find_command(top, CHAT_INPUT, guild.id if guild else None)
        schema = command.get("options") if command else None
        resolved: Payload = {}
        leaf_options = self._options(schema, path, dict(options or {}), resolved, guild, focused)
        data = self._command_data(top, CHAT_INPUT, command)
        data["options"] = leaf_options
        if resolved:
            data["resolved"] = resolved
        kind = AUTOCOMPLETE if focused else APPLICATION_COMMAND
        return self._interaction(kind, data, user=user, channel_id=channel_id)

    def message_command(self, name: str, message: Payload, *, user: UserLike) -> FakeInteraction:
        channel_id = int(message["channel_id"])
        guild = self._world.guild_of(channel_id)
        command = self._world.find_command(name, MESSAGE_COMMAND, guild.id if guild else None)
        data = self._command_data(name, MESSAGE_COMMAND, command)
        data["target_id"] = message["id"]
        data["resolved"] = {"messages": {message["id"]: self._lean_message(message)}}
        return self._interaction(APPLICATION_COMMAND, data, user=user, channel_id=channel_id)

    def user_command(
        self, name: str, target: UserLike, *, user: UserLike, channel: ChannelLike
    ) -> FakeInteraction:
        channel_id = channel_id_of(channel)
        guild = self._world.guild_of(channel_id)
        command = self._world.find_command(name, USER_COMMAND, guild.id if guild else None)
        data = self._command_data(name, USER_COMMAND, command)
        resolved: Payload = {}
        data["target_id"] = str(self._resolve_user(target, resolved, guild))
        data["resolved"] = resolved
        return self._interaction(APPLICATION_COMMAND, data, user=user, channel_id=channel_id)

    def component(
        self,
        message: Payload,
        custom_id: str,
        *,
        user: UserLike,
        values: Sequence[str] | None = None,
        check: bool = True,
    ) -> FakeInteraction:
        component = next(
            (
                c
                for c in walk_components(message.get("components", []))
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if check and component is None:
            ids = [
                c["custom_id"]
                for c in walk_components(message.get("components", []))
                if "custom_id" in c
            ]
            raise ValueError(
                f"message {message['id']} has no component {custom_id!r}; it has {ids}"
            )
        component_type = int(component["type"]) if component else (3 if values is not None else 2)
        data: Payload = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        return self._interaction(
            MESSAGE_COMPONENT,
            data,
            user=user,
            channel_id=int(message["channel_id"]),
            message=message,
        )

    def modal_submit(
        self,
        source: FakeInteraction,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: UserLike | None,
    ) -> FakeInteraction:
        modal = next((c["data"] for c in source.callbacks if c.get("type") == 9), None)
        if modal is None:
            raise ValueError(f"interaction {source.id} was not answered with a modal")
        inputs = {
            c["custom_id"]
            for c in walk_components(modal["components"])
            if c.get("type") in (3, 4, 5, 6, 7, 8)
        }
        unknown = set(values) - inputs
        if unknown:
            raise ValueError(
                f"modal {modal['custom_id']!r} has no inputs {sorted(unknown)}; "
                f"it has {sorted(inputs)}"
            )
        data = {
            "custom_id": modal["custom_id"],
            "components": _submitted(modal["components"], values),
        }
        message = self._world.message(source.message_id) if source.message_id else None
        if user is None:
            user = int((source.payload.get("member") or source.payload)["user"]["id"])
        return self._interaction(
            MODAL_SUBMIT, data, user=user, channel_id=source.channel_id, message=message
        )

    # building blocks ------------------------------------------------------------------------

    def _command_data(self, name: str, command_type: int, command: Payload | None) -> Payload:
        data: Payload = {
            "id": command["id"] if command else str(self._world.snowflake()),
            "name": name,
            "type": command_type,
        }
        if command and "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return data

    def _interaction(
        self,
        kind: int,
        data: Payload,
        *,
        user: UserLike,
        channel_id: int,
        message: Payload | None = None,
    ) -> FakeInteraction:
        world = self._world
        channel = world.channel(channel_id)
        guild = world.guild_of(channel_id)
        interaction_id = world.snowflake()
        payload: Payload = {
            "id": str(interaction_id),
            "application_id": str(world.application_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "channel": channel,
            "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(60),
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if self.minimal:
            return self._lean_interaction(payload, user, guild, message, channel_id)
        if guild is not None:
            member = guild.member(user_id_of(user))
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member.payload(permissions=guild.permissions_for(member.id, channel_id)),
                app_permissions=str(guild.permissions_for(world.bot_user.id, channel_id)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            uid = user_id_of(user)
            payload.update(
                user=world.user(uid).payload(),
                app_permissions=str(p.ALL_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if message is not None:
            payload["message"] = message
        return world.new_interaction(
            kind,
            payload,
            channel_id=channel_id,
            guild_id=guild.id if guild else None,
            message_id=int(message["id"]) if message else None,
        )

    def _lean_interaction(
        self,
        payload: Payload,
        user: UserLike,
        guild: FakeGuild | None,
        message: Payload | None,
        channel_id: int,
    ) -> FakeInteraction:
        for key in ("channel", "locale", "entitlements", "attachment_size_limit", "version"):
            payload.pop(key)
        person = self._world.user(user_id_of(user))
        lean_user = {"id": str(person.id), "username": person.username}
        if guild is not None:
            roles = [str(r) for r in guild.member(person.id).role_ids]
            payload.update(guild_id=str(guild.id), member={"user": lean_user, "roles": roles})
        else:
            payload["user"] = lean_user
        if message is not None:
            payload["message"] = self._lean_message(message)
        return self._world.new_interaction(
            int(payload["type"]),
            payload,
            channel_id=channel_id,
            guild_id=guild.id if guild else None,
            message_id=int(message["id"]) if message else None,
        )

    def _lean_message(self, message: Payload) -> Payload:
        if not self.minimal:
            return message
        lean = {k: message[k] for k in ("id", "channel_id", "content", "timestamp", "components")}
        lean["author"] = {k: message["author"][k] for k in ("id", "username")}
        lean["attachments"] = [_lean_attachment(a) for a in message.get("attachments", [])]
        lean["embeds"] = message.get("embeds", [])
        return lean

    def _options(
        self,
        schema: list[Payload] | None,
        path: list[str],
        values: dict[str, Any],
        resolved: Payload,
        guild: FakeGuild | None,
        focused: str | None,
    ) -> list[Payload]:
        if path:
            sub, *rest = path
            if schema is not None:
                match = next((o for o in schema if o["name"] == sub and o["type"] in (1, 2)), None)
                if match is None:
                    raise ValueError(
                        f"no subcommand {sub!r}; registered: {[o['name'] for o in schema]}"
                    )
                kind, sub_schema = int(match["type"]), match.get("options", [])
            else:
                kind, sub_schema = (SUB_COMMAND_GROUP if rest else SUB_COMMAND), None
            inner = self._options(sub_schema, rest, values, resolved, guild, focused)
            return [{"name": sub, "type": kind, "options": inner}]
        if schema is not None:
            known = {o["name"]: o for o in schema}
            missing = [n for n, o in known.items() if o.get("required") and n not in values]
            unexpected = set(values) - set(known)
            if unexpected or (missing and not focused):
                raise ValueError(
                    f"options {sorted(unexpected)} unknown, {missing} missing; "
                    f"command takes {list(known)}"
                )
        options = []
        for name, value in values.items():
            spec = schema and next(o for o in schema if o["name"] == name)
            kind = int(spec["type"]) if spec else infer_type(value)
            if name == focused:
                options.append({"name": name, "type": kind, "value": str(value), "focused": True})
                continue
            wire = self._wire_value(kind, value, resolved, guild)
            if spec and spec.get("choices") and wire not in [c["value"] for c in spec["choices"]]:
                raise ValueError(f"{wire!r} is not a choice of {name!r}: {spec['choices']}")
            options.append({"name": name, "type": kind, "value": wire})
        return options

    def _wire_value(self, kind: int, value: Any, resolved: Payload, guild: FakeGuild | None) -> Any:
        if kind == STRING:
            return str(value)
        if kind == INTEGER:
            return int(value)
        if kind == BOOLEAN:
            return bool(value)
        if kind == NUMBER:
            return float(value)
        if kind == USER or (kind == MENTIONABLE and not isinstance(value, FakeRole)):
            return str(self._resolve_user(value, resolved, guild))
        if kind in (ROLE, MENTIONABLE):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        if kind == CHANNEL:
            channel = self._world.channel(channel_id_of(value))
            resolved.setdefault("channels", {})[channel["id"]] = {
                **{
                    k: channel[k]
                    for k in ("id", "type", "name", "parent_id", "guild_id")
                    if k in channel
                },
                "permissions": str(p.ALL_PERMISSIONS),
            }
            return channel["id"]
        if kind == ATTACHMENT:
            attachment = value
            if isinstance(value, tuple):
                filename, data = value
                attachment = self._world.cdn_put(data, filename)
            attachment = {**attachment, "ephemeral": True}
            if self.minimal:
                attachment = _lean_attachment(attachment)
            resolved.setdefault("attachments", {})[attachment["id"]] = attachment
            return attachment["id"]
        raise ValueError(f"unsupported option type {kind}")

    def _resolve_user(self, value: UserLike, resolved: Payload, guild: FakeGuild | None) -> int:
        uid = user_id_of(value)
        if self.minimal:
            return uid  # a bare id: nothing resolved
        resolved.setdefault("users", {})[str(uid)] = self._world.user(uid).payload()
        if guild is not None and uid in guild.members:
            member = guild.members[uid].payload(permissions=guild.permissions_for(uid))
            member.pop("user")
            resolved.setdefault("members", {})[str(uid)] = member
        return uid


def _lean_attachment(attachment: Payload) -> Payload:
    return {k: attachment[k] for k in ("id", "filename", "size", "url")}


def infer_type(value: Any) -> int:
    """The option type a Python value stands for when the command's schema is not registered."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, FakeMember | FakeUser):
        return USER
    if isinstance(value, FakeRole):
        return ROLE
    if isinstance(value, tuple) or (isinstance(value, Mapping) and "filename" in value):
        return ATTACHMENT
    if isinstance(value, Mapping) and "type" in value:
        return CHANNEL
    raise ValueError(f"cannot infer an option type for {value!r}")


def walk_components(components: Sequence[Payload]) -> Iterator[Payload]:
    """Every component in a message or modal, depth first (rows, labels, sections, containers)."""
    for component in components:
        yield component
        yield from walk_components(component.get("components", []))
        for key in ("component", "accessory"):
            if key in component:
                yield from walk_components([component[key]])


def _submitted(
    components: Sequence[Payload], values: Mapping[str, str | Sequence[str]]
) -> list[Payload]:
    """A modal's components as Discord submits them: rows and labels with the inputs' values."""
    out = []
    for component in components:
        kind = component.get("type")
        if kind == 1:
            out.append({"type": 1, "components": _submitted(component["components"], values)})
        elif kind == 18:
            out.append(
                {
                    "type": 18,
                    "id": component.get("id", 0),
                    "component": _submitted([component["component"]], values)[0],
                }
            )
        elif kind == 4:
            out.append(
                {
                    "type": 4,
                    "custom_id": component["custom_id"],
                    "value": str(values.get(component["custom_id"], "")),
                }
            )
        elif kind in (3, 5, 6, 7, 8):
            chosen = values.get(component["custom_id"], [])
            out.append(
                {
                    "type": kind,
                    "custom_id": component["custom_id"],
                    "values": [chosen] if isinstance(chosen, str) else list(chosen),
                }
            )
    return out
