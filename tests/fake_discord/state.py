"""The fake Discord's world: users, guilds with roles, members and channels, messages, pins,
reactions, DM channels, application commands, interactions and the CDN's files.

Owns all mutable server state and the rules that turn a request body into stored objects (message
from a JSON or multipart body, edit semantics for `attachments`, permission computation for
interaction payloads). The REST and gateway modules only translate between HTTP/websocket frames
and these methods. Must not import discord.py or aiohttp.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import payloads as p
from .snowflakes import SnowflakeFactory, iso_timestamp

Payload = p.Payload


class FakeDiscordError(Exception):
    """A request the fake answers with a Discord error body (`status`, JSON code, message)."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def unknown(kind: str, code: int) -> FakeDiscordError:
    return FakeDiscordError(404, code, f"Unknown {kind}")


K = TypeVar("K")
V = TypeVar("V")


def lookup(mapping: Mapping[K, V], key: K, kind: str, code: int) -> V:
    """`mapping[key]`, or the 404 Discord answers for an unknown `kind` (JSON error `code`)."""
    try:
        return mapping[key]
    except KeyError:
        raise unknown(kind, code) from None


@dataclass
class FakeUser:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def payload(self) -> Payload:
        return p.user(self.id, self.username, bot=self.bot, global_name=self.global_name)

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    managed: bool = False
    mentionable: bool = False
    tags: Payload | None = None

    def payload(self) -> Payload:
        return p.role(
            self.id,
            self.name,
            permissions=self.permissions,
            position=self.position,
            color=self.color,
            managed=self.managed,
            mentionable=self.mentionable,
            tags=self.tags,
        )

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass
class FakeMember:
    user: FakeUser
    guild_id: int
    role_ids: list[int]
    joined_at: str
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    def update_event(self) -> Payload:
        """GUILD_MEMBER_UPDATE data for this member's current roles and nick."""
        return {**self.payload(), "guild_id": str(self.guild_id)}

    def payload(self, *, permissions: int | None = None) -> Payload:
        return p.member(
            self.user.payload(),
            self.role_ids,
            joined_at=self.joined_at,
            nick=self.nick,
            permissions=permissions,
        )


class FakeGuild:
    """A guild under construction by a test: add roles, members, categories and text channels."""

    def __init__(self, world: DiscordState, guild_id: int, name: str, owner: FakeUser) -> None:
        self._world = world
        self.id = guild_id
        self.name = name
        self.owner_id = owner.id
        self.joined_at = iso_timestamp(world.snowflake())
        self.roles: dict[int, FakeRole] = {
            guild_id: FakeRole(guild_id, guild_id, "@everyone", p.DEFAULT_EVERYONE_PERMISSIONS)
        }
        self.members: dict[int, FakeMember] = {}
        self.add_member(owner)

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    def add_role(
        self,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        mentionable: bool = False,
        managed: bool = False,
        tags: Payload | None = None,
    ) -> FakeRole:
        role = FakeRole(
            self._world.snowflake(),
            self.id,
            name,
            permissions,
            position=len(self.roles),
            color=color,
            managed=managed,
            mentionable=mentionable,
            tags=tags,
        )
        self.roles[role.id] = role
        return role

    def add_member(
        self,
        user: FakeUser | str,
        *,
        roles: Iterable[FakeRole | int] = (),
        nick: str | None = None,
    ) -> FakeMember:
        if isinstance(user, str):
            user = self._world.add_user(user)
        member = FakeMember(
            user, self.id, [_id_of(r) for r in roles], iso_timestamp(self._world.snowflake()), nick
        )
        self.members[user.id] = member
        return member

    def add_category(self, name: str, *, overwrites: Iterable[Mapping[str, Any]] = ()) -> Payload:
        return self._world.create_guild_channel(
            self.id, {"name": name, "type": p.GUILD_CATEGORY, "permission_overwrites": overwrites}
        )

    def add_text_channel(
        self,
        name: str,
        *,
        category: Payload | int | None = None,
        overwrites: Iterable[Mapping[str, Any]] = (),
        topic: str | None = None,
    ) -> Payload:
        return self._world.create_guild_channel(
            self.id,
            {
                "name": name,
                "type": p.GUILD_TEXT,
                "parent_id": None if category is None else _id_of(category),
                "permission_overwrites": overwrites,
                "topic": topic,
            },
        )

    def add_thread(
        self,
        parent: Payload | int,
        name: str,
        *,
        owner: FakeMember | FakeUser | int | None = None,
        private: bool = False,
    ) -> Payload:
        """A thread in text channel `parent`, started by `owner` (the guild owner by default).
        Added before the bot connects it is in GUILD_CREATE's active threads; later, use
        `FakeDiscord.create_thread` (which also sends THREAD_CREATE)."""
        return self._world.create_thread(
            _id_of(parent), name, owner_id=_id_of(owner or self.owner_id), private=private
        )

    @property
    def channels(self) -> list[Payload]:
        """Every channel of the guild, threads included."""
        return [c for c in self._world.channels.values() if c.get("guild_id") == str(self.id)]

    def role_named(self, name: str) -> FakeRole:
        return next(r for r in self.roles.values() if r.name == name)

    def member_named(self, username: str) -> FakeMember:
        return next(m for m in self.members.values() if m.user.username == username)

    def channel_named(self, name: str) -> Payload:
        return next(c for c in self.channels if c["name"] == name)

    def member(self, user_id: int) -> FakeMember:
        return lookup(self.members, user_id, "Member", 10007)

    def payload(self) -> Payload:
        return p.guild(
            self.id,
            self.name,
            owner_id=self.owner_id,
            roles=[r.payload() for r in self.roles.values()],
            members=[m.payload() for m in self.members.values()],
            channels=[_without_guild_id(c) for c in self.channels if not is_thread(c)],
            threads=[c for c in self.channels if is_thread(c)],
            joined_at=self.joined_at,
        )

    def permissions_for(self, user_id: int, channel_id: int | None = None) -> int:
        """Discord's permission algorithm: base role permissions, then channel overwrites."""
        member = self.member(user_id)
        if user_id == self.owner_id:
            return p.ALL_PERMISSIONS
        base = self.everyone.permissions
        for role_id in member.role_ids:
            base |= self.roles[role_id].permissions if role_id in self.roles else 0
        if base & p.ADMINISTRATOR:
            return p.ALL_PERMISSIONS
        if channel_id is None:
            return base
        channel = self._world.channel(channel_id)
        if is_thread(channel):  # a thread has no overwrites: its parent channel's apply
            channel = self._world.channel(int(channel["parent_id"]))
        overwrites = {
            (int(o["type"]), int(o["id"])): o for o in channel.get("permission_overwrites", [])
        }
        perms = base

        def apply(allow: int, deny: int) -> None:
            nonlocal perms
            perms = (perms & ~deny) | allow

        everyone = overwrites.get((p.OVERWRITE_ROLE, self.id))
        if everyone:
            apply(int(everyone["allow"]), int(everyone["deny"]))
        allow = deny = 0
        for role_id in member.role_ids:
            o = overwrites.get((p.OVERWRITE_ROLE, role_id))
            if o:
                allow |= int(o["allow"])
                deny |= int(o["deny"])
        apply(allow, deny)
        own = overwrites.get((p.OVERWRITE_MEMBER, user_id))
        if own:
            apply(int(own["allow"]), int(own["deny"]))
        return perms


@dataclass
class StoredFile:
    """Bytes the fake CDN serves, and the multipart upload they came from (if any)."""

    data: bytes
    filename: str
    content_type: str


@dataclass
class FakeInteraction:
    """An interaction the test sent, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    payload: Payload
    channel_id: int
    guild_id: int | None
    message_id: int | None = None
    callbacks: list[Payload] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)
    delivered_to: int = 0  # gateway sessions that received the INTERACTION_CREATE

    @property
    def response(self) -> Payload | None:
        """The first callback body (`{"type": 4, "data": {...}}`), None until the bot answers."""
        return self.callbacks[0] if self.callbacks else None


def _id_of(obj: Any) -> int:
    if isinstance(obj, int):
        return obj
    if isinstance(obj, Mapping):
        return int(obj["id"])
    return int(obj.id)


def is_thread(channel: Mapping[str, Any]) -> bool:
    return int(channel.get("type", p.GUILD_TEXT)) in p.THREAD_TYPES


def _without_guild_id(channel: Payload) -> Payload:
    return {k: v for k, v in channel.items() if k != "guild_id"}


MESSAGE_FIELDS = ("content", "embeds", "components", "tts", "sticker_ids", "poll")


class DiscordState:
    """All state of one fake Discord; ids come from `snowflake`, CDN URLs from `cdn_base`."""

    def __init__(
        self,
        *,
        bot_name: str = "crisisbot",
        snowflake: Callable[[], int] | None = None,
        bot_permissions: int = p.DEFAULT_BOT_PERMISSIONS,
    ) -> None:
        self.snowflake: Callable[[], int] = snowflake or SnowflakeFactory()
        self.cdn_base = "http://127.0.0.1"
        self.users: dict[int, FakeUser] = {}
        self.bot_user = self.add_user(bot_name, bot=True)
        self.application_id = self.bot_user.id
        self.owner = self.add_user(f"{bot_name}-owner")
        self.token = f"fake.{self.bot_user.id}.{secrets.token_urlsafe(12)}"
        self.bot_permissions = bot_permissions
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, Payload] = {}
        self.messages: defaultdict[int, list[Payload]] = defaultdict(list)
        self.message_index: dict[int, Payload] = {}
        self.ephemeral_messages: dict[int, Payload] = {}
        self.pins: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
        self.reactions: defaultdict[int, dict[str, list[int]]] = defaultdict(dict)
        self.dm_channels: dict[int, int] = {}
        self.cdn: dict[str, StoredFile] = {}
        self.global_commands: list[Payload] = []
        self.guild_commands: defaultdict[int, list[Payload]] = defaultdict(list)
        self._command_version = 0
        self.interactions: dict[int, FakeInteraction] = {}
        self.interactions_by_token: dict[str, FakeInteraction] = {}

    # users and guilds -------------------------------------------------------------------------

    def add_user(self, username: str, *, bot: bool = False) -> FakeUser:
        user = FakeUser(self.snowflake(), username, bot=bot)
        self.users[user.id] = user
        return user

    def user(self, user_id: int) -> FakeUser:
        return lookup(self.users, user_id, "User", 10013)

    def add_guild(self, name: str, *, owner: FakeUser | None = None) -> FakeGuild:
        guild = FakeGuild(self, self.snowflake(), name, owner or self.owner)
        self.guilds[guild.id] = guild
        bot_role = guild.add_role(
            self.bot_user.username,
            permissions=self.bot_permissions,
            managed=True,
            tags={"bot_id": str(self.bot_user.id)},
        )
        guild.add_member(self.bot_user, roles=[bot_role])
        return guild

    def guild(self, guild_id: int) -> FakeGuild:
        return lookup(self.guilds, guild_id, "Guild", 10004)

    # channels ---------------------------------------------------------------------------------

    def channel(self, channel_id: int) -> Payload:
        return lookup(self.channels, channel_id, "Channel", 10003)

    def guild_of(self, channel_id: int) -> FakeGuild | None:
        guild_id = self.channel(channel_id).get("guild_id")
        return None if guild_id is None else self.guilds[int(guild_id)]

    def create_guild_channel(self, guild_id: int, body: Mapping[str, Any]) -> Payload:
        guild = self.guild(guild_id)
        channel_type = int(body.get("type") or p.GUILD_TEXT)
        parent_id = body.get("parent_id")
        if parent_id is not None and int(parent_id) not in self.channels:
            raise FakeDiscordError(400, 50035, "Invalid Form Body: parent_id is not a category")
        position = body.get("position")
        if position is None:
            position = sum(1 for c in guild.channels if c["type"] == channel_type)
        channel = p.guild_channel(
            self.snowflake(),
            guild_id,
            str(body["name"]),
            channel_type=channel_type,
            position=int(position),
            parent_id=None if parent_id is None else int(parent_id),
            topic=body.get("topic"),
            nsfw=bool(body.get("nsfw", False)),
            permission_overwrites=body.get("permission_overwrites") or (),
        )
        self.channels[int(channel["id"])] = channel
        return channel

    def create_thread(
        self, parent_id: int, name: str, *, owner_id: int, private: bool = False
    ) -> Payload:
        """A thread in a guild text channel (types 11/12, `parent_id` set), as Discord stores it."""
        parent = self.channel(parent_id)
        if int(parent["type"]) != p.GUILD_TEXT:
            raise FakeDiscordError(400, 50024, "Cannot execute action on this channel type")
        thread_id = self.snowflake()
        thread = p.thread_channel(
            thread_id,
            int(parent["guild_id"]),
            parent_id,
            name,
            owner_id=owner_id,
            created_at=iso_timestamp(thread_id),
            private=private,
        )
        self.channels[thread_id] = thread
        return thread

    def edit_channel(self, channel_id: int, body: Mapping[str, Any]) -> Payload:
        channel = self.channel(channel_id)
        for key, value in body.items():
            if key == "permission_overwrites":
                channel[key] = p.normalize_overwrites(value or ())
            elif key == "parent_id":
                channel[key] = None if value is None else str(value)
            elif key in channel or key in ("topic", "nsfw", "position", "name"):
                channel[key] = value
        return channel

    def delete_channel(self, channel_id: int) -> Payload:
        """Delete a channel and (as Discord does) the threads in it."""
        channel = self.channels.pop(channel_id, None)
        if channel is None:
            raise unknown("Channel", 10003)
        for thread_id in [
            int(c["id"]) for c in self.channels.values() if c.get("parent_id") == str(channel_id)
        ]:
            if is_thread(self.channels[thread_id]):
                del self.channels[thread_id]
        return channel

    def set_overwrite(self, channel_id: int, target_id: int, body: Mapping[str, Any]) -> Payload:
        channel = self.channel(channel_id)
        kept = [o for o in channel["permission_overwrites"] if int(o["id"]) != target_id]
        new = p.normalize_overwrites([{**body, "id": target_id}])[0]
        channel["permission_overwrites"] = [*kept, new]
        return channel

    def delete_overwrite(self, channel_id: int, target_id: int) -> Payload:
        channel = self.channel(channel_id)
        channel["permission_overwrites"] = [
            o for o in channel["permission_overwrites"] if int(o["id"]) != target_id
        ]
        return channel

    def open_dm(self, user_id: int) -> Payload:
        if user_id in self.dm_channels:
            return self.channels[self.dm_channels[user_id]]
        channel = p.dm_channel(self.snowflake(), self.user(user_id).payload())
        self.channels[int(channel["id"])] = channel
        self.dm_channels[user_id] = int(channel["id"])
        return channel

    def dm_messages(self, user_id: int) -> list[Payload]:
        channel_id = self.dm_channels.get(user_id)
        return [] if channel_id is None else self.messages[channel_id]

    # CDN --------------------------------------------------------------------------------------

    def cdn_put(
        self,
        data: bytes,
        filename: str,
        *,
        content_type: str | None = None,
        channel_id: int = 0,
        attachment_id: int | None = None,
    ) -> Payload:
        """Store bytes on the CDN and return the attachment payload that points at them."""
        attachment_id = attachment_id or self.snowflake()
        content_type = (
            content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        path = f"/attachments/{channel_id}/{attachment_id}/{filename}"
        self.cdn[path] = StoredFile(bytes(data), filename, content_type)
        return p.attachment(
            attachment_id,
            filename,
            size=len(data),
            url=self.cdn_base + path,
            content_type=content_type,
        )

    def cdn_bytes(self, url: str) -> bytes:
        """The bytes behind a CDN URL the fake handed out (for assertions on uploads)."""
        path = url.removeprefix(self.cdn_base).split("?", 1)[0]
        return self.cdn[path].data

    # messages ---------------------------------------------------------------------------------

    def message(self, message_id: int) -> Payload:
        found = self.message_index.get(message_id) or self.ephemeral_messages.get(message_id)
        if found is None:
            raise unknown("Message", 10008)
        return found

    def channel_message(self, channel_id: int, message_id: int) -> Payload:
        self.channel(channel_id)
        msg = self.message(message_id)
        if int(msg["channel_id"]) != channel_id:
            raise unknown("Message", 10008)
        return msg

    def _attachments(
        self,
        channel_id: int,
        body: Mapping[str, Any],
        files: Sequence[tuple[str, str, bytes, str | None]],
        keep: Sequence[Payload] = (),
    ) -> list[Payload]:
        """Attachments for a created or edited message.

        `files` are (form field, filename, bytes, content type) from a multipart body; the body's
        `attachments` list names which uploads (by index `id`) and which existing attachments (by
        snowflake `id`) the message ends up with, as in the real API.
        """
        uploads = {}
        for index, (_field, filename, data, content_type) in enumerate(files):
            uploads[index] = (filename, data, content_type)
        existing = {a["id"]: a for a in keep}
        listed = body.get("attachments")
        if listed is None:
            listed = [{"id": i} for i in uploads] + [{"id": k} for k in existing]
        result = []
        for entry in listed:
            ref = entry.get("id")
            if str(ref) in existing:
                result.append(existing[str(ref)])
                continue
            upload = uploads.get(int(ref)) if ref is not None and int(ref) in uploads else None
            if upload is None:
                raise FakeDiscordError(400, 50035, f"Invalid Form Body: attachment {ref} not sent")
            filename, data, content_type = upload
            attachment = self.cdn_put(
                data,
                entry.get("filename") or filename,
                content_type=content_type,
                channel_id=channel_id,
            )
            if entry.get("description"):
                attachment["description"] = entry["description"]
            result.append(attachment)
        return result

    def create_message(
        self,
        channel_id: int,
        author: FakeUser,
        body: Mapping[str, Any],
        files: Sequence[tuple[str, str, bytes, str | None]] = (),
        *,
        webhook_id: int | None = None,
        interaction: FakeInteraction | None = None,
        attachments: Sequence[Payload] | None = None,
    ) -> Payload:
        """Store a message posted to a channel (or an ephemeral interaction message)."""
        channel = self.channel(channel_id)
        guild = self.guild_of(channel_id)
        flags = int(body.get("flags") or 0)
        if (
            not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll"))
            and not files
            and not attachments
            and not flags & p.LOADING
        ):
            raise FakeDiscordError(400, 50006, "Cannot send an empty message")
        message_id = self.snowflake()
        if attachments is None:
            attachments = self._attachments(channel_id, body, files)
        member = guild.members.get(author.id) if guild else None
        reference = body.get("message_reference")
        msg = p.message(
            message_id,
            channel_id,
            author.payload(),
            content=str(body.get("content") or ""),
            guild_id=guild.id if guild else None,
            member_data=member.payload() if member else None,
            attachments=attachments,
            embeds=body.get("embeds") or (),
            components=body.get("components") or (),
            flags=flags,
            tts=bool(body.get("tts", False)),
            message_type=_message_type(interaction, reference),
            webhook_id=webhook_id,
            application_id=self.application_id if webhook_id else None,
            interaction_metadata=self._interaction_metadata(interaction) if interaction else None,
            message_reference=_reference(reference, channel_id, guild) if reference else None,
        )
        self._set_mentions(msg)
        if flags & p.EPHEMERAL:
            self.ephemeral_messages[message_id] = msg
        else:
            self.messages[channel_id].append(msg)
            self.message_index[message_id] = msg
            if "last_message_id" in channel:
                channel["last_message_id"] = str(message_id)
        return msg

    def edit_message(
        self,
        msg: Payload,
        body: Mapping[str, Any],
        files: Sequence[tuple[str, str, bytes, str | None]] = (),
    ) -> Payload:
        for key in MESSAGE_FIELDS:
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "flags" in body and body["flags"] is not None:
            msg["flags"] = (int(msg["flags"]) & ~p.LOADING) | int(body["flags"])
        else:
            msg["flags"] = int(msg["flags"]) & ~p.LOADING
        if "attachments" in body or files:
            msg["attachments"] = self._attachments(
                int(msg["channel_id"]), body, files, keep=msg["attachments"]
            )
        msg["edited_timestamp"] = iso_timestamp(self.snowflake())
        if "content" in body:
            self._set_mentions(msg)
        return msg

    def _set_mentions(self, msg: Payload) -> None:
        content = msg["content"]
        user_ids = {int(m) for m in re.findall(r"<@!?(\d+)>", content)}
        msg["mentions"] = [self.users[i].payload() for i in user_ids if i in self.users]
        msg["mention_roles"] = sorted(set(re.findall(r"<@&(\d+)>", content)))
        msg["mention_everyone"] = "@everyone" in content

    def delete_message(self, channel_id: int, message_id: int) -> Payload:
        msg = self.channel_message(channel_id, message_id)
        self.message_index.pop(message_id, None)
        self.ephemeral_messages.pop(message_id, None)
        if msg in self.messages[channel_id]:
            self.messages[channel_id].remove(msg)
        self.pins[channel_id] = [(m, t) for m, t in self.pins[channel_id] if m != message_id]
        return msg

    def pin(self, channel_id: int, message_id: int) -> Payload:
        msg = self.channel_message(channel_id, message_id)
        if not msg["pinned"]:
            msg["pinned"] = True
            when = iso_timestamp(self.snowflake())
            self.pins[channel_id].insert(0, (message_id, when))
            self.channels[channel_id]["last_pin_timestamp"] = when
        return msg

    def unpin(self, channel_id: int, message_id: int) -> Payload:
        msg = self.channel_message(channel_id, message_id)
        msg["pinned"] = False
        self.pins[channel_id] = [(m, t) for m, t in self.pins[channel_id] if m != message_id]
        return msg

    def pinned(self, channel_id: int) -> list[Payload]:
        return [self.message(m) for m, _ in self.pins[channel_id]]

    def add_reaction(self, msg: Payload, emoji: str, user_id: int) -> bool:
        """Record a reaction; False if this user had already reacted with this emoji."""
        users = self.reactions[int(msg["id"])].setdefault(emoji, [])
        if user_id in users:
            return False
        users.append(user_id)
        msg["reactions"] = self._reaction_summary(int(msg["id"]))
        return True

    def remove_reaction(self, msg: Payload, emoji: str, user_id: int) -> bool:
        users = self.reactions[int(msg["id"])].get(emoji, [])
        if user_id not in users:
            return False
        users.remove(user_id)
        msg["reactions"] = self._reaction_summary(int(msg["id"]))
        return True

    def _reaction_summary(self, message_id: int) -> list[Payload]:
        return [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": self.bot_user.id in users,
                "me_burst": False,
                "burst_colors": [],
                "emoji": emoji_payload(emoji),
            }
            for emoji, users in self.reactions[message_id].items()
            if users
        ]

    # application commands ---------------------------------------------------------------------

    def overwrite_commands(
        self, guild_id: int | None, commands: Sequence[Mapping[str, Any]]
    ) -> list[Payload]:
        existing = self.global_commands if guild_id is None else self.guild_commands[guild_id]
        by_key = {(c["name"], c.get("type", 1)): c for c in existing}
        stored = []
        for data in commands:
            old = by_key.get((data["name"], data.get("type", 1)))
            self._command_version += 1
            stored.append(
                p.application_command(
                    int(old["id"]) if old else self.snowflake(),
                    self.application_id,
                    data,
                    guild_id=guild_id,
                    version=self._command_version,
                )
            )
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild_id] = stored
        return stored

    def find_command(self, name: str, command_type: int, guild_id: int | None) -> Payload | None:
        """The registered command an interaction refers to: guild commands shadow global ones."""
        candidates = [
            *(self.guild_commands.get(guild_id, []) if guild_id else []),
            *self.global_commands,
        ]
        return next(
            (c for c in candidates if c["name"] == name and int(c.get("type", 1)) == command_type),
            None,
        )

    # interactions -----------------------------------------------------------------------------

    def _interaction_metadata(self, interaction: FakeInteraction) -> Payload:
        payload = interaction.payload
        user = payload.get("member", {}).get("user") or payload.get("user")
        return _interaction_metadata(interaction, self.user(int(user["id"])).payload())

    def new_interaction(
        self,
        interaction_type: int,
        payload: Payload,
        *,
        channel_id: int,
        guild_id: int | None,
        message_id: int | None,
    ) -> FakeInteraction:
        interaction = FakeInteraction(
            id=int(payload["id"]),
            token=payload["token"],
            type=interaction_type,
            payload=payload,
            channel_id=channel_id,
            guild_id=guild_id,
            message_id=message_id,
        )
        self.interactions[interaction.id] = interaction
        self.interactions_by_token[interaction.token] = interaction
        return interaction

    def interaction_by_token(self, token: str) -> FakeInteraction:
        return lookup(self.interactions_by_token, token, "Webhook", 10015)


def _interaction_metadata(interaction: FakeInteraction, user: Payload) -> Payload:
    meta: Payload = {
        "id": str(interaction.id),
        "type": interaction.type,
        "user": user,
        "authorizing_integration_owners": (
            {"0": str(interaction.guild_id)} if interaction.guild_id else {"1": user["id"]}
        ),
    }
    if interaction.message_id is not None:
        meta["interacted_message_id"] = str(interaction.message_id)
    return meta


def _reference(reference: Mapping[str, Any], channel_id: int, guild: FakeGuild | None) -> Payload:
    ref: Payload = {
        "type": 0,
        "message_id": str(reference["message_id"]),
        "channel_id": str(reference.get("channel_id") or channel_id),
    }
    if guild is not None:
        ref["guild_id"] = str(guild.id)
    return ref


def _message_type(interaction: FakeInteraction | None, reference: Any) -> int:
    """DEFAULT 0, REPLY 19, CHAT_INPUT_COMMAND 20, CONTEXT_MENU_COMMAND 23."""
    if interaction is not None and interaction.type == 2:
        return 20 if interaction.payload["data"].get("type", 1) == 1 else 23
    return 19 if reference else 0


def emoji_payload(emoji: str) -> Payload:
    """`name:id` (custom, as in the REST path) or a unicode emoji -> the gateway's emoji object."""
    name, _, emoji_id = emoji.partition(":")
    return {"id": emoji_id or None, "name": name}
