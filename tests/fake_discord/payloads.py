"""JSON payload builders in the shapes Discord's API v10 sends (users, roles, members, channels,
guilds, messages, attachments, the application, application commands).

Owns the wire format only: every function takes plain values and returns a fresh dict with ids as
strings, the way the real API serialises snowflakes. Must not import discord.py (the client under
test is what parses these) nor aiohttp.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .snowflakes import iso_timestamp

Payload = dict[str, Any]

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | MANAGE_CHANNELS
    | MANAGE_ROLES
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | MANAGE_MESSAGES
    | USE_APPLICATION_COMMANDS
)

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
GUILD_PUBLIC_THREAD = 11
GUILD_PRIVATE_THREAD = 12
THREAD_TYPES = (GUILD_PUBLIC_THREAD, GUILD_PRIVATE_THREAD)

# Overwrite target types.
OVERWRITE_ROLE = 0
OVERWRITE_MEMBER = 1

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7


def user(
    user_id: int, username: str, *, bot: bool = False, global_name: str | None = None
) -> Payload:
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
    }


def role(
    role_id: int,
    name: str,
    *,
    permissions: int,
    position: int,
    color: int = 0,
    hoist: bool = False,
    managed: bool = False,
    mentionable: bool = False,
    tags: Mapping[str, Any] | None = None,
) -> Payload:
    data: Payload = {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "managed": managed,
        "mentionable": mentionable,
        "icon": None,
        "unicode_emoji": None,
        "description": None,
        "flags": 0,
    }
    if tags is not None:
        data["tags"] = dict(tags)
    return data


def member(
    user_data: Payload,
    role_ids: Iterable[int],
    *,
    joined_at: str,
    nick: str | None = None,
    permissions: int | None = None,
) -> Payload:
    data: Payload = {
        "user": user_data,
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in role_ids],
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def overwrite(target_id: int, target_type: int, *, allow: int = 0, deny: int = 0) -> Payload:
    return {"id": str(target_id), "type": target_type, "allow": str(allow), "deny": str(deny)}


def normalize_overwrites(overwrites: Iterable[Mapping[str, Any]]) -> list[Payload]:
    """Overwrites as the API echoes them back: string ids and string bit sets."""
    return [
        overwrite(
            int(o["id"]),
            int(o.get("type", OVERWRITE_ROLE)),
            allow=int(o.get("allow", 0) or 0),
            deny=int(o.get("deny", 0) or 0),
        )
        for o in overwrites
    ]


def guild_channel(
    channel_id: int,
    guild_id: int,
    name: str,
    *,
    channel_type: int = GUILD_TEXT,
    position: int = 0,
    parent_id: int | None = None,
    topic: str | None = None,
    nsfw: bool = False,
    permission_overwrites: Iterable[Mapping[str, Any]] = (),
) -> Payload:
    data: Payload = {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "parent_id": None if parent_id is None else str(parent_id),
        "permission_overwrites": normalize_overwrites(permission_overwrites),
        "flags": 0,
    }
    if channel_type != GUILD_CATEGORY:
        data.update(
            topic=topic,
            nsfw=nsfw,
            last_message_id=None,
            rate_limit_per_user=0,
            last_pin_timestamp=None,
        )
    return data


def thread_channel(
    channel_id: int,
    guild_id: int,
    parent_id: int,
    name: str,
    *,
    owner_id: int,
    created_at: str,
    private: bool = False,
) -> Payload:
    """A thread (type 11 public, 12 private) in a text channel: no overwrites of its own (it
    inherits the parent's), and the metadata discord.py's ``Thread`` requires."""
    return {
        "id": str(channel_id),
        "type": GUILD_PRIVATE_THREAD if private else GUILD_PUBLIC_THREAD,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 4320,
            "archive_timestamp": created_at,
            "locked": False,
            "create_timestamp": created_at,
            **({"invitable": True} if private else {}),
        },
    }


def dm_channel(channel_id: int, recipient: Payload) -> Payload:
    return {
        "id": str(channel_id),
        "type": DM,
        "last_message_id": None,
        "recipients": [recipient],
        "flags": 0,
    }


def guild(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    roles: Sequence[Payload],
    members: Sequence[Payload],
    channels: Sequence[Payload],
    joined_at: str,
    threads: Sequence[Payload] = (),
) -> Payload:
    """A full GUILD_CREATE payload; `member_count` equals the members sent (no chunking);
    `threads` are the active threads (sent apart from the channels, as Discord does)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "features": [],
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "application_id": None,
        "roles": list(roles),
        "emojis": [],
        "stickers": [],
        "unavailable": False,
        "lazy": True,
        "large": False,
        "joined_at": joined_at,
        "member_count": len(members),
        "members": list(members),
        "channels": list(channels),
        "threads": list(threads),
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def attachment(
    attachment_id: int,
    filename: str,
    *,
    size: int,
    url: str,
    content_type: str | None,
    description: str | None = None,
    ephemeral: bool = False,
) -> Payload:
    data: Payload = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
    }
    if description is not None:
        data["description"] = description
    if ephemeral:
        data["ephemeral"] = True
    return data


def message(
    message_id: int,
    channel_id: int,
    author: Payload,
    *,
    content: str = "",
    guild_id: int | None = None,
    member_data: Payload | None = None,
    attachments: Sequence[Payload] = (),
    embeds: Sequence[Payload] = (),
    components: Sequence[Payload] = (),
    flags: int = 0,
    message_type: int = 0,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: Payload | None = None,
    message_reference: Payload | None = None,
    tts: bool = False,
) -> Payload:
    data: Payload = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso_timestamp(message_id),
        "edited_timestamp": None,
        "tts": tts,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": list(components),
        "reactions": [],
        "pinned": False,
        "type": message_type,
        "flags": flags,
        "nonce": None,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if member_data is not None:
        data["member"] = {k: v for k, v in member_data.items() if k != "user"}
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    if message_reference is not None:
        data["message_reference"] = message_reference
    return data


def application(app_id: int, name: str, *, owner: Payload, bot: Payload) -> Payload:
    return {
        "id": str(app_id),
        "name": name,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot": bot,
        "bot_public": False,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "rpc_origins": [],
        "tags": [],
        "redirect_uris": [],
        "approximate_guild_count": 1,
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
    }


def application_command(
    command_id: int,
    app_id: int,
    data: Mapping[str, Any],
    *,
    guild_id: int | None,
    version: int,
) -> Payload:
    """A command as the API stores it: the submitted definition plus ids and defaults."""
    stored: Payload = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        **data,
        "id": str(command_id),
        "application_id": str(app_id),
        "version": str(version),
    }
    if guild_id is not None:
        stored["guild_id"] = str(guild_id)
    else:
        stored.setdefault("contexts", None)
        stored.setdefault("integration_types", [0])
    return stored


def error(code: int, message: str, *, errors: Mapping[str, Any] | None = None) -> Payload:
    data: Payload = {"message": message, "code": code}
    if errors is not None:
        data["errors"] = dict(errors)
    return data
