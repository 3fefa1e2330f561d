"""CapacityMeter and the item-size count (bench/capacity/), on canned botocore responses.

No DynamoDB here: botocore's Stubber answers, so the hooks run as they do against a server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from bench.capacity.counting import ItemSizeCounter, count_write
from bench.capacity.dynalite import Dynalite, DynaliteUnavailable
from bench.capacity.meter import CapacityMeter, Reading, operation_kind, parse_consumed
from bench.capacity.schema import IndexSpec, TableSpec
from bench.capacity.units import Units, read_units, write_units

TABLE = TableSpec(
    "things",
    frozenset({"pk"}),
    (
        IndexSpec("by_a", frozenset({"a"})),
        IndexSpec("by_b", frozenset({"b", "pk"})),
        IndexSpec("by_c_keys", frozenset({"c"}), projection="KEYS_ONLY"),
    ),
)


def _item(**values: str) -> dict[str, Any]:
    return {name: {"S": value} for name, value in values.items()}


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber, CapacityMeter]]:
    client = botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="offline-fake",
        aws_secret_access_key="offline-fake",
    )
    meter = CapacityMeter()
    meter.attach(client)
    with Stubber(client) as stubber:
        yield client, stubber, meter


# --- parsing --------------------------------------------------------------------------------


def test_a_write_with_indexes_splits_table_and_each_index() -> None:
    consumed = {
        "TableName": "things",
        "CapacityUnits": 4.0,
        "Table": {"CapacityUnits": 2.0},
        "GlobalSecondaryIndexes": {"by_a": {"CapacityUnits": 1.0}, "by_b": {"CapacityUnits": 1.0}},
    }
    assert parse_consumed("PutItem", {}, consumed) == {
        ("things", None): Units(write=2.0),
        ("things", "by_a"): Units(write=1.0),
        ("things", "by_b"): Units(write=1.0),
    }


def test_dynalite_shapes_total_only_and_total_with_table() -> None:
    # What dynalite 4.0.0 answers for TOTAL and for INDEXES: the table alone.
    total = {"TableName": "things", "CapacityUnits": 2}
    indexes = {**total, "Table": {"CapacityUnits": 2}}
    for consumed in (total, indexes):
        assert parse_consumed("UpdateItem", {}, consumed) == {("things", None): Units(write=2.0)}


def test_without_table_the_table_share_is_the_total_less_the_indexes() -> None:
    consumed = {
        "TableName": "things",
        "CapacityUnits": 3.0,
        "GlobalSecondaryIndexes": {"by_a": {"CapacityUnits": 1.0}},
    }
    found = parse_consumed("PutItem", {}, consumed)
    assert found[("things", None)] == Units(write=2.0)


def test_a_query_on_an_index_is_read_units_on_that_index() -> None:
    consumed = {
        "TableName": "things",
        "CapacityUnits": 0.5,
        "Table": {"CapacityUnits": 0},
        "GlobalSecondaryIndexes": {"by_a": {"CapacityUnits": 0.5}},
    }
    assert parse_consumed("Query", {}, consumed) == {
        ("things", None): Units(),
        ("things", "by_a"): Units(read=0.5),
    }


def test_a_batch_answers_a_list_one_entry_per_table() -> None:
    consumed = [
        {"TableName": "things", "CapacityUnits": 3, "Table": {"CapacityUnits": 3}},
        {"TableName": "others", "CapacityUnits": 1.5},
    ]
    assert parse_consumed("BatchGetItem", {}, consumed) == {
        ("things", None): Units(read=3.0),
        ("others", None): Units(read=1.5),
    }


def test_read_and_write_units_given_apart_are_taken_as_given() -> None:
    # A transaction with a ConditionCheck: DynamoDB may split reads and writes.
    consumed = [
        {
            "TableName": "things",
            "CapacityUnits": 6.0,
            "ReadCapacityUnits": 2.0,
            "WriteCapacityUnits": 4.0,
            "Table": {"CapacityUnits": 6.0, "ReadCapacityUnits": 2.0, "WriteCapacityUnits": 4.0},
        }
    ]
    found = parse_consumed("TransactWriteItems", {}, consumed)
    assert found == {("things", None): Units(read=2.0, write=4.0)}


def test_partiql_is_a_read_only_when_every_statement_selects() -> None:
    assert operation_kind("ExecuteStatement", {"Statement": " select * from t"}) == "read"
    assert operation_kind("ExecuteStatement", {"Statement": "UPDATE t SET a=1"}) == "write"
    statements = {"TransactStatements": [{"Statement": "SELECT 1"}, {"Statement": "DELETE x"}]}
    assert operation_kind("ExecuteTransaction", statements) == "write"


# --- the hooks, through botocore ------------------------------------------------------------


def test_every_data_operation_is_asked_for_indexes_and_summed(stubbed: Any) -> None:
    client, stubber, meter = stubbed
    item = _item(pk="1", a="x")
    stubber.add_response(
        "put_item",
        {
            "ConsumedCapacity": {
                "TableName": "things",
                "CapacityUnits": 2.0,
                "Table": {"CapacityUnits": 1.0},
                "GlobalSecondaryIndexes": {"by_a": {"CapacityUnits": 1.0}},
            }
        },
        {"TableName": "things", "Item": item, "ReturnConsumedCapacity": "INDEXES"},
    )
    stubber.add_response(
        "get_item",
        {"Item": item, "ConsumedCapacity": {"TableName": "things", "CapacityUnits": 0.5}},
        {"TableName": "things", "Key": _item(pk="1"), "ReturnConsumedCapacity": "INDEXES"},
    )
    client.put_item(TableName="things", Item=item, ReturnConsumedCapacity="NONE")
    client.get_item(TableName="things", Key=_item(pk="1"))
    assert (meter.requests, meter.reads, meter.writes) == (2, 0.5, 2.0)
    assert meter.by_table() == {"things": Units(read=0.5, write=2.0)}
    assert meter.by_index() == {("things", "by_a"): Units(write=1.0)}
    assert [r.operation for r in meter.readings] == ["PutItem", "GetItem"]
    assert meter.unmeasured() == []
    meter.reset()
    assert (meter.requests, meter.reads, meter.writes) == (0, 0.0, 0.0)


def test_control_plane_calls_are_left_alone(stubbed: Any) -> None:
    client, stubber, meter = stubbed
    stubber.add_response("list_tables", {"TableNames": []}, {})
    client.list_tables()
    assert meter.requests == 0


def test_a_failed_condition_is_unmeasured_and_counted_by_the_fallback(stubbed: Any) -> None:
    client, stubber, meter = stubbed
    seen: list[Reading] = []

    def fallback(reading: Reading) -> dict[tuple[str, str | None], Units]:
        seen.append(reading)
        return {("things", None): Units(write=1.0)}

    meter.fallback = fallback
    stubber.add_client_error(
        "put_item", "ConditionalCheckFailedException", "The conditional request failed"
    )
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName="things", Item=_item(pk="1"), ConditionExpression="x")
    [reading] = meter.unmeasured()
    assert reading.error == "ConditionalCheckFailedException"
    assert reading.params["Item"] == _item(pk="1")
    assert seen == [reading]
    assert (meter.measured_writes, meter.writes) == (0.0, 1.0)
    assert meter.unmeasured_operations() == {"PutItem (ConditionalCheckFailedException)": 1}


def test_an_unknown_operation_is_named_as_unmeasured(stubbed: Any) -> None:
    client, stubber, meter = stubbed
    stubber.add_client_error("transact_write_items", "UnknownOperationException", "")
    with pytest.raises(client.exceptions.ClientError):
        client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {}}}])
    assert meter.unmeasured_operations() == {"TransactWriteItems (UnknownOperationException)": 1}


def test_consumed_capacity_in_an_error_body_is_read_from_the_body() -> None:
    meter = CapacityMeter()

    class Response:
        status_code = 400
        content = json.dumps(
            {
                "__type": "ConditionalCheckFailedException",
                "ConsumedCapacity": {"TableName": "things", "CapacityUnits": 2.0},
            }
        ).encode()

    class Model:
        name = "UpdateItem"

    context = {meter._key: {"TableName": "things"}}
    parsed = {"Error": {"Code": "ConditionalCheckFailedException"}}
    meter._on_response(Response(), parsed, Model(), context)
    [reading] = meter.readings
    assert reading.measured and reading.error == "ConditionalCheckFailedException"
    assert meter.writes == 2.0


def test_attaching_twice_counts_once(stubbed: Any) -> None:
    client, stubber, meter = stubbed
    meter.attach(client)
    stubber.add_response("get_item", {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1}})
    client.get_item(TableName="t", Key=_item(pk="1"))
    assert meter.requests == 1


# --- counting from item sizes ---------------------------------------------------------------


def test_units_round_up_by_1_kb_for_writes_and_4_kb_for_reads() -> None:
    assert [write_units(n) for n in (0, 1024, 1025)] == [1, 1, 2]
    assert [read_units(n) for n in (1, 4096, 4097)] == [1.0, 1.0, 2.0]
    assert read_units(100, consistent=False) == 0.5
    assert read_units(100, transactional=True) == 2.0


def test_a_new_item_writes_each_index_it_has_the_keys_of() -> None:
    # by_b needs b and pk: populated; by_c_keys needs c: sparse, not written.
    counted = count_write(TABLE, _item(pk="1", a="x", b="y"))
    assert counted == {
        ("things", None): Units(write=1),
        ("things", "by_a"): Units(write=1),
        ("things", "by_b"): Units(write=1),
    }


def test_a_large_item_costs_more_in_the_table_and_in_each_all_index() -> None:
    counted = count_write(TABLE, _item(pk="1", a="x", c="k", pad="p" * 1500))
    assert counted[("things", None)] == Units(write=2)
    assert counted[("things", "by_a")] == Units(write=2)
    assert counted[("things", "by_c_keys")] == Units(write=1)  # keys only: a small entry


def test_an_update_rekeying_an_index_writes_it_twice_others_once_unchanged_none() -> None:
    old = _item(pk="1", a="x", c="k", n="1")
    new = _item(pk="1", a="z", c="k", n="2")
    counted = count_write(TABLE, new, old)
    assert counted[("things", "by_a")] == Units(write=2)  # delete x, put z
    assert ("things", "by_b") not in counted  # not in the index before or after
    assert ("things", "by_c_keys") not in counted  # n is not projected: entry unchanged


def test_a_delete_writes_the_table_and_each_index_the_item_was_in() -> None:
    counted = count_write(TABLE, None, _item(pk="1", a="x"))
    assert counted == {("things", None): Units(write=1), ("things", "by_a"): Units(write=1)}


def test_the_table_is_charged_the_larger_of_before_and_after() -> None:
    counted = count_write(TABLE, _item(pk="1"), _item(pk="1", pad="p" * 3000))
    assert counted[("things", None)] == Units(write=3)


def test_the_fallback_doubles_a_transaction_on_the_table_not_on_the_indexes() -> None:
    counter = ItemSizeCounter({"things": TABLE})
    reading = Reading(
        "TransactWriteItems",
        {"TransactItems": [{"Put": {"TableName": "things", "Item": _item(pk="1", a="x")}}]},
        measured=False,
        error="UnknownOperationException",
    )
    assert counter(reading) == {
        ("things", None): Units(write=2),
        ("things", "by_a"): Units(write=1),
    }


def test_the_fallback_charges_a_failed_condition_to_the_table_only() -> None:
    stored = _item(pk="1", a="x", pad="p" * 1500)
    counter = ItemSizeCounter({"things": TABLE}, lookup=lambda table, key: stored)
    reading = Reading(
        "PutItem",
        {"TableName": "things", "Item": _item(pk="1", a="y")},
        measured=False,
        error="ConditionalCheckFailedException",
    )
    assert counter(reading) == {("things", None): Units(write=2)}


def test_the_fallback_counts_gets_from_the_stored_items_and_skips_queries() -> None:
    counter = ItemSizeCounter({"things": TABLE}, lookup=lambda table, key: None)
    batch = {"RequestItems": {"things": {"Keys": [_item(pk="1"), _item(pk="2")]}}}
    assert counter(Reading("BatchGetItem", batch, measured=False)) == {
        ("things", None): Units(read=1.0)  # two missing items, eventually consistent: 0.5 each
    }
    assert counter(Reading("Query", {"TableName": "things"}, measured=False)) is None


# --- dynalite -------------------------------------------------------------------------------


def test_a_missing_dynalite_says_where_it_looked_and_how_to_install(tmp_path: Path) -> None:
    server = Dynalite(tmp_path)
    with pytest.raises(DynaliteUnavailable, match="not installed at .*cli.js.*npm install"):
        server.start()
    assert server.process is None


def test_a_cancelled_transaction_is_counted_on_the_table_only() -> None:
    counter = ItemSizeCounter({"things": TABLE})
    reading = Reading(
        "TransactWriteItems",
        {"TransactItems": [{"Put": {"TableName": "things", "Item": _item(pk="1", a="x")}}]},
        measured=False,
        error="TransactionCanceledException",
    )
    assert counter(reading) == {("things", None): Units(write=2)}


def test_index_writes_the_server_left_out_are_counted_once(stubbed: Any) -> None:
    client, stubber, meter = stubbed
    meter.index_writes = ItemSizeCounter({"things": TABLE}).index_writes
    item = _item(pk="1", a="x", b="y")
    dynalite = {"TableName": "things", "CapacityUnits": 1, "Table": {"CapacityUnits": 1}}
    dynamodb = {**dynalite, "GlobalSecondaryIndexes": {"by_a": {"CapacityUnits": 1}}}
    stubber.add_response("put_item", {"ConsumedCapacity": dynalite})
    stubber.add_response("put_item", {"ConsumedCapacity": dynamodb})
    client.put_item(TableName="things", Item=item)
    # dynalite: the table measured, by_a and by_b counted.
    assert (meter.measured_writes, meter.writes) == (1.0, 3.0)
    meter.reset()
    client.put_item(TableName="things", Item=item)
    # An answer with an index is taken as it is: nothing added.
    assert (meter.measured_writes, meter.writes) == (2.0, 2.0)


def test_index_writes_of_an_update_are_the_stored_items_indexes_in_place() -> None:
    stored = _item(pk="1", a="x", n="2")
    counter = ItemSizeCounter({"things": TABLE}, lookup=lambda table, key: stored)
    update = {"TableName": "things", "Key": _item(pk="1"), "UpdateExpression": "ADD n :one"}
    assert counter.index_writes(Reading("UpdateItem", update)) == {
        ("things", "by_a"): Units(write=1)
    }
