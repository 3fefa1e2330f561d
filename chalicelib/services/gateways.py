"""Gateways: API Gateway REST APIs (``requestContext.apiId``) bound to the accounts that own them.

Only the root token binds, rebinds and unbinds them; an account registers APIs only on its own
gateways, so a route is one account's (DESIGN decision 9).
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.services.accounts import Principal
from chalicelib.services.audit import audit_event
from chalicelib.storage.models import AccountModel, ApiModel, GatewayModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, page
from chalicelib.storage.transactions import atomic

LOCAL_GATEWAY = "local"


def gateway_view(gateway: GatewayModel) -> dict[str, Any]:
    return {
        "gateway_id": gateway.gateway_id,
        "account_id": gateway.account_id,
        "name": gateway.name or "",
        "base_url": gateway.base_url,
        "checks_bodies": bool(gateway.checks_bodies),
        "created_at": gateway.created_at,
        "updated_at": gateway.updated_at,
    }


def _require_root(principal: Principal) -> None:
    if not principal.is_root:
        raise Forbidden("only the root token may bind, change or unbind gateways")


def _find(gateway_id: str) -> GatewayModel | None:
    try:
        return GatewayModel.get(gateway_id)
    except DoesNotExist:
        return None


def _require_account(account_id: str) -> None:
    try:
        AccountModel.get(account_id)
    except DoesNotExist:
        raise NotFound(f"account {account_id} not found") from None


def _has_apis(gateway_id: str) -> bool:
    return any(True for _ in ApiModel.by_gateway.query(gateway_id, limit=1))


def visible_gateway(principal: Principal, gateway_id: str) -> GatewayModel:
    """The gateway if the caller may see it (root: any; others: their own), else 404."""
    gateway = _find(gateway_id)
    if gateway is None or not (principal.is_root or gateway.account_id == principal.account_id):
        raise NotFound(f"gateway {gateway_id} not found")
    return gateway


def owned_gateway(principal: Principal, gateway_id: str) -> GatewayModel:
    """A gateway of the caller's own account (the root token's too): where it may register APIs."""
    gateway = _find(gateway_id)
    if gateway is None or gateway.account_id != principal.account_id:
        raise NotFound(f"gateway {gateway_id} not found")
    return gateway


def only_gateway(principal: Principal) -> GatewayModel:
    """The account's gateway when it has exactly one (``gateway_id`` may then be left out)."""
    found = list(GatewayModel.by_account.query(principal.account_id, limit=2))
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationFailed(
            "your account has no gateway yet; the root token binds one with POST /v1/gateways",
            "gateway_id",
        )
    raise ValidationFailed("is required: your account has several gateways", "gateway_id")


def gateways_by_id(gateway_ids: set[str]) -> dict[str, GatewayModel]:
    return {gateway_id: g for gateway_id in gateway_ids if (g := _find(gateway_id)) is not None}


def create_gateway(
    principal: Principal,
    gateway_id: str,
    account_id: str,
    name: str = "",
    base_url: str | None = None,
) -> dict[str, Any]:
    _require_root(principal)
    _require_account(account_id)
    now = format_time(utc_now())
    gateway = GatewayModel(
        gateway_id,
        account_id=account_id,
        name=name,
        base_url=base_url,
        checks_bodies=False,
        created_at=now,
        updated_at=now,
    )
    fields = {"account_id": account_id, "name": name, "base_url": base_url}
    conflict = Conflict(f"gateway {gateway_id} is already bound; change or unbind it first")
    with atomic() as tx:
        tx.save(gateway, condition=GatewayModel.gateway_id.does_not_exist(), failure=conflict)
        tx.save(audit_event(principal, "gateway.create", gateway_id, fields))
    return gateway_view(gateway)


def bind_own_gateway(gateway_id: str, account_id: str, base_url: str | None) -> GatewayModel:
    """This deployment's own REST API (or the local run): bound at bootstrap, bodies checked."""
    now = format_time(utc_now())
    gateway = _find(gateway_id) or GatewayModel(gateway_id, created_at=now)
    gateway.account_id = account_id
    gateway.name = gateway.name or "this deployment"
    gateway.base_url = base_url
    gateway.checks_bodies = True
    gateway.updated_at = now
    gateway.save()
    return gateway


def list_gateways(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    if principal.is_root:
        start = decode_cursor(cursor, {"listed", "gateway_id"}, {"listed": "gateway"})
        results = GatewayModel.all.query("gateway", limit=limit, last_evaluated_key=start)
    else:
        start = decode_cursor(
            cursor, {"account_id", "gateway_id"}, {"account_id": principal.account_id}
        )
        results = GatewayModel.by_account.query(
            principal.account_id, limit=limit, last_evaluated_key=start
        )
    items, last = page(results, limit)
    return {"items": [gateway_view(g) for g in items], "next_cursor": encode_cursor(last)}


def get_gateway(principal: Principal, gateway_id: str) -> dict[str, Any]:
    return gateway_view(visible_gateway(principal, gateway_id))


def update_gateway(
    principal: Principal, gateway_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    _require_root(principal)
    gateway = visible_gateway(principal, gateway_id)
    new_account = changes.get("account_id")
    if new_account and new_account != gateway.account_id:
        _require_account(new_account)
        if _has_apis(gateway_id):
            raise Conflict(
                "APIs are registered on this gateway; their account must delete them before "
                "the gateway changes hands"
            )
        gateway.account_id = new_account
    if changes.get("name") is not None:
        gateway.name = changes["name"]
    if "base_url" in changes:  # null clears it
        gateway.base_url = changes["base_url"] or None
    gateway.updated_at = format_time(utc_now())
    with atomic() as tx:
        tx.save(gateway)
        tx.save(audit_event(principal, "gateway.update", gateway_id, changes))
    return gateway_view(gateway)


def delete_gateway(principal: Principal, gateway_id: str) -> None:
    _require_root(principal)
    gateway = visible_gateway(principal, gateway_id)
    if _has_apis(gateway_id):
        raise Conflict("APIs are registered on this gateway; delete them first")
    with atomic() as tx:
        tx.delete(gateway)
        tx.save(
            audit_event(principal, "gateway.delete", gateway_id, {"account_id": gateway.account_id})
        )
