"""/v1/apis and /v1/authorizations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.http.admin import admin_route
from chalicelib.http.lazy_import import lazy_module
from chalicelib.http.views import api_view, authorization_view, page_view

if TYPE_CHECKING:
    from chalicelib.domain.principal import Principal
    from chalicelib.http import schemas
    from chalicelib.services import apis as service
else:
    service = lazy_module("chalicelib.services.apis")

bp = Blueprint(__name__)


@admin_route(bp, "/v1/apis", "POST", status=201, body="CreateApi", tag="apis", response="ApiView")
def create_api(principal: Principal, body: schemas.CreateApi) -> dict[str, Any]:
    """Register an API: method + path template (e.g. GET /orders/{id}), optional group."""
    return api_view(service.create_api(principal, body.value()))


@admin_route(bp, "/v1/apis", "GET", query="Page", tag="apis", response="ApiList")
def list_apis(principal: Principal, query: schemas.Page) -> dict[str, Any]:
    """List your APIs."""
    return page_view(service.list_apis(principal, query.limit, query.cursor), api_view)


@admin_route(bp, "/v1/apis/{api_id}", "GET", tag="apis", response="ApiView")
def get_api(principal: Principal, api_id: str) -> dict[str, Any]:
    """One API."""
    return api_view(service.get_api(principal, api_id))


@admin_route(bp, "/v1/apis/{api_id}", "PATCH", body="UpdateApi", tag="apis", response="ApiView")
def update_api(principal: Principal, api_id: str, body: schemas.UpdateApi) -> dict[str, Any]:
    """Change an API's name, method, path, group or description."""
    return api_view(service.update_api(principal, api_id, body.changes()))


@admin_route(bp, "/v1/apis/{api_id}", "DELETE", status=204, tag="apis")
def delete_api(principal: Principal, api_id: str) -> None:
    """Delete an API and the authorizations that name it."""
    service.delete_api(principal, api_id)


@admin_route(
    bp,
    "/v1/authorizations",
    "POST",
    status=201,
    body="CreateAuthorization",
    tag="authorizations",
    response="AuthorizationView",
)
def create_authorization(principal: Principal, body: schemas.CreateAuthorization) -> dict[str, Any]:
    """Authorize an app or one key pair (of any account) for one API, a group or all your
    APIs, by stage."""
    return authorization_view(service.create_authorization(principal, body.value()))


@admin_route(
    bp,
    "/v1/authorizations/{authorization_id}",
    "PATCH",
    body="UpdateAuthorization",
    tag="authorizations",
    response="AuthorizationView",
)
def update_authorization(
    principal: Principal, authorization_id: str, body: schemas.UpdateAuthorization
) -> dict[str, Any]:
    """Change an authorization's stages, end date or limits (null clears a field)."""
    changes = body.changes()
    return authorization_view(service.update_authorization(principal, authorization_id, changes))


@admin_route(
    bp,
    "/v1/authorizations",
    "GET",
    query="AuthorizationFilter",
    tag="authorizations",
    response="AuthorizationList",
)
def list_authorizations(principal: Principal, query: schemas.AuthorizationFilter) -> dict[str, Any]:
    """The authorizations your account granted; filter by app_id, api_id or access_key."""
    granted = service.list_authorizations(
        principal, query.app_id, query.api_id, query.limit, query.cursor, query.access_key
    )
    return page_view(granted, authorization_view)


@admin_route(
    bp, "/v1/authorizations/{authorization_id}", "DELETE", status=204, tag="authorizations"
)
def revoke_authorization(principal: Principal, authorization_id: str) -> None:
    """Revoke an authorization you granted."""
    service.revoke_authorization(principal, authorization_id)
