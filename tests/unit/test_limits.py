"""Limit windows: UTC boundaries, month lengths, Retry-After, which verdict a window gives."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.limits import (
    Limit,
    Window,
    current_windows,
    verdict_for,
    window_bounds,
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "now", "start", "end"),
    [
        (
            "per_second",
            utc(2026, 11, 22, 5, 0, 7, 999_999),
            utc(2026, 11, 22, 5, 0, 7),
            utc(2026, 11, 22, 5, 0, 8),
        ),
        (
            "per_minute",
            utc(2026, 11, 22, 5, 59, 59),
            utc(2026, 11, 22, 5, 59),
            utc(2026, 11, 22, 6, 0),
        ),
        ("per_minute", utc(2026, 11, 22, 6, 0), utc(2026, 11, 22, 6, 0), utc(2026, 11, 22, 6, 1)),
        ("per_day", utc(2026, 12, 31, 23, 59, 59), utc(2026, 12, 31), utc(2027, 1, 1)),
        ("per_month", utc(2026, 12, 15), utc(2026, 12, 1), utc(2027, 1, 1)),
        ("per_month", utc(2028, 2, 29, 12), utc(2028, 2, 1), utc(2028, 3, 1)),
        ("per_month", utc(2027, 2, 28, 23, 59), utc(2027, 2, 1), utc(2027, 3, 1)),
        ("per_month", utc(2026, 4, 30), utc(2026, 4, 1), utc(2026, 5, 1)),
    ],
)
def test_windows_are_utc_and_half_open(
    window: str, now: datetime, start: datetime, end: datetime
) -> None:
    assert window_bounds(window, now) == (start, end)


def test_a_local_time_is_windowed_in_utc() -> None:
    tokyo = datetime(2026, 12, 1, 8, 30, tzinfo=timezone(timedelta(hours=9)))  # 23:30 UTC Nov 30
    assert window_bounds("per_day", tokyo) == (utc(2026, 11, 30), utc(2026, 12, 1))
    assert window_bounds("per_month", tokyo) == (utc(2026, 11, 1), utc(2026, 12, 1))


def test_an_unknown_window_is_an_error() -> None:
    with pytest.raises(ValueError):
        window_bounds("per_week", utc(2026, 1, 1))


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (utc(2026, 11, 22, 5, 0, 0), 60),
        (utc(2026, 11, 22, 5, 0, 59, 1), 1),
        (utc(2026, 11, 22, 5, 0, 30, 500_000), 30),
        (utc(2026, 11, 22, 5, 0, 59, 999_999), 1),
    ],
)
def test_retry_after_is_whole_seconds_to_the_window_end_at_least_one(
    now: datetime, seconds: int
) -> None:
    [window] = current_windows((Limit("per_minute", 10),), now)
    assert window.retry_after(now) == seconds


def test_quotas_and_throttles() -> None:
    assert [verdict_for(w) for w in ("per_second", "per_minute", "per_day", "per_month")] == [
        "THROTTLED",
        "THROTTLED",
        "QUOTA_EXHAUSTED",
        "QUOTA_EXHAUSTED",
    ]


def test_a_windows_start_key_names_its_start_and_the_next_window_has_another() -> None:
    window = Window("per_day", 5, utc(2026, 11, 22), utc(2026, 11, 23))
    assert window.start_key == "20261122T000000"
    later = current_windows((Limit("per_day", 5),), utc(2026, 11, 23, 0, 0, 1))[0]
    assert later.start_key != window.start_key


# Limit-window edges the main table leaves open: sub-second parts of the moment, the host's
# time zone, what a window carries from its limit, and the wording of an unknown window.


@pytest.mark.parametrize(
    ("window", "start", "end"),
    [
        ("per_minute", utc(2026, 11, 22, 5, 59), utc(2026, 11, 22, 6, 0)),
        ("per_day", utc(2026, 11, 22), utc(2026, 11, 23)),
        ("per_month", utc(2026, 11, 1), utc(2026, 12, 1)),
    ],
)
def test_a_window_starts_on_its_boundary_whatever_the_seconds_and_microseconds(
    window: str, start: datetime, end: datetime
) -> None:
    assert window_bounds(window, utc(2026, 11, 22, 5, 59, 42, 123_456)) == (start, end)


@pytest.fixture
def host_nine_hours_ahead_of_utc() -> Iterator[None]:
    """The process's local zone set to UTC+9 (a POSIX TZ rule: no zone database needed)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "JST-9"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is POSIX-only")
@pytest.mark.usefixtures("host_nine_hours_ahead_of_utc")
def test_windows_are_utc_whatever_the_hosts_local_zone() -> None:
    now = utc(2026, 11, 30, 20)  # already December 1st on the host's clock
    day_start, day_end = window_bounds("per_day", now)
    assert (day_start, day_end) == (utc(2026, 11, 30), utc(2026, 12, 1))
    assert day_start.tzinfo is UTC and day_end.tzinfo is UTC  # counter keys format the start
    assert window_bounds("per_month", now) == (utc(2026, 11, 1), utc(2026, 12, 1))


def test_current_windows_carry_each_limits_window_and_count_in_order() -> None:
    now = utc(2026, 11, 22, 5, 0, 7, 250_000)
    limits = (Limit("per_second", 5), Limit("per_month", 100_000))
    assert current_windows(limits, now) == [
        Window("per_second", 5, utc(2026, 11, 22, 5, 0, 7), utc(2026, 11, 22, 5, 0, 8)),
        Window("per_month", 100_000, utc(2026, 11, 1), utc(2026, 12, 1)),
    ]


def test_an_unknown_window_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="unknown window 'per_week'"):
        window_bounds("per_week", utc(2026, 1, 1))


def test_limits_come_from_a_map_in_window_order_and_go_back_to_it() -> None:
    from chalicelib.domain.limits import Limit, limits_from, limits_map

    limits = limits_from({"per_day": 5, "per_second": 1, "per_minute": None})
    assert limits == (Limit("per_second", 1), Limit("per_day", 5))
    assert limits_map(limits) == {"per_second": 1, "per_day": 5}
    assert limits_from(None) == () and limits_map(()) == {}
