"""Call records and their stats for an account: the filters checked here, the queries in
``storage/call_records.py`` (which index serves which filter), the counts in ``usage``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.config import settings
from chalicelib.domain.clock import format_time, parse_time, utc_now
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.records import CallRecord
from chalicelib.domain.verdicts import RESULT_FILTERS
from chalicelib.services.accounts import Principal
from chalicelib.services.usage import GRANULARITIES, read_counts
from chalicelib.storage import call_records, credentials

MAX_STAT_BUCKETS = 2000


def record_view(record: CallRecord) -> dict[str, Any]:
    """A record as the API shows it: absent fields are null."""
    view: dict[str, Any] = {name: value or None for name, value in record._asdict().items()}
    view["latency_ms"] = record.latency_ms
    return view


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


def list_records(
    principal: Principal,
    *,
    app_id: str | None = None,
    api_id: str | None = None,
    access_key: str | None = None,
    result: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    _check_result(result)
    low, high = _time_range(from_, to)
    found = call_records.query(
        principal.account_id,
        call_records.RecordFilter(app_id, api_id, access_key, result),
        low,
        high,
        limit,
        cursor,
        # A key's allowed calls are in its app's partition.
        key_app=credentials.app_of_key(access_key) if access_key else None,
    )
    return {
        "items": [record_view(record) for record in found.records],
        "next_cursor": found.next_cursor,
        "retention_days": settings().record_retention_days,
        "scanned_count": found.scanned,
    }


def record_stats(
    principal: Principal,
    *,
    app_id: str | None,
    api_id: str | None,
    from_: str | None,
    to: str | None,
    bucket: str,
) -> dict[str, Any]:
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
    return {
        "bucket": bucket,
        "from": format_time(low),
        "to": format_time(high),
        "items": read_counts(principal.account_id, kind, value or "-", bucket, low, high),
        "retention_days": settings().record_retention_days,
    }
