"""Who may do what through the bot: the configured Discord roles, checked in one place.

Three groups of role ids come from ``discord`` settings: incident admins open and close
incidents; responders drive them (steps, notes, roles, exports); hash coordinators add and
remove hashes. Admins count as responders. The protocol engine then applies the protocol's own
role permissions on top (``protocols.errors.NotAllowed``).

A refusal raises :class:`MissingAccess`, an ``app_commands.CheckFailure``, so the same error
mapping (``bot.errors``) turns it into an ephemeral message for commands and buttons alike.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import discord
from discord import app_commands

from bot.settings import DiscordSettings
from protocols.actors import HASH_COORDINATOR, INCIDENT_ADMIN, Actor

__all__ = ["Access", "MissingAccess", "actor_for", "has_access", "require", "service_actor"]


class Access(enum.Enum):
    """A permission the bot grants to members of configured roles."""

    ADMIN = "incident admin"
    RESPONDER = "responder"
    HASH_COORDINATOR = "hash coordinator"
    ANY = "crisis team"  # any configured role: read-only things such as /hash check


class MissingAccess(app_commands.CheckFailure):
    """The member holds none of the roles configured for this kind of action."""

    def __init__(self, needed: Access) -> None:
        self.needed = needed
        super().__init__(
            f"You need the {needed.value} role for this. Nothing was changed; ask an incident "
            "admin to give you the role if you should have it."
        )


def _allowed_role_ids(settings: DiscordSettings, needed: Access) -> set[int]:
    admins = set(settings.incident_admin_role_ids)
    if needed is Access.ADMIN:
        return admins
    if needed is Access.RESPONDER:
        return admins | set(settings.responder_role_ids)
    if needed is Access.HASH_COORDINATOR:
        return set(settings.hash_coordinator_role_ids)
    return admins | set(settings.responder_role_ids) | set(settings.hash_coordinator_role_ids)


def _role_ids(user: discord.abc.User) -> Iterable[int]:
    roles = getattr(user, "roles", None)  # a Member in a guild; a plain User in DMs has none
    return () if roles is None else (role.id for role in roles)


def has_access(settings: DiscordSettings, user: discord.abc.User, needed: Access) -> bool:
    allowed = _allowed_role_ids(settings, needed)
    return any(role_id in allowed for role_id in _role_ids(user))


def require(settings: DiscordSettings, user: discord.abc.User, needed: Access) -> None:
    """Raise :class:`MissingAccess` unless ``user`` holds a role configured for ``needed``."""
    if not has_access(settings, user, needed):
        raise MissingAccess(needed)


def actor_for(settings: DiscordSettings, user: discord.abc.User, *extra: str) -> Actor:
    """The engine's view of a Discord user: id, display name and the platform roles they hold.

    ``extra`` adds platform roles the bot vouches for in this context (for example
    ``TIMELINE_RECORDER`` when a responder adds a chat message to the timeline).
    """
    roles = set(extra)
    if has_access(settings, user, Access.ADMIN):
        roles.add(INCIDENT_ADMIN)
    if has_access(settings, user, Access.HASH_COORDINATOR):
        roles.add(HASH_COORDINATOR)
    return Actor(id=str(user.id), name=user.display_name, roles=frozenset(roles))


def service_actor(bot_user: discord.abc.User | None, *roles: str) -> Actor:
    """The bot itself as the engine's actor (recording edits, deletions, matches, escalations)."""
    return Actor(
        id=str(bot_user.id) if bot_user else "bot",
        name=bot_user.name if bot_user else "crisisbot",
        roles=frozenset(roles),
    )
