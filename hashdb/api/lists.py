"""Which lists a key may see, with a short-lived cache of list metadata.

Every request needs the visible list names (matching, the delta feed, exports), so the metadata
is cached for ``ApiConfig.list_cache_seconds`` (time from the injected clock) and refreshed at once
after a change made through this API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from hashdb.access import ApiKey, can_read
from hashdb.errors import ListNotFound

__all__ = ["ListDirectory"]


class ListDirectory:
    def __init__(
        self, hash_service: Any, *, clock: Callable[[], datetime], cache_seconds: float
    ) -> None:
        self._svc = hash_service
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._lists: dict[str, Any] = {}
        self._loaded_at: datetime | None = None

    def invalidate(self) -> None:
        self._loaded_at = None

    async def all(self) -> dict[str, Any]:
        now = self._clock()
        if (
            self._loaded_at is None
            or (now - self._loaded_at).total_seconds() >= self._cache_seconds
        ):
            lists = await self._svc.lists(include_exercise=True)
            self._lists = {hash_list.name: hash_list for hash_list in lists}
            self._loaded_at = now
        return self._lists

    async def visible(self, key: ApiKey, *, include_exercise: bool) -> dict[str, Any]:
        return {
            name: hash_list
            for name, hash_list in (await self.all()).items()
            if can_read(key, hash_list, include_exercise=include_exercise)
        }

    async def get(self, key: ApiKey, name: str, *, include_exercise: bool) -> Any:
        """The list if this key may see it; ListNotFound otherwise (existence is not leaked)."""
        hash_list = (await self.all()).get(name)
        if hash_list is None:
            self.invalidate()  # it may have been created since the cache was filled
            hash_list = (await self.all()).get(name)
        if hash_list is None or not can_read(key, hash_list, include_exercise=include_exercise):
            raise ListNotFound(f"no hash list named {name!r}")
        return hash_list
