"""/v1/gateways: which account owns which API Gateway REST API (root token only to change)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.http.admin import admin_route
from chalicelib.http.lazy_import import lazy_module
from chalicelib.http.views import gateway_view, page_view

if TYPE_CHECKING:
    from chalicelib.domain.principal import Principal
    from chalicelib.http import schemas
    from chalicelib.services import gateways as service
else:
    service = lazy_module("chalicelib.services.gateways")

bp = Blueprint(__name__)


@admin_route(
    bp,
    "/v1/gateways",
    "POST",
    status=201,
    body="CreateGateway",
    tag="gateways",
    response="GatewayView",
)
def create_gateway(principal: Principal, body: schemas.CreateGateway) -> dict[str, Any]:
    """Bind an API Gateway REST API (its id, requestContext.apiId) to an account (root only)."""
    return gateway_view(service.create_gateway(principal, body.value()))


@admin_route(bp, "/v1/gateways", "GET", query="Page", tag="gateways", response="GatewayList")
def list_gateways(principal: Principal, query: schemas.Page) -> dict[str, Any]:
    """List gateways: all of them for the root token, your account's for any other."""
    return page_view(service.list_gateways(principal, query.limit, query.cursor), gateway_view)


@admin_route(bp, "/v1/gateways/{gateway_id}", "GET", tag="gateways", response="GatewayView")
def get_gateway(principal: Principal, gateway_id: str) -> dict[str, Any]:
    """One gateway."""
    return gateway_view(service.visible_gateway(principal, gateway_id))


@admin_route(
    bp,
    "/v1/gateways/{gateway_id}",
    "PATCH",
    body="UpdateGateway",
    tag="gateways",
    response="GatewayView",
)
def update_gateway(
    principal: Principal, gateway_id: str, body: schemas.UpdateGateway
) -> dict[str, Any]:
    """Rename a gateway, change its base URL, or give it to another account (root only)."""
    return gateway_view(service.update_gateway(principal, gateway_id, body.changes()))


@admin_route(bp, "/v1/gateways/{gateway_id}", "DELETE", status=204, tag="gateways")
def delete_gateway(principal: Principal, gateway_id: str) -> None:
    """Unbind a gateway with no APIs on it (root only)."""
    service.delete_gateway(principal, gateway_id)
