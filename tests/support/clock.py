"""Tests that count calls in a limit window must not straddle the window's end."""

from __future__ import annotations

import time


def clear_of_minute_end(seconds: float) -> None:
    """Return once at least ``seconds`` are left in the current UTC minute, sleeping into the
    next minute if fewer are. A minute's end is also a day's end, so this covers per-day
    counts too; per-second windows are not covered (no test counts across one)."""
    left = 60 - time.time() % 60
    if left < seconds:
        time.sleep(left + 0.05)
