"""A cancelled transaction raises the failure its failing operation names, in any order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.storage.models import AccountModel, GatewayModel
from chalicelib.storage.transactions import atomic


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
