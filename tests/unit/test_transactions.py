"""A cancelled transaction raises the failure its failing operation names, in any order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.storage.models import AccountModel, GatewayModel
from chalicelib.storage.transactions import _connection, atomic


@pytest.fixture
def tables() -> Iterator[None]:
    with mock_aws():
        for model in (AccountModel, GatewayModel):
            model.create_table(wait=False)
        AccountModel("acc-1", name="one", created_at="2026-11-22T05:00:00.000Z").save()
        yield


def test_the_failing_operation_names_the_error_whatever_the_order(tables: None) -> None:
    taken = Conflict("account taken")
    absent = NotFound("gateway absent")
    account = AccountModel("acc-1", name="again", created_at="2026-11-22T05:00:00.000Z")

    def write(account_first: bool) -> None:
        with atomic() as tx:

            def save_account() -> None:
                tx.save(account, condition=AccountModel.account_id.does_not_exist(), failure=taken)

            def check_gateway() -> None:
                tx.condition_check(
                    GatewayModel, "gw-none", condition=GatewayModel.gateway_id.exists()
                )

            operations = [save_account, check_gateway]
            for operation in operations if account_first else reversed(operations):
                operation()

    for account_first in (True, False):
        with pytest.raises(Conflict, match="account taken"):
            write(account_first)

    # A condition check that fails names its own failure; a save after it changes nothing.
    with pytest.raises(NotFound, match="gateway absent"), atomic() as tx:
        tx.save(AccountModel("acc-2", name="two", created_at="2026-11-22T05:00:00.000Z"))
        tx.condition_check(
            GatewayModel, "gw-none", condition=GatewayModel.gateway_id.exists(), failure=absent
        )
    with pytest.raises(AccountModel.DoesNotExist):
        AccountModel.get("acc-2")


def test_a_failure_without_a_named_error_stays_a_storage_error(tables: None) -> None:
    from pynamodb.exceptions import TransactWriteError

    with pytest.raises(TransactWriteError), atomic() as tx:
        tx.condition_check(GatewayModel, "gw-none", condition=GatewayModel.gateway_id.exists())


def test_each_operation_is_sent_where_it_was_written_and_named_by_that_place(
    tables: None,
) -> None:
    """PynamoDB's TransactWrite groups operations by kind (checks, deletes, puts, updates): an
    update written first would be sent last. A failure must be the failing item's own, so
    the items go in the order written, and the reason at an index is that item's."""
    full = Conflict("account full")
    sent: list[list[str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append([next(iter(item)) for item in params["TransactItems"]])

    events = _connection().client.meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", record)
    try:
        with pytest.raises(Conflict, match="account full"), atomic() as tx:
            tx.update(
                AccountModel("acc-1"),
                actions=[AccountModel.key_count.add(1)],
                condition=AccountModel.key_count < 0,
                failure=full,
            )
            tx.condition_check(
                AccountModel, "acc-2", condition=AccountModel.account_id.does_not_exist()
            )
            tx.save(AccountModel("acc-3", name="three", created_at="2026-11-22T05:00:00.000Z"))
            assert [next(iter(item)) for item in tx.items] == ["Update", "ConditionCheck", "Put"]
    finally:
        events.unregister("provide-client-params.dynamodb.TransactWriteItems", record)
    assert sent == [["Update", "ConditionCheck", "Put"]]
