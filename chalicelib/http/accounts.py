"""/v1/accounts and /v1/tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.http.admin import admin_route
from chalicelib.http.lazy_import import lazy_module
from chalicelib.http.views import account_view, page_view, token_view

if TYPE_CHECKING:
    from chalicelib.domain.principal import Principal
    from chalicelib.http import schemas
    from chalicelib.services import accounts as service
else:
    service = lazy_module("chalicelib.services.accounts")

bp = Blueprint(__name__)


@admin_route(
    bp,
    "/v1/accounts",
    "POST",
    status=201,
    body="CreateAccount",
    tag="accounts",
    response="AccountCreated",
)
def create_account(principal: Principal, body: schemas.CreateAccount) -> dict[str, Any]:
    """Create an account and its first admin token (root token only; the token is shown once)."""
    return account_view(service.create_account(principal, body.name))


@admin_route(
    bp, "/v1/tokens", "POST", status=201, body="CreateToken", tag="tokens", response="TokenCreated"
)
def create_token(principal: Principal, body: schemas.CreateToken) -> dict[str, Any]:
    """Create another admin token for your account (shown once)."""
    return token_view(*service.create_token(principal, body.name))


@admin_route(bp, "/v1/tokens", "GET", query="Page", tag="tokens", response="TokenList")
def list_tokens(principal: Principal, query: schemas.Page) -> dict[str, Any]:
    """List your account's admin tokens (values never shown)."""
    return page_view(service.list_tokens(principal, query.limit, query.cursor), token_view)


@admin_route(bp, "/v1/tokens/{token_id}", "DELETE", status=204, tag="tokens")
def revoke_token(principal: Principal, token_id: str) -> None:
    """Revoke an admin token."""
    service.revoke_token(principal, token_id)
