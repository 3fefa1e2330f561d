"""Rate limits and quotas of an authorization: UTC windows and what a refused call is told."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

# Shortest first: the order in which limits are reported and checked.
WINDOWS = ("per_second", "per_minute", "per_day", "per_month")
# Day and month limits are quotas (Alibaba: "Quota Exhausted"); the others throttle.
QUOTA_WINDOWS = frozenset({"per_day", "per_month"})


class Limit(NamedTuple):
    window: str
    limit: int


def limits_from(given: Mapping[str, int | None] | None) -> tuple[Limit, ...]:
    """Limits from a map of window to calls (``{"per_minute": 60}``); a window left out or
    None is unlimited. The order is WINDOWS', whatever the map's."""
    values = given or {}
    return tuple(Limit(w, int(v)) for w in WINDOWS if (v := values.get(w)) is not None)


def limits_map(limits: tuple[Limit, ...]) -> dict[str, int]:
    """The map of window to calls that the admin API shows and the audit log records."""
    return {limit.window: limit.limit for limit in limits}


START_KEY_FORMAT = "%Y%m%dT%H%M%S"


def start_of(start_key: str) -> datetime:
    """The moment a window's start key (``Window.start_key``) names."""
    return datetime.strptime(start_key, START_KEY_FORMAT).replace(tzinfo=UTC)


class Window(NamedTuple):
    """One window of one authorization's limit, as of a moment."""

    window: str
    limit: int
    start: datetime
    end: datetime

    @property
    def start_key(self) -> str:
        """The window's start as sortable text: what a counter records it counts."""
        return self.start.strftime(START_KEY_FORMAT)

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1): the denial's Retry-After."""
        return max(1, math.ceil((self.end - now).total_seconds()))


def window_bounds(window: str, now: datetime) -> tuple[datetime, datetime]:
    """The UTC window of kind ``window`` that contains ``now``: [start, end)."""
    moment = now.astimezone(UTC)
    if window == "per_second":
        start = moment.replace(microsecond=0)
        return start, start + timedelta(seconds=1)
    if window == "per_minute":
        start = moment.replace(second=0, microsecond=0)
        return start, start + timedelta(minutes=1)
    if window == "per_day":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    if window == "per_month":
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        return start, start.replace(year=year, month=month)
    raise ValueError(f"unknown window {window!r}")


def current_windows(limits: tuple[Limit, ...], now: datetime) -> list[Window]:
    return [
        Window(limit.window, limit.limit, *window_bounds(limit.window, now)) for limit in limits
    ]


def verdict_for(window: str) -> str:
    return "QUOTA_EXHAUSTED" if window in QUOTA_WINDOWS else "THROTTLED"
