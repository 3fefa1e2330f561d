"""Call records and their stats for an account: the filters checked here, the queries in
``storage/calls/`` (``plans``: which index serves which filter), the counts in ``usage``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.clock import parse_time, utc_now
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import CallRecord
from chalicelib.domain.verdicts import FAILURE, RESULT_FILTERS, SUCCESS
from chalicelib.services.usage import GRANULARITIES, read_counts
from chalicelib.storage import keys as key_store
from chalicelib.storage.calls.listing import RecordPage, query
from chalicelib.storage.calls.lookup import by_request_id
from chalicelib.storage.calls.plans import RecordFilter
from chalicelib.storage.pagination import invalid_cursor

MAX_STAT_BUCKETS = 2000


def _time_range(from_: str | None, to: str | None) -> tuple[datetime | None, datetime | None]:
    low = parse_time(from_, "from") if from_ else None
    high = parse_time(to, "to") if to else None
    if low and high and low > high:
        raise ValidationFailed("must not be after 'to'", "from")
    return low, high


def _check_result(result: str | None) -> None:
    if result is not None and result not in RESULT_FILTERS:
        raise ValidationFailed(
            f"{result!r} is not a result; use success, failure or a code such as NONCE_USED",
            "result",
        )


class RecordQuery(NamedTuple):
    """What a listing asks for: the filters, a time range and the page."""

    app_id: str | None = None
    api_id: str | None = None
    access_key: str | None = None
    result: str | None = None
    from_: str | None = None
    to: str | None = None
    limit: int = 50
    cursor: str | None = None
    request_id: str | None = None


def list_records(principal: Principal, asked: RecordQuery) -> RecordPage:
    """One page of the calls the account sees, newest first."""
    _check_result(asked.result)
    low, high = _time_range(asked.from_, asked.to)
    if asked.request_id:  # empty, like every other filter: not given
        return _by_request_id(principal.account_id, asked, low, high)
    filters = RecordFilter(asked.app_id, asked.api_id, asked.access_key, asked.result)
    return _query(principal.account_id, filters, asked, low, high)


def _query(
    viewer: str,
    filters: RecordFilter,
    asked: RecordQuery,
    low: datetime | None,
    high: datetime | None,
) -> RecordPage:
    # A key's calls are in its app's partition.
    key_app = _app_of_key(asked.access_key) if asked.access_key else None
    return query(viewer, filters, low, high, asked.limit, asked.cursor, key_app=key_app)


def _by_request_id(
    viewer: str, asked: RecordQuery, low: datetime | None, high: datetime | None
) -> RecordPage:
    """The call with this request id, if the account sees it and the other filters match.

    Every record but an allowed verified call's is found by its key (``lookup``): the first
    page answers it, with no next page. An allowed call's record has no such entry (it would
    be a write unit on every allowed call: README, cost), so when none is found the call is
    looked for among the viewer's successes, newest first, as a listing filtered by request
    id: a page reads within the listing's budget and may come back empty with a
    ``next_cursor`` that reads further back; a time range narrows it.
    """
    scanned = 0
    if asked.cursor is None:
        records, scanned = by_request_id(viewer, asked.request_id or "")
        if records:
            matching = [record for record in records if _matches(record, asked, low, high)]
            return RecordPage(matching[: asked.limit], None, scanned)
    if asked.result not in (None, SUCCESS):
        if asked.cursor is not None:  # no page of refusals has a next one: not ours
            raise invalid_cursor()
        return RecordPage([], None, scanned)
    filters = RecordFilter(asked.app_id, asked.api_id, asked.access_key, SUCCESS, asked.request_id)
    page = _query(viewer, filters, asked, low, high)
    next_cursor = None if page.records else page.next_cursor  # found: the one call
    return RecordPage(page.records, next_cursor, scanned + page.scanned)


def _matches(
    record: CallRecord, asked: RecordQuery, low: datetime | None, high: datetime | None
) -> bool:
    wanted = {"app_id": asked.app_id, "api_id": asked.api_id, "access_key": asked.access_key}
    return (
        all(value is None or getattr(record, name) == value for name, value in wanted.items())
        and _result_matches(record.result, asked.result)
        and (low is None or parse_time(record.time, "time") >= low)
        and (high is None or parse_time(record.time, "time") <= high)
    )


def _result_matches(result: str, asked: str | None) -> bool:
    if asked is None or asked == result:
        return True
    if asked == SUCCESS:
        return False
    return asked == FAILURE and result != SUCCESS


def _app_of_key(access_key: str) -> str | None:
    key = key_store.get_key(access_key)
    return key.app_id if key else None  # gone: its records are found by the filter alone


def record_stats(
    principal: Principal,
    *,
    app_id: str | None,
    api_id: str | None,
    from_: str | None,
    to: str | None,
    bucket: str,
) -> Stats:
    """Counts per bucket and result over a range (default: the last hour, day or 30 days)."""
    if app_id and api_id:
        raise ValidationFailed("give app_id or api_id, not both", "api_id")
    low, high = _time_range(from_, to)
    high = high or utc_now()
    if low is None:
        default_span = {"minute": timedelta(hours=1), "hour": timedelta(days=1)}
        try:
            low = high - default_span.get(bucket, timedelta(days=30))
        except OverflowError:  # 'to' within the default span of year 1
            raise ValidationFailed(
                "is too early to count back from; give 'from' too", "to"
            ) from None
    span = {"minute": 60, "hour": 3600, "day": 86400}[bucket]
    if (high - low).total_seconds() / span > MAX_STAT_BUCKETS:
        raise ValidationFailed(
            f"the range holds more than {MAX_STAT_BUCKETS} {bucket} buckets; narrow it or use a "
            "larger bucket",
            "from",
        )
    assert bucket in GRANULARITIES
    kind, value = ("app", app_id) if app_id else ("api", api_id) if api_id else ("all", "-")
    counts = read_counts(principal.account_id, kind, value or "-", bucket, low, high)
    return Stats(bucket, low, high, counts)


class Stats(NamedTuple):
    bucket: str
    low: datetime
    high: datetime
    counts: list[dict[str, Any]]  # {"start": bucket start, "counts": {result: n}}
