"""The embedded DynamoDB (moto, patched by devtools.embedded_dynamodb) behaves as DynamoDB does
under concurrency: a cancelled transaction undoes only what it touched and leaves no stream
record, concurrent writes are never lost, and moto's own code is the code the patch expects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from moto import mock_aws

from devtools import embedded_dynamodb

TABLE = "embedded-test"


def client_for(service: str) -> Any:
    return botocore.session.get_session().create_client(service, region_name="us-east-1")


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = client_for("dynamodb")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def backend_table() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]


def put(client: Any, item_id: str, **attributes: str) -> None:
    item = {"id": {"S": item_id}, **{k: {"S": v} for k, v in attributes.items()}}
    client.put_item(TableName=TABLE, Item=item)


def count_up(item_id: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": {"id": {"S": item_id}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def put_new(item_id: str, **options: str) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": TABLE,
            "Item": {"id": {"S": item_id}},
            "ConditionExpression": "attribute_not_exists(id)",
            **options,
        }
    }


def failing_transaction(client: Any, touched: str, existing: str) -> None:
    """Counts ``touched`` up, then fails on ``existing`` (which exists): cancelled."""
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[count_up(touched), put_new(existing)])


def stream_records(client: Any) -> list[dict[str, Any]]:
    streams = client_for("dynamodbstreams")
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator)["Records"]
    return records


def test_moto_is_the_code_the_patch_was_written_for() -> None:
    embedded_dynamodb.check_moto()


def test_a_changed_moto_function_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = dict(embedded_dynamodb.PATCHED_SOURCES, **{"ShardIterator.get": "0" * 16})
    monkeypatch.setattr(embedded_dynamodb, "PATCHED_SOURCES", changed)
    with pytest.raises(embedded_dynamodb.MotoChanged, match="ShardIterator.get changed"):
        embedded_dynamodb.check_moto()


def test_another_moto_version_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded_dynamodb, "MOTO_VERSION", "0.0.1")
    with pytest.raises(embedded_dynamodb.MotoChanged, match="written for moto 0.0.1"):
        embedded_dynamodb.check_moto()


def test_a_cancelled_transaction_undoes_its_items_in_place_and_streams_nothing(
    dynamodb: Any,
) -> None:
    put(dynamodb, "a", note="kept")
    put(dynamodb, "b")
    table = backend_table()
    shard = table.stream_shard
    before = stream_records(dynamodb)

    failing_transaction(dynamodb, touched="a", existing="b")
    failing_transaction(dynamodb, touched="new", existing="b")

    assert backend_table() is table and table.stream_shard is shard  # no table copy restored
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "a"}})["Item"]
    assert item == {"id": {"S": "a"}, "note": {"S": "kept"}}
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "new"}})
    assert stream_records(dynamodb) == before


def test_a_committed_transaction_streams_each_change_once(dynamodb: Any) -> None:
    put(dynamodb, "a")
    dynamodb.transact_write_items(TransactItems=[count_up("a"), put_new("b")])
    assert [r["eventName"] for r in stream_records(dynamodb)] == ["INSERT", "MODIFY", "INSERT"]


def test_the_failing_item_returns_its_old_image(dynamodb: Any) -> None:
    put(dynamodb, "b", note="old")
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as raised:
        dynamodb.transact_write_items(
            TransactItems=[put_new("b", ReturnValuesOnConditionCheckFailure="ALL_OLD")]
        )
    reasons = raised.value.response["CancellationReasons"]
    assert reasons == [
        {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
            "Item": {"id": {"S": "b"}, "note": {"S": "old"}},
        }
    ]


def test_concurrent_writes_survive_cancelled_transactions(dynamodb: Any) -> None:
    """Unpatched, a cancelled transaction puts back a copy of the table taken before the
    other threads' puts, and some of them are lost."""
    put(dynamodb, "taken")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(40):
                put(dynamodb, f"w{n}-{i}")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    def canceller() -> None:
        try:
            for i in range(40):
                failing_transaction(dynamodb, touched=f"c{i}", existing="taken")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=canceller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    ids = {item["id"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]}
    assert ids == {"taken"} | {f"w{n}-{i}" for n in range(4) for i in range(40)}


def test_shard_iterators_expire_after_fifteen_minutes(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    now = [1000.0]
    monkeypatch.setattr(embedded_dynamodb, "clock", lambda: now[0])
    put(dynamodb, "a")
    stream_records(dynamodb)
    iterators = dynamodbstreams_backends["123456789012"]["us-east-1"].shard_iterators
    assert len(iterators) == 2  # the one asked for and the one that follows it
    now[0] += embedded_dynamodb.ITERATOR_LIFETIME_SECONDS + 1
    stream_records(dynamodb)
    assert len(iterators) == 2


@pytest.fixture
def ranged() -> Iterator[Any]:
    """A table with a range key and an index on ``g``: 40 partitions of 30 items each."""
    with mock_aws():
        client = client_for("dynamodb")
        client.create_table(
            TableName="ranged",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "g")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-g",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        items = []
        for i in reversed(range(1200)):
            item = {"pk": {"S": f"p{i % 40}"}, "sk": {"S": f"{i:05d}"}, "n": {"N": str(i)}}
            if i % 3:
                item["g"] = {"S": f"g{i % 7}"}
            items.append({"PutRequest": {"Item": item}})
        for start in range(0, len(items), 25):
            client.batch_write_item(RequestItems={"ranged": items[start : start + 25]})
        yield client


def query_all(client: Any, **arguments: Any) -> list[str]:
    """Every page of a query of 7 items a page, as the sort keys it returned."""
    keys: list[str] = []
    page: dict[str, Any] = {"TableName": "ranged", "Limit": 7, **arguments}
    while True:
        answer = client.query(**page)
        keys.extend(item["sk"]["S"] for item in answer["Items"])
        if "LastEvaluatedKey" not in answer:
            return keys
        page["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


@pytest.mark.parametrize("forward", [True, False])
def test_a_table_query_returns_its_partition_in_key_order_page_by_page(
    ranged: Any, forward: bool
) -> None:
    keys = query_all(
        ranged,
        KeyConditionExpression="pk = :p AND sk > :low",
        ExpressionAttributeValues={":p": {"S": "p3"}, ":low": {"S": "00100"}},
        ScanIndexForward=forward,
    )
    expected = sorted((f"{i:05d}" for i in range(3, 1200, 40) if i > 100), reverse=not forward)
    assert keys == expected


@pytest.mark.parametrize("forward", [True, False])
def test_an_index_query_returns_the_items_with_its_key_in_order_page_by_page(
    ranged: Any, forward: bool
) -> None:
    keys = query_all(
        ranged,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        FilterExpression="n < :most",
        ExpressionAttributeValues={":g": {"S": "g2"}, ":most": {"N": "900"}},
        ScanIndexForward=forward,
    )
    expected = [f"{i:05d}" for i in range(1200) if i % 3 and i % 7 == 2 and i < 900]
    assert keys == sorted(expected, reverse=not forward)


def test_a_query_of_an_absent_partition_is_empty_and_creates_nothing(ranged: Any) -> None:
    answer = ranged.query(
        TableName="ranged",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "nowhere"}},
    )
    assert answer["Items"] == []
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends["123456789012"]["us-east-1"].tables["ranged"]
    assert len(table.items) == 40


def test_a_query_reads_only_its_candidates(ranged: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unpatched, a query casts values of every item of the table, several times each."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    casts = [0]
    cast = DynamoType.cast_value.fget  # type: ignore[attr-defined]

    def counted(self: Any) -> Any:
        casts[0] += 1
        return cast(self)

    monkeypatch.setattr(DynamoType, "cast_value", property(counted))
    ranged.query(
        TableName="ranged",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p3"}},
        Limit=5,
    )
    ranged.query(
        TableName="ranged",
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "g2"}},
        Limit=5,
    )
    assert casts[0] < 1500  # the two queries' candidates (30 and 114 of 1,200 items) and sorts


def test_reads_beside_writes_answer_whole_items(dynamodb: Any) -> None:
    """Reads serialize their answer outside the lock, from a copy: an update changing the
    stored item in place meanwhile must not tear or break it."""
    put(dynamodb, "hot")
    errors: list[BaseException] = []
    stop = threading.Event()

    def update() -> None:
        for i in range(150):
            dynamodb.update_item(
                TableName=TABLE,
                Key={"id": {"S": "hot"}},
                UpdateExpression=f"SET a{i % 30} = :v, b{i % 30} = :v ADD n :one",
                ExpressionAttributeValues={":v": {"S": "x" * 50}, ":one": {"N": "1"}},
            )
        stop.set()

    def read() -> None:
        try:
            while not stop.is_set():
                item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "hot"}})["Item"]
                names = {name for name in item if name[0] in "ab"}
                assert {f"b{name[1:]}" for name in names if name[0] == "a"} <= names
                dynamodb.scan(TableName=TABLE)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    update()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    final = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "hot"}})["Item"]
    assert final["n"] == {"N": "150"}


def test_a_read_answers_a_copy_of_the_stored_item(dynamodb: Any) -> None:
    """What a GetItem serializes, outside the lock, is not the item an update changes."""
    from moto.dynamodb.models import dynamodb_backends

    put(dynamodb, "a", note="kept")
    backend = dynamodb_backends["123456789012"]["us-east-1"]
    answered = backend.get_item(TABLE, {"id": {"S": "a"}})
    assert answered is not None
    stored = backend_table().get_item(answered.hash_key)
    assert stored is not None
    assert answered is not stored and answered.attrs == stored.attrs


def item_actions(client: Any) -> list[Any]:
    """Every item action the fast answers cover, over every kind of attribute value."""
    every_kind = {
        "id": {"S": "k1"},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\xffsealed"},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "l": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x01"}]},
        "m": {"M": {"inner": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}}},
        "bs": {"BS": [b"\x02", b"\x03"]},
        "u": {"S": "unicode: \u4e2d\u6587 \U0001f600"},
    }
    key = {"id": {"S": "k1"}}
    answers = [
        client.put_item(TableName=TABLE, Item=every_kind, ReturnValues="ALL_OLD"),
        client.put_item(TableName=TABLE, Item=every_kind, ReturnValues="ALL_OLD"),
        client.get_item(TableName=TABLE, Key=key),
        client.get_item(TableName=TABLE, Key={"id": {"S": "absent"}}),
        client.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
        client.batch_get_item(RequestItems={TABLE: {"Keys": [key, {"id": {"S": "absent"}}]}}),
        client.scan(TableName=TABLE, Limit=1),
        client.query(
            TableName=TABLE,
            KeyConditionExpression="id = :k",
            ExpressionAttributeValues={":k": {"S": "k1"}},
            ProjectionExpression="b, m.inner",
        ),
        client.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": {"id": {"S": "k2"}}}}]
        ),
        client.batch_write_item(
            RequestItems={TABLE: [{"DeleteRequest": {"Key": {"id": {"S": "k2"}}}}]}
        ),
        client.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD"),
    ]
    for answer in answers:
        answer.pop("ResponseMetadata")
    return answers


def test_item_actions_answer_as_moto_serializes_them(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = item_actions(dynamodb)
    monkeypatch.setattr(embedded_dynamodb, "fast_answers", False)
    assert item_actions(dynamodb) == fast
    assert fast[2]["Item"]["b"] == {"B": b"\x00\xffsealed"}
