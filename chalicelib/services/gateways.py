"""Gateways: API Gateway REST or HTTP APIs (``requestContext.apiId``) bound to their accounts.

Only the root token binds, rebinds and unbinds them; an account registers APIs only on its own
gateways, so a route is one account's (DESIGN decision 9).
"""

from __future__ import annotations

from chalicelib.domain.admin import KEEP, Gateway, GatewayChanges, NewGateway, Page, given
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.services.audit import audit_event
from chalicelib.storage import accounts
from chalicelib.storage import gateways as store
from chalicelib.storage.audit import record
from chalicelib.storage.transactions import write

LOCAL_GATEWAY = "local"


def _require_root(principal: Principal) -> None:
    if not principal.is_root:
        raise Forbidden("only the root token may bind, change or unbind gateways")


def _require_account(account_id: str) -> None:
    if accounts.get_account(account_id) is None:
        raise NotFound(f"account {account_id} not found")


def visible_gateway(principal: Principal, gateway_id: str) -> Gateway:
    """The gateway if the caller may see it (root: any; others: their own), else 404."""
    gateway = store.get_gateway(gateway_id)
    if gateway is None or not (principal.is_root or gateway.account_id == principal.account_id):
        raise NotFound(f"gateway {gateway_id} not found")
    return gateway


def owned_gateway(principal: Principal, gateway_id: str) -> Gateway:
    """A gateway of the caller's own account (the root token's too): where it may register APIs."""
    gateway = store.get_gateway(gateway_id)
    if gateway is None or gateway.account_id != principal.account_id:
        raise NotFound(f"gateway {gateway_id} not found")
    return gateway


def only_gateway(principal: Principal) -> Gateway:
    """The account's gateway when it has exactly one (``gateway_id`` may then be left out)."""
    found = store.first_of_account(principal.account_id, 2)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationFailed(
            "your account has no gateway yet; the root token binds one with POST /v1/gateways",
            "gateway_id",
        )
    raise ValidationFailed("is required: your account has several gateways", "gateway_id")


def gateways_by_id(gateway_ids: set[str]) -> dict[str, Gateway]:
    return {
        gateway_id: gateway
        for gateway_id in gateway_ids
        if (gateway := store.get_gateway(gateway_id)) is not None
    }


def create_gateway(principal: Principal, new: NewGateway) -> Gateway:
    _require_root(principal)
    _require_account(new.account_id)
    now = format_time(utc_now())
    simple_responses = _simple_responses(new.type, new.simple_responses, given=True)
    gateway = Gateway(
        new.gateway_id,
        new.account_id,
        new.name,
        new.base_url,
        False,
        now,
        now,
        new.type,
        simple_responses,
    )
    fields = {
        "account_id": new.account_id,
        "name": new.name,
        "base_url": new.base_url,
        "type": new.type,
        "simple_responses": simple_responses,
    }
    write(
        store.insert_gateway(gateway),
        record(audit_event(principal, "gateway.create", new.gateway_id, fields)),
    )
    return gateway


def _simple_responses(kind: str, asked: bool | None, given: bool) -> bool:
    """An HTTP API's answer shape; a REST API always takes a policy (stored as true, unused)."""
    if kind == "http":
        return True if asked is None else asked
    if given and asked is False:
        raise ValidationFailed("applies only to gateways of type http", "simple_responses")
    return True


def bind_own_gateway(
    gateway_id: str, account_id: str, base_url: str | None, kind: str = "rest"
) -> Gateway:
    """This deployment's own REST API (or the local run): bound at bootstrap, bodies checked.

    The local run as an HTTP API (``kind`` "http") decides as every HTTP API does: no body,
    so a form body is refused (DESIGN decision 11); other bodies are still checked by the
    middleware against ``content_md5``, as a backend must."""
    now = format_time(utc_now())
    found = store.get_gateway(gateway_id)
    gateway = Gateway(
        gateway_id,
        account_id,
        (found.name if found else "") or "this deployment",
        base_url,
        kind != "http",
        found.created_at if found else now,
        now,
        kind,
        True,
    )
    write(store.put_gateway(gateway))
    return gateway


def list_gateways(principal: Principal, limit: int, cursor: str | None) -> Page[Gateway]:
    account = None if principal.is_root else principal.account_id
    return store.list_gateways(account, limit, cursor)


def update_gateway(principal: Principal, gateway_id: str, asked: GatewayChanges) -> Gateway:
    _require_root(principal)
    gateway = visible_gateway(principal, gateway_id)
    moved = asked.account_id is not None and asked.account_id != gateway.account_id
    if asked.account_id is not None and moved:
        _require_account(asked.account_id)
        gateway = gateway._replace(account_id=asked.account_id)
    if asked.name is not None:
        gateway = gateway._replace(name=asked.name)
    if asked.base_url is not KEEP:  # None clears it
        gateway = gateway._replace(base_url=asked.base_url or None)
    if asked.type is not None or asked.simple_responses is not None:
        kind = asked.type or gateway.type
        if kind == "http" and gateway.checks_bodies:
            # Its form-bodied calls are allowed for the body check to decide, which only this
            # deployment's own REST API runs: as an HTTP API they would pass unverified.
            raise ValidationFailed(
                "this deployment's own REST API checks request bodies; it cannot be an HTTP API",
                "type",
            )
        simple = _simple_responses(kind, asked.simple_responses, asked.simple_responses is not None)
        if asked.type is not None and asked.simple_responses is None and kind == "http":
            simple = gateway.simple_responses if gateway.type == "http" else True
        gateway = gateway._replace(type=kind, simple_responses=simple)
    gateway = gateway._replace(updated_at=format_time(utc_now()))
    write(
        store.replace_gateway(gateway, moved=moved),
        record(audit_event(principal, "gateway.update", gateway_id, given(asked))),
    )
    return gateway


def delete_gateway(principal: Principal, gateway_id: str) -> None:
    _require_root(principal)
    gateway = visible_gateway(principal, gateway_id)
    write(
        store.delete_gateway(gateway),
        record(
            audit_event(principal, "gateway.delete", gateway_id, {"account_id": gateway.account_id})
        ),
    )
