"""CapacityMeter against dynalite itself; skipped where dynalite is not installed.

Install it as bench/dynalite.md says (``DYNALITE_DIR``, default /tmp/dynalite). Not part of CI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from bench.capacity.counting import count_write
from bench.capacity.dynalite import Dynalite, DynaliteUnavailable, create_tables
from bench.capacity.emulator import TransactionEmulator
from bench.capacity.meter import CapacityMeter
from bench.capacity.schema import IndexSpec, TableSpec
from bench.capacity.units import Units


def _why_not() -> str:
    try:
        Dynalite().check()
    except DynaliteUnavailable as error:
        return str(error)
    return ""


pytestmark = pytest.mark.skipif(bool(_why_not()), reason=f"needs dynalite: {_why_not()}")

TABLE = "capacity-two-gsis"
SPEC = TableSpec(
    TABLE,
    frozenset({"pk"}),
    (IndexSpec("by_a", frozenset({"a"})), IndexSpec("by_b", frozenset({"b"}))),
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with Dynalite() as url:
        yield url


@pytest.fixture
def client(endpoint: str) -> Any:
    client = botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="offline-fake",
        aws_secret_access_key="offline-fake",
    )
    if TABLE not in client.list_tables()["TableNames"]:
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "a", "b")
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": f"by_{name}",
                    "KeySchema": [{"AttributeName": name, "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for name in ("a", "b")
            ],
        )
    # dynalite makes tables asynchronously, like DynamoDB: wait until it is ACTIVE.
    deadline = time.monotonic() + 30
    while client.describe_table(TableName=TABLE)["Table"]["TableStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, f"{TABLE} never became ACTIVE"
        time.sleep(0.05)
    return client


def test_a_put_into_a_table_with_two_gsis_measures_what_dynalite_reports(client: Any) -> None:
    meter = CapacityMeter()
    meter.attach(client)
    item = {"pk": {"S": "p1"}, "a": {"S": "x"}, "b": {"S": "y"}, "pad": {"S": "z" * 1500}}
    reported = client.put_item(TableName=TABLE, Item=item)["ConsumedCapacity"]
    # dynalite reports the table's units alone (INDEXES shape, no index entries).
    assert reported == {"TableName": TABLE, "CapacityUnits": 2, "Table": {"CapacityUnits": 2}}
    assert meter.writes == reported["CapacityUnits"]
    assert meter.by_target() == {(TABLE, None): Units(write=2.0)}
    # The count agrees on the table, and adds what dynalite leaves out: 2 KB in each index.
    counted = count_write(SPEC, item)
    assert counted[(TABLE, None)] == meter.by_target()[(TABLE, None)]
    assert counted[(TABLE, "by_a")] == counted[(TABLE, "by_b")] == Units(write=2.0)


def test_dynalite_reports_nothing_for_a_failed_condition(client: Any) -> None:
    meter = CapacityMeter()
    meter.attach(client)
    item = {"pk": {"S": "p2"}}
    client.put_item(TableName=TABLE, Item=item)
    with pytest.raises(ClientError):
        client.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(pk)")
    assert [r.measured for r in meter.readings] == [True, False]
    assert meter.unmeasured_operations() == {"PutItem (ConditionalCheckFailedException)": 1}


@pytest.fixture
def gateway_model(endpoint: str) -> Iterator[Any]:
    """GatewayModel (2 GSIs) pointed at dynalite for one test, then back where it was."""
    from chalicelib.storage.models import GatewayModel

    host = GatewayModel.Meta.host
    create_tables(endpoint, [GatewayModel])
    try:
        yield GatewayModel
    finally:
        GatewayModel.Meta.host = host
        GatewayModel._connection = None


def test_pynamodb_writes_are_metered_too(gateway_model: Any) -> None:
    meter = CapacityMeter()
    meter.attach_models([gateway_model])
    gateway_model(
        gateway_id="gw-1", account_id="acc-1", created_at="2026", updated_at="2026"
    ).save()
    [reading] = meter.readings
    assert reading.operation == "PutItem" and reading.measured
    assert meter.by_table() == {gateway_model.Meta.table_name: Units(write=1.0)}


def test_an_emulated_transaction_is_measured_at_twice_the_table_units(
    client: Any, endpoint: str
) -> None:
    meter = CapacityMeter()
    meter.attach(client)
    TransactionEmulator(endpoint).attach(client)
    items = [{"pk": {"S": f"tx-{n}"}, "a": {"S": "x"}, "pad": {"S": "z" * 1500}} for n in (1, 2)]
    client.transact_write_items(
        TransactItems=[{"Put": {"TableName": TABLE, "Item": item}} for item in items]
    )
    [reading] = meter.readings
    assert reading.measured and reading.emulated
    assert meter.by_target() == {(TABLE, None): Units(write=8.0)}  # 2 items x 2 KB x 2
    stored = client.get_item(TableName=TABLE, Key={"pk": {"S": "tx-2"}}, ConsistentRead=True)
    assert stored["Item"] == items[1]


def test_an_emulated_transaction_undoes_its_writes_when_a_later_condition_fails(
    client: Any, endpoint: str
) -> None:
    TransactionEmulator(endpoint).attach(client)
    client.put_item(TableName=TABLE, Item={"pk": {"S": "taken"}, "n": {"N": "1"}})
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "fresh"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "taken"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    fresh = client.get_item(TableName=TABLE, Key={"pk": {"S": "fresh"}}, ConsistentRead=True)
    taken = client.get_item(TableName=TABLE, Key={"pk": {"S": "taken"}}, ConsistentRead=True)
    assert "Item" not in fresh
    assert taken["Item"] == {"pk": {"S": "taken"}, "n": {"N": "1"}}
