"""The one time format: fixed-width ISO-8601 UTC with milliseconds, whatever the machine's zone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.clock import format_time, parse_time, utc_now
from chalicelib.domain.errors import ValidationFailed

TOKYO = timezone(timedelta(hours=9))


@pytest.fixture
def local_zone_tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone is a boundary: a developer's machine is rarely in UTC."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_utc_now_is_aware_and_in_utc() -> None:
    assert utc_now().utcoffset() == timedelta(0)


def test_format_time_is_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2026, 11, 22, 5, 7, 41, 123456, tzinfo=UTC)
    assert format_time(moment) == "2026-11-22T05:07:41.123Z"


def test_format_time_converts_other_offsets_to_utc() -> None:
    moment = datetime(2026, 11, 22, 14, 0, 0, tzinfo=TOKYO)
    assert format_time(moment) == "2026-11-22T05:00:00.000Z"


@pytest.mark.usefixtures("local_zone_tokyo")
def test_format_time_ignores_the_local_zone() -> None:
    assert format_time(datetime(2026, 11, 22, 5, 0, tzinfo=UTC)) == "2026-11-22T05:00:00.000Z"


def test_formatted_times_sort_as_the_times_do() -> None:
    early = datetime(999, 1, 1, tzinfo=UTC)
    late = datetime(2026, 1, 1, tzinfo=UTC)
    assert format_time(early) == "0999-01-01T00:00:00.000Z"
    assert format_time(early) < format_time(late)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T05:00:00Z",
        "2026-11-22T05:00:00z",
        "  2026-11-22T05:00:00Z ",
        "2026-11-22T05:00:00+00:00",
        "2026-11-22T14:00:00+09:00",
        "2026-11-22T05:00:00",  # naive: taken as UTC
        "2026-11-22T05:00:00.000Z",
    ],
)
def test_parse_time_reads_iso_8601_as_utc(text: str) -> None:
    moment = parse_time(text, "from")
    assert moment == datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.usefixtures("local_zone_tokyo")
def test_parse_time_takes_naive_times_as_utc_not_local() -> None:
    moment = parse_time("2026-11-22T05:00:00", "from")
    assert moment.utcoffset() == timedelta(0)
    assert format_time(moment) == "2026-11-22T05:00:00.000Z"


def test_parse_time_round_trips_format_time() -> None:
    moment = datetime(2026, 11, 22, 5, 7, 41, 123000, tzinfo=UTC)
    assert parse_time(format_time(moment), "to") == moment


@pytest.mark.parametrize("value", [None, 1700000000, "", "   "])
def test_parse_time_refuses_a_missing_time_with_an_example(value: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_time(value, "from")
    assert caught.value.field == "from"
    assert caught.value.message == ("from: must be an ISO-8601 time such as 2026-11-22T05:00:00Z")


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-11-22T05:00:00ZZ"])
def test_parse_time_refuses_text_that_is_no_time_quoting_it(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_time(value, "to")
    assert caught.value.field == "to"
    assert caught.value.message == (
        f"to: {value!r} is not an ISO-8601 time; use e.g. 2026-11-22T05:00:00Z"
    )


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_that_leaves_the_calendar_in_utc_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_time(value, "to")
    assert refused.value.field == "to"
    assert str(refused.value) == (
        f"to: {value!r} is out of range once converted to UTC; use e.g. 2026-11-22T05:00:00Z"
    )
