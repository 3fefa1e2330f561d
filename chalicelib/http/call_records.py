"""/v1/call-records and /v1/call-records/stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.config import settings
from chalicelib.domain.clock import format_time
from chalicelib.domain.records import CallRecord
from chalicelib.http.admin import admin_route
from chalicelib.http.lazy_import import lazy_module

if TYPE_CHECKING:
    from chalicelib.domain.principal import Principal
    from chalicelib.http import schemas
    from chalicelib.services import call_records as service
else:
    service = lazy_module("chalicelib.services.call_records")

bp = Blueprint(__name__)


@admin_route(
    bp,
    "/v1/call-records",
    "GET",
    query="RecordFilter",
    tag="call-records",
    response="CallRecordList",
)
def list_records(principal: Principal, query: schemas.RecordFilter) -> dict[str, Any]:
    """Calls to your APIs and calls made with your apps' keys, newest first."""
    found = service.list_records(principal, service.RecordQuery(**query.model_dump()))
    return {
        "items": [record_view(record) for record in found.records],
        "next_cursor": found.next_cursor,
        "retention_days": settings().record_retention_days,
        "scanned_count": found.scanned,
    }


def record_view(record: CallRecord) -> dict[str, Any]:
    """A record as the API shows it: absent fields are null."""
    view: dict[str, Any] = {name: value or None for name, value in record._asdict().items()}
    view["latency_ms"] = record.latency_ms
    return view


@admin_route(
    bp, "/v1/call-records/stats", "GET", query="StatsFilter", tag="call-records", response="Stats"
)
def record_stats(principal: Principal, query: schemas.StatsFilter) -> dict[str, Any]:
    """Counts per time bucket and result, for charts."""
    stats = service.record_stats(principal, **query.model_dump())
    return {
        "bucket": stats.bucket,
        "from": format_time(stats.low),
        "to": format_time(stats.high),
        "items": stats.counts,
        "retention_days": settings().record_retention_days,
    }
