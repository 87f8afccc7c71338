"""API keys and scopes: how a token is minted, what it is stored as, and what it may do.

A token looks like ``cbk_<key id>_<secret>``: the key id (12 hex characters) is a lookup prefix,
the secret is 32 bytes from ``secrets``. Only the SHA-256 of the whole token is stored, so a
stolen database gives no usable keys; the id lets the store find the row without scanning.

Why plain SHA-256 and not a slow password hash: the secret has 256 bits of entropy, so brute force
is hopeless anyway, and every API request verifies a token.

Pure: no database, no HTTP.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

__all__ = [
    "ApiKey",
    "IssuedKey",
    "Scope",
    "TOKEN_PREFIX",
    "valid_platform",
    "hash_token",
    "mint_token",
    "parse_token",
    "token_matches",
]

TOKEN_PREFIX = "cbk"
_TOKEN_RE = re.compile(r"^cbk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
_PLATFORM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Scope(enum.Enum):
    """What a key may do. Each scope includes everything below it."""

    QUERY = "query"  # match hashes and uploads, read lists/entries/changes, send feedback
    CONTRIBUTE = "contribute"  # also add entries and remove its own platform's entries
    ADMIN = "admin"  # everything: any list, any entry, keys and audit

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, required: Scope) -> bool:
        return self.rank >= required.rank


_RANK = {Scope.QUERY: 0, Scope.CONTRIBUTE: 1, Scope.ADMIN: 2}


@dataclass(frozen=True)
class ApiKey:
    """A key as stored (never the token itself).

    ``exercise`` says the key may ask for exercise (drill) lists with ``include_exercise=true``;
    without it drill lists are never served to the key.
    """

    key_id: str
    platform: str
    scope: Scope
    created_at: datetime
    created_by: str
    exercise: bool = False
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    query_count: int = 0
    last_used_at: datetime | None = field(default=None, compare=False)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor(self) -> str:
        """How this key appears in audit records and in ``added_by`` of the entries it adds."""
        return f"api:{self.platform}/{self.key_id}"

    def revoked(self, at: datetime, by: str) -> ApiKey:
        return replace(self, revoked_at=at, revoked_by=by)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "platform": self.platform,
            "scope": self.scope.value,
            "exercise": self.exercise,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
            "active": self.active,
            "query_count": self.query_count,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key and its token; the token is shown once and never stored."""

    key: ApiKey
    token: str = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {**self.key.to_dict(), "token": self.token}


def valid_platform(name: str) -> bool:
    return bool(_PLATFORM_RE.match(name))


def mint_token() -> tuple[str, str]:
    """A new ``(key_id, token)`` pair from the operating system's CSPRNG."""
    key_id = secrets.token_hex(6)
    return key_id, f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_token(token: str) -> str | None:
    """The key id of a well-formed token, or None."""
    found = _TOKEN_RE.match(token.strip())
    return found.group(1) if found else None


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token.strip()), stored_hash)
