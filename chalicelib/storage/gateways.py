"""The gateways table (GatewayModel): which account owns which API Gateway REST API."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.admin import Gateway, Page
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.storage.models import GatewayModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, page
from chalicelib.storage.transactions import Transaction, Write


def _gateway(item: GatewayModel) -> Gateway:
    return Gateway(
        gateway_id=item.gateway_id,
        account_id=item.account_id,
        name=item.name or "",
        base_url=item.base_url,
        checks_bodies=bool(item.checks_bodies),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _item(gateway: Gateway) -> GatewayModel:
    return GatewayModel(
        gateway.gateway_id,
        account_id=gateway.account_id,
        name=gateway.name,
        base_url=gateway.base_url,
        checks_bodies=gateway.checks_bodies,
        created_at=gateway.created_at,
        updated_at=gateway.updated_at,
    )


def get_gateway(gateway_id: str) -> Gateway | None:
    try:
        return _gateway(GatewayModel.get(gateway_id))
    except DoesNotExist:
        return None


def first_of_account(account_id: str, count: int) -> list[Gateway]:
    """Up to ``count`` of the account's gateways, in one read."""
    return [_gateway(item) for item in GatewayModel.by_account.query(account_id, limit=count)]


def list_gateways(account_id: str | None, limit: int, cursor: str | None) -> Page[Gateway]:
    """The account's gateways, or every gateway (``account_id`` None: one partition of the
    ``all`` index, a Query, not a Scan)."""
    if account_id is None:
        start = decode_cursor(cursor, {"listed", "gateway_id"}, {"listed": "gateway"})
        results = GatewayModel.all.query("gateway", limit=limit, last_evaluated_key=start)
    else:
        start = decode_cursor(cursor, {"account_id", "gateway_id"}, {"account_id": account_id})
        results = GatewayModel.by_account.query(account_id, limit=limit, last_evaluated_key=start)
    items, last = page(results, limit)
    return Page([_gateway(item) for item in items], encode_cursor(last))


def put_gateway(gateway: Gateway) -> None:
    """Stored on its own, whatever was there (the deployment's own gateway, at bootstrap)."""
    _item(gateway).save()


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


def replace_gateway(gateway: Gateway) -> Write:
    def save(tx: Transaction) -> None:
        tx.save(
            _item(gateway),
            # Deleted meanwhile: a save would bring it back.
            condition=GatewayModel.gateway_id.exists(),
            failure=NotFound(f"gateway {gateway.gateway_id} not found"),
        )

    return save


def delete_gateway(gateway: Gateway) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(GatewayModel(gateway.gateway_id))

    return delete


def still_owned(gateway_id: str, account_id: str) -> Write:
    """No write: the transaction goes through only if the gateway is still the account's."""

    def check(tx: Transaction) -> None:
        tx.condition_check(
            GatewayModel,
            gateway_id,
            condition=GatewayModel.account_id == account_id,
            failure=NotFound(f"gateway {gateway_id} not found"),
        )

    return check
