"""/v1/call-records and /v1/call-records/stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.http.admin import admin_route
from chalicelib.http.lazy_import import lazy_module

if TYPE_CHECKING:
    from chalicelib.http import schemas
    from chalicelib.services import call_records as service
    from chalicelib.services.accounts import Principal
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
    return service.list_records(principal, **query.model_dump())


@admin_route(
    bp, "/v1/call-records/stats", "GET", query="StatsFilter", tag="call-records", response="Stats"
)
def record_stats(principal: Principal, query: schemas.StatsFilter) -> dict[str, Any]:
    """Counts per time bucket and result, for charts."""
    return service.record_stats(principal, **query.model_dump())
