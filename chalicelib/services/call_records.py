"""Reading call records: every filter is a Query on a key or index made for it, newest first.

Records are stored once per viewer account (the API's owner and the app's owner), so an
account's queries never leave its own partitions. Which index serves which filter:

| filter given first             | index       | partition            |
| ------------------------------ | ----------- | -------------------- |
| app_id                         | by_app      | viewer#app_id        |
| api_id                         | by_api      | viewer#api_id        |
| access_key                     | by_key      | viewer#access_key    |
| result=success/failure         | by_outcome  | viewer#outcome       |
| result=<code>                  | by_result   | viewer#code          |
| none                           | table       | viewer               |

The time range is a condition on the sort key ``<time>#<request_id>``. Filters beyond the
first become a FilterExpression; such a page reads at most ``MAX_READS`` DynamoDB pages and
may come back short with a ``next_cursor``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.config import settings
from chalicelib.domain.clock import format_time, parse_time, utc_now
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.verdicts import FAILURE, RESULT_FILTERS, SUCCESS
from chalicelib.services.accounts import Principal
from chalicelib.services.usage import GRANULARITIES, read_counts
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page

MAX_READS = 2
RECORD_FIELDS = (
    "request_id",
    "time",
    "method",
    "path",
    "stage",
    "api_id",
    "app_id",
    "access_key",
    "auth_method",
    "source_ip",
    "result",
    "latency_ms",
    "caller_account_id",
    "provider_account_id",
    "secret",
    "retry_after",
)
MAX_STAT_BUCKETS = 2000


def record_view(item: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {}
    for name in RECORD_FIELDS:
        value = item.get(name)
        if value is None:
            view[name] = None
        elif "N" in value:
            view[name] = int(value["N"]) if name == "retry_after" else float(value["N"])
        else:
            view[name] = value.get("S")
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
    viewer = principal.account_id
    outcome_or_code = (
        ("viewer_outcome", "by_outcome")
        if result in (SUCCESS, FAILURE)
        else (
            "viewer_result",
            "by_result",
        )
    )
    filters = {
        "viewer_app": app_id,
        "viewer_api": api_id,
        "viewer_key": access_key,
        outcome_or_code[0]: result,
    }
    index_of = {"viewer_app": "by_app", "viewer_api": "by_api", "viewer_key": "by_key"}
    index_of[outcome_or_code[0]] = outcome_or_code[1]
    chosen = next((name for name, value in filters.items() if value), None)
    names: dict[str, str] = {"#p": chosen or "viewer"}
    values: dict[str, Any] = {":p": {"S": f"{viewer}#{filters[chosen]}" if chosen else viewer}}
    condition = "#p = :p"
    if low or high:
        values[":lo"] = {"S": format_time(low) if low else "0"}
        values[":hi"] = {"S": (format_time(high) if high else "9") + "#\uffff"}
        condition += " AND sk BETWEEN :lo AND :hi"
    extra = []
    for name, value in filters.items():
        if value and name != chosen:
            placeholder = f":{name}"
            names[f"#{name}"] = name
            values[placeholder] = {"S": f"{viewer}#{value}"}
            extra.append(f"#{name} = {placeholder}")
    arguments: dict[str, Any] = {
        "TableName": settings().table_name("call-records"),
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if chosen:
        arguments["IndexName"] = index_of[chosen]
    if extra:
        arguments["FilterExpression"] = " AND ".join(extra)
    key_attributes = {"viewer", "sk"} | ({chosen} if chosen else set())
    fixed = {"viewer": viewer, **({chosen: values[":p"]["S"]} if chosen else {})}
    start_key = decode_cursor(cursor, key_attributes, fixed)
    found = query_page(arguments, start_key, limit, MAX_READS)
    return {
        "items": [record_view(item) for item in found.items],
        "next_cursor": encode_cursor(found.last_key),
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
