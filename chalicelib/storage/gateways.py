"""The gateways table (GatewayModel): which account owns which API Gateway REST API.

Items are decoded and encoded by ``storage/items.py``, the authorizer's codec too.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.admin import Gateway, Page
from chalicelib.domain.errors import Conflict, DomainError, NotFound
from chalicelib.storage import items, reads
from chalicelib.storage.models import GatewayModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page
from chalicelib.storage.transactions import Transaction, Write, field_actions


def _item(gateway: Gateway) -> GatewayModel:
    return GatewayModel.from_raw_data(items.gateway_item(gateway))


def get_gateway(gateway_id: str) -> Gateway | None:
    item = reads.get_item("gateways", gateway_id=gateway_id)
    return items.gateway_of(item) if item else None


def first_of_account(account_id: str, count: int) -> list[Gateway]:
    """Up to ``count`` of the account's gateways, in one read."""
    arguments = reads.query("gateways", "by_account", {"account_id": account_id})
    found = query_page(arguments, None, count, 1)
    return [items.gateway_of(item) for item in found.items]


def list_gateways(account_id: str | None, limit: int, cursor: str | None) -> Page[Gateway]:
    """The account's gateways, or every gateway (``account_id`` None: one partition of the
    ``all`` index, a Query, not a Scan)."""
    if account_id is None:
        listed = items.GATEWAYS_LISTED
        start = decode_cursor(cursor, {"listed", "gateway_id"}, {"listed": listed})
        arguments = reads.query("gateways", "all", {"listed": listed})
    else:
        start = decode_cursor(cursor, {"account_id", "gateway_id"}, {"account_id": account_id})
        arguments = reads.query("gateways", "by_account", {"account_id": account_id})
    found = query_page(arguments, start, limit, 1)
    return Page([items.gateway_of(item) for item in found.items], encode_cursor(found.last_key))


def put_gateway(gateway: Gateway) -> Write:
    """Bound on its own, whatever was bound before (the deployment's own gateway, at every
    bootstrap); the count of its APIs stays."""

    def put(tx: Transaction) -> None:
        created_at = GatewayModel.created_at.set(GatewayModel.created_at | gateway.created_at)
        tx.update(GatewayModel(gateway.gateway_id), actions=[*_field_actions(gateway), created_at])

    return put


def _field_actions(gateway: Gateway) -> list[Any]:
    fields = {
        "account_id": gateway.account_id,
        "name": gateway.name,
        "base_url": gateway.base_url or None,
        "checks_bodies": gateway.checks_bodies,
        "type": gateway.type,
        "simple_responses": gateway.simple_responses,
        "updated_at": gateway.updated_at,
    }
    listed = GatewayModel.listed.set(items.GATEWAYS_LISTED)
    return [*field_actions(GatewayModel, items.GATEWAYS, fields), listed]


def insert_gateway(gateway: Gateway) -> Write:
    def add(tx: Transaction) -> None:
        tx.save(
            _item(gateway),
            condition=GatewayModel.gateway_id.does_not_exist(),
            failure=Conflict(
                f"gateway {gateway.gateway_id} is already bound; change or unbind it first"
            ),
        )

    return add


def _no_apis() -> Any:
    return GatewayModel.api_count.does_not_exist() | (GatewayModel.api_count == 0)


def replace_gateway(gateway: Gateway, moved: bool = False) -> Write:
    """Its fields as changed (its API count stays); moved to another account only while no
    API is on it."""

    def update(tx: Transaction) -> None:
        if moved:
            condition = GatewayModel.gateway_id.exists() & _no_apis()
            failure: DomainError = Conflict(APIS_ON_GATEWAY_MOVE)
        else:  # deleted meanwhile: an update would bring it back
            condition = GatewayModel.gateway_id.exists()
            failure = NotFound(f"gateway {gateway.gateway_id} not found")
        tx.update(
            GatewayModel(gateway.gateway_id),
            actions=_field_actions(gateway),
            condition=condition,
            failure=failure,
        )

    return update


APIS_ON_GATEWAY_MOVE = (
    "APIs are registered on this gateway; their account must delete them before the gateway "
    "changes hands"
)
APIS_ON_GATEWAY_DELETE = "APIs are registered on this gateway; delete them first"


def delete_gateway(gateway: Gateway) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(
            GatewayModel(gateway.gateway_id),
            condition=_no_apis(),
            failure=Conflict(APIS_ON_GATEWAY_DELETE),
        )

    return delete


def count_api(gateway_id: str, account_id: str, delta: int) -> Write:
    """One API more (only while the gateway is the account's: root may rebind it) or less."""

    def count(tx: Transaction) -> None:
        tx.update(
            GatewayModel(gateway_id),
            actions=[GatewayModel.api_count.add(delta)],
            condition=GatewayModel.account_id == account_id,
            failure=NotFound(f"gateway {gateway_id} not found"),
        )

    return count
