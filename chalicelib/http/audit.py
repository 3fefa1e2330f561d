"""/v1/audit: who did what in the caller's account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.config import settings
from chalicelib.http.admin import admin_route
from chalicelib.http.lazy_import import lazy_module
from chalicelib.http.views import event_view, page_view

if TYPE_CHECKING:
    from chalicelib.domain.principal import Principal
    from chalicelib.http import schemas
    from chalicelib.services import audit as service
else:
    service = lazy_module("chalicelib.services.audit")

bp = Blueprint(__name__)


@admin_route(bp, "/v1/audit", "GET", query="AuditFilter", tag="audit", response="AuditList")
def list_events(principal: Principal, query: schemas.AuditFilter) -> dict[str, Any]:
    """Your account's audit events (admin writes and secret reveals), newest first."""
    events = service.list_events(principal, **query.model_dump())
    return page_view(events, event_view) | {"retention_days": settings().audit_retention_days}
