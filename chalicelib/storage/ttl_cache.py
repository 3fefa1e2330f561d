"""What a warm container remembers: each entry for ``APIAUTH_CACHE_TTL_SECONDS``.

A TTL of 0 disables it (tests), so changes show at once. Bounded: past ``BOUND`` entries it
starts again empty, so a flood of keys never seen before cannot grow it.
"""

from __future__ import annotations

import time

from chalicelib.config import settings

BOUND = 10_000


class TtlCache:
    """Per-container cache of entries that expire after the configured TTL."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, object]] = {}

    def put(self, key: str, value: object) -> object:
        if settings().cache_ttl_seconds > 0:
            if len(self._entries) > BOUND:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), value)
        return value

    def peek(self, key: str, now: float, ttl: float) -> tuple[bool, object]:
        """Whether ``key`` was put less than ``ttl`` seconds before ``now``, and its value."""
        hit = self._entries.get(key)
        if ttl > 0 and hit is not None and now - hit[0] < ttl:
            return True, hit[1]
        return False, None

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
