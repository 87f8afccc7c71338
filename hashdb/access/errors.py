"""Errors of the access layer, all under :class:`hashdb.errors.HashDBError`.

Tree::

    HashDBError
    └── AccessError
        ├── NotAuthenticated      no key, a malformed key, an unknown or revoked key  (HTTP 401)
        ├── Forbidden             the key's scope or exercise flag does not allow it  (HTTP 403)
        ├── RateLimited           the key's bucket is empty; carries retry_after      (HTTP 429)
        │   └── TooManyFailedAuthentications  from one client address               (HTTP 429)
        ├── KeyNotFound           no key with that id                                 (HTTP 404)
        └── InvalidKeyRequest     bad platform name or scope                          (HTTP 400)
"""

from __future__ import annotations

from hashdb.errors import HashDBError

__all__ = [
    "AccessError",
    "Forbidden",
    "InvalidKeyRequest",
    "KeyNotFound",
    "NotAuthenticated",
    "RateLimited",
    "TooManyFailedAuthentications",
]


class AccessError(HashDBError):
    """Root of the access-control errors."""


class NotAuthenticated(AccessError):
    pass


class Forbidden(AccessError):
    pass


class RateLimited(AccessError):
    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyFailedAuthentications(RateLimited):
    """The client address failed to authenticate too often; refused before its key is looked
    at, until ``retry_after`` seconds have passed."""


class KeyNotFound(AccessError):
    pass


class InvalidKeyRequest(AccessError):
    pass
