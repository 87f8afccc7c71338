"""Who may see and change which list: visibility, ownership, scopes and exercise lists.

Rules (one place, used by every endpoint):

- ``public`` lists are readable by every key; ``shared`` lists by the owner platform and the
  platforms named in ``shared_with``; ``private`` lists by the owner platform only. Admin keys read
  everything.
- Exercise (drill) lists are served only when the request asks for them (``include_exercise``)
  *and* the key was created with the exercise flag. Otherwise they do not exist for that key.
- ``contribute`` keys add entries to lists they can read and remove entries their own platform
  added; ``admin`` keys add to and remove from any list.

Lists are duck-typed (``owner``, ``visibility``, ``shared_with``, ``exercise``) so this module needs
nothing but the key.
"""

from __future__ import annotations

from typing import Any

from hashdb.access.api_keys import ApiKey, Scope
from hashdb.access.errors import Forbidden

__all__ = ["can_read", "can_remove_entry", "check_exercise_request", "require_scope"]


def require_scope(key: ApiKey, scope: Scope) -> None:
    if not key.scope.allows(scope):
        raise Forbidden(f"this key has scope {key.scope.value!r}; {scope.value!r} is required")


def check_exercise_request(key: ApiKey, include_exercise: bool) -> bool:
    """Whether drill lists are served for this request; asking without the flag is refused."""
    if include_exercise and not key.exercise:
        raise Forbidden("this key may not read exercise lists (create it with --exercise)")
    return include_exercise


def can_read(key: ApiKey, hash_list: Any, *, include_exercise: bool = False) -> bool:
    if getattr(hash_list, "exercise", False) and not (include_exercise and key.exercise):
        return False
    if key.scope is Scope.ADMIN:
        return True
    visibility = getattr(hash_list, "visibility", "private")
    owner = getattr(hash_list, "owner", None)
    if visibility == "public" or owner == key.platform:
        return True
    return visibility == "shared" and key.platform in (getattr(hash_list, "shared_with", ()) or ())


def can_remove_entry(key: ApiKey, added_by: str | None) -> bool:
    if key.scope is Scope.ADMIN:
        return True
    return key.scope.allows(Scope.CONTRIBUTE) and (added_by or "").startswith(
        f"api:{key.platform}/"
    )
