"""moto's DynamoDB made to behave like DynamoDB under concurrency (DESIGN.md decision 13).

moto 5.2 has three gaps that concurrent clients fall into, and the product's code must never
work around them, so the local run and the tests close them here:

- It serves requests from many threads with no lock. Its ``transact_write_items`` applies a
  transaction in place and, when one item's condition fails, rolls back by putting back deep
  copies of every table it touched. A write that another thread made in between is lost (a nonce
  vanishes, a replay passes), every transaction copies whole tables (seconds and gigabytes once
  the calls table is large), and each copy takes the table's stream shard with it, so a stream
  reader following the old shard sees nothing more and pins the copy in memory.
- Its streams backend keeps every shard iterator it ever handed out, each holding its shard.
- Every Query sorts the whole table (DynamoType comparisons, each casting its value again)
  before it keeps the queried partition: once the lock serializes requests, a listing of a
  few thousand call records held every other client for up to a second and a half.

``install()`` serializes this process's moto: every DynamoDB write request whole, and the
look-ups of reads and of DynamoDB Streams (DynamoDB's own per-item atomicity makes requests
look serial to a client anyway; a read answers a private copy), replaces the
transaction's undo with a journal of the items it touched (and of the stream records it
added, so a cancelled transaction leaves no trace in the stream, as in DynamoDB), and lets
shard iterators expire after 15 minutes, as DynamoDB Streams' do, and hands a query only
the items of its partition (or of its index's hash key), in key order. It checks first that moto's
code is the code this was written against and refuses to patch anything else: a moto upgrade
must fail loudly here, not lose writes silently.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import inspect
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# What this module was written against: moto's version and a digest of each function it replaces.
MOTO_VERSION = "5.2.1"
PATCHED_SOURCES = {
    "ActionResult.execute_result": "6333faa349b58671",
    "dynamo_to_dict": "80f600124c13ddcb",
    "DynamoDBBackend.transact_write_items": "81db2cb7d94e39c9",
    "DynamoDBStreamsBackend.get_shard_iterator": "a0be676df0bfc9ef",
    "ShardIterator.get": "8932c0f7250e8996",
    "Table.query": "002b4d00be6df07c",
    "Table.all_items": "c80d2ee3c896acd0",
    "Table.sorted_items": "216dac1cd6b659d2",
}
ITERATOR_LIFETIME_SECONDS = 15 * 60  # DynamoDB Streams' shard iterators expire after 15 minutes

_lock = threading.RLock()
_installed = False
clock: Callable[[], float] = time.monotonic


class MotoChanged(RuntimeError):
    """moto's code is not what ``install`` was written against."""


def source_digest(function: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


_originals: dict[str, Callable[..., Any]] = {}


def _targets() -> dict[str, Callable[..., Any]]:
    """moto's own functions, also once ``install`` has replaced them."""
    if _originals:
        return dict(_originals)
    from moto.core.responses import ActionResult
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.models.utilities import dynamo_to_dict
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

    return {
        "ActionResult.execute_result": ActionResult.execute_result,
        "dynamo_to_dict": dynamo_to_dict,
        "Table.query": Table.query,
        "Table.all_items": Table.all_items,
        "Table.sorted_items": Table.sorted_items,
        "DynamoDBBackend.transact_write_items": DynamoDBBackend.transact_write_items,
        "DynamoDBStreamsBackend.get_shard_iterator": DynamoDBStreamsBackend.get_shard_iterator,
        "ShardIterator.get": ShardIterator.get,
    }


def check_moto() -> None:
    """Raise ``MotoChanged`` unless moto is the version, and has the code, patched here."""
    import moto

    if moto.__version__ != MOTO_VERSION:
        raise MotoChanged(
            f"devtools/embedded_dynamodb.py was written for moto {MOTO_VERSION}, found "
            f"{moto.__version__}: check that moto still needs each patch, then update it"
        )
    for name, function in _targets().items():
        if source_digest(function) != PATCHED_SOURCES[name]:
            raise MotoChanged(
                f"moto's {name} changed since devtools/embedded_dynamodb.py patched it: "
                "read the new code, then update the patch and its digest"
            )


@dataclass
class _Journal:
    """What a transaction touched, to put it back exactly if the transaction is cancelled."""

    items: dict[tuple[str, Any, Any], tuple[Any, Any, Any, Any]] = field(default_factory=dict)
    stream_lengths: dict[str, tuple[Any, int]] = field(default_factory=dict)

    def remember(self, backend: Any, table_name: str, key: dict[str, Any]) -> None:
        if table_name not in backend.tables:
            return  # the operation fails on its own; nothing to undo
        table = backend.tables[table_name]
        hash_value, range_value = backend.get_keys_value(table, key)
        where = (table_name, hash_value, range_value)
        if where not in self.items:
            before = table.get_item(hash_value, range_value)
            self.items[where] = (table, hash_value, range_value, copy.deepcopy(before))
        shard = table.stream_shard
        if shard is not None and table_name not in self.stream_lengths:
            self.stream_lengths[table_name] = (shard, len(shard.items))

    def undo(self) -> None:
        for table, hash_value, range_value, before in self.items.values():
            if range_value is not None:
                partition = table.items[hash_value]
                if before is None:
                    partition.pop(range_value, None)
                else:
                    partition[range_value] = before
            elif before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
        for shard, length in self.stream_lengths.values():
            del shard.items[length:]


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.1's transact_write_items with a journal of touched items for its undo."""
    from moto.dynamodb.exceptions import (
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal()
    target_items: set[tuple[str, str]] = set()
    errors: list[tuple[Any, Any, Any]] = []
    for item in transact_items:
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            _apply(self, op_type, op, target_items, journal)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            journal.undo()
            raise
        except _Refused as refused:
            errors.append(("ConditionalCheckFailed", refused.message, refused.item))
        except Exception as error:  # noqa: BLE001  moto reports any other failure per item too
            errors.append((type(error).__name__, str(error), None))
    if any(code is not None for code, _, _ in errors):
        journal.undo()
        raise TransactionCanceledException(errors)


class _Refused(Exception):
    def __init__(self, message: str, item: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item


def _apply(
    backend: Any,
    op_type: str,
    op: dict[str, Any],
    target_items: set[tuple[str, str]],
    journal: _Journal,
) -> None:
    """One operation of a transaction, as moto applies it, after remembering its item."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import ConditionalCheckFailed, MultipleTransactionsException

    if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
        raise ValueError("Unsupported transaction operation")
    table_name = op["TableName"]
    condition = op.get("ConditionExpression")
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        attrs = op["Item"]
        table = backend.get_table(table_name)
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
    else:
        key = op["Key"]
    unique = (str(table_name), str(dict(sorted(key.items()))))
    if unique in target_items:
        raise MultipleTransactionsException()
    target_items.add(unique)

    current = backend.get_item(table_name, key)
    if condition is not None and not get_filter_expression(condition, names, values).expr(current):
        old = None
        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
            old = current.to_json()["Attributes"]
        raise _Refused(ConditionalCheckFailed().message, old)
    if op_type == "ConditionCheck":
        return
    journal.remember(backend, table_name, key)
    common = {
        "condition_expression": condition,
        "expression_attribute_names": names,
        "expression_attribute_values": values,
    }
    if op_type == "Put":
        backend.put_item(table_name, op["Item"], **common)
    elif op_type == "Delete":
        backend.delete_item(table_name, key, **common)
    else:
        backend.update_item(table_name, key, update_expression=op["UpdateExpression"], **common)


def _serialized(function: Callable[..., Any]) -> Callable[..., Any]:
    def serialized(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return function(*args, **kwargs)

    serialized.__wrapped__ = function  # type: ignore[attr-defined]
    return serialized


# Reads parse their request and serialize their answer outside the lock, as DynamoDB serves
# reads beside writes: only their look-up holds it, and it answers private copies (moto's
# query and scan copy already; get_item hands out the stored item, which an update changes in
# place). A page of 200 call records took ~0.3 s to serialize, all other clients waiting.
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})


def _serialized_unless_read(call_action: Callable[..., Any]) -> Callable[..., Any]:
    def serialized(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self._get_action() in READS:
            return call_action(self, *args, **kwargs)
        with _lock:
            return call_action(self, *args, **kwargs)

    return serialized


def _serialized_copy(function: Callable[..., Any]) -> Callable[..., Any]:
    def copied(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return copy.deepcopy(function(*args, **kwargs))

    return copied


# moto serializes every answer by walking botocore's output shape, attribute by attribute: a
# fifth of the local run's CPU under load. An item action's answer is already DynamoDB's JSON
# once moto has turned its values into dicts (binary values as bytes), so it is dumped as is.
ITEM_ACTIONS = frozenset(
    {
        "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
        "BatchWriteItem", "TransactWriteItems",
    }
)
fast_answers = True  # tests compare both ways


def _wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not DynamoDB JSON")


def _answer_as_is(execute_result: Callable[..., Any]) -> Callable[..., Any]:
    def answer(self: Any, context: Any) -> Any:
        if not (
            fast_answers
            and context.operation_model.name in ITEM_ACTIONS
            and isinstance(self.result, dict)
        ):
            return execute_result(self, context)
        try:
            body = json.dumps(self.result, default=_wire, separators=(",", ":"))
        except TypeError:  # not plain JSON after all: moto's own serializer decides
            return execute_result(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    return answer


def _expiring_iterators(function: Callable[..., Any]) -> Callable[..., Any]:
    """Forget shard iterators older than DynamoDB Streams' 15 minutes whenever one is made."""
    born: dict[str, float] = {}

    def with_expiry(self: Any, *args: Any, **kwargs: Any) -> Any:
        backend = self if hasattr(self, "shard_iterators") else self.streams_backend
        before = set(backend.shard_iterators)
        result = function(self, *args, **kwargs)
        now = clock()
        for arn in backend.shard_iterators.keys() - before:
            born[arn] = now
        for arn, at in list(born.items()):
            if now - at > ITERATOR_LIFETIME_SECONDS:
                backend.shard_iterators.pop(arn, None)
                del born[arn]
        return result

    return with_expiry


class _QueryScope(NamedTuple):
    """What a running query asks for, so that ``all_items`` hands it only its candidates."""

    partition: Any  # the table's hash key value (a table query), else None
    conditions: list[tuple[str, Any]]  # an index query's hash key conditions


def _query_its_candidates(query: Callable[..., Any]) -> Callable[..., Any]:
    """moto's query collects its candidates from ``all_items()``, which sorts the whole table
    by DynamoType comparisons, then keeps those of the queried partition and sorts them
    again: a second per page of a few thousand call records, all under the lock. Here
    ``all_items`` gives a query only the items that can match, already in key order, and
    moto's own checks, sort and paging run on them unchanged."""

    def with_scope(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        self.apiauth_query = _QueryScope(
            None if index_name else hash_key, list(kwargs.get("hash_key_conditions") or [])
        )
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            self.apiauth_query = None

    return with_scope


def _all_items(all_items: Callable[..., Any]) -> Callable[..., Any]:
    def candidates(self: Any) -> list[Any]:
        scope: _QueryScope | None = getattr(self, "apiauth_query", None)
        if scope is None:
            return list(all_items(self))
        if scope.partition is not None:
            found = self.items.get(scope.partition)  # .get: moto's defaultdict would insert
            if found is None:
                return []
            if not self.range_key_attr:
                return [found]
            return sorted(found.values(), key=lambda item: item.range_key.cast_value)
        items = list(all_items_unsorted(self))
        for name, wanted in scope.conditions:
            if wanted.type == "S":  # exact for strings; moto checks every candidate again
                items = [i for i in items if _text_of(i.attrs.get(name)) == wanted.value]
        return items

    return candidates


def all_items_unsorted(table: Any) -> list[Any]:
    if not table.range_key_attr:
        return list(table.items.values())
    return [item for partition in table.items.values() for item in partition.values()]


def _text_of(value: Any) -> Any:
    return value.value if value is not None and value.type == "S" else None


def _sorted_items(
    self: Any, hash_attrs: list[str], range_attrs: list[Any], items: list[Any]
) -> list[Any]:
    """moto's sorted_items, comparing each key's value once cast rather than on every
    comparison (DynamoType orders by its cast value; the order is the same)."""
    attrs = self._generate_attr_to_sort_by(hash_attrs, range_attrs)
    items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in attrs))
    return items


def install() -> None:
    """Patch this process's moto once; every later call is a no-op."""
    global _installed
    with _lock:
        if _installed:
            return
        check_moto()
        _originals.update(_targets())
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table
        from moto.dynamodb.responses import DynamoHandler, DynamoResult
        from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

        DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
        DynamoHandler.call_action = _serialized_unless_read(  # type: ignore[method-assign]
            DynamoHandler.call_action
        )
        DynamoDBBackend.get_item = _serialized_copy(DynamoDBBackend.get_item)  # type: ignore[method-assign]
        DynamoDBBackend.query = _serialized(DynamoDBBackend.query)  # type: ignore[method-assign]
        DynamoDBBackend.scan = _serialized(DynamoDBBackend.scan)  # type: ignore[method-assign]
        # A stream's records never change once written: only the backend's look-ups hold the lock.
        DynamoDBStreamsBackend.get_shard_iterator = _expiring_iterators(  # type: ignore[method-assign]
            DynamoDBStreamsBackend.get_shard_iterator
        )
        for name in ("describe_stream", "list_streams", "get_shard_iterator", "get_records"):
            looked_up = getattr(DynamoDBStreamsBackend, name)
            setattr(DynamoDBStreamsBackend, name, _serialized(looked_up))
        ShardIterator.get = _expiring_iterators(ShardIterator.get)  # type: ignore[method-assign]
        DynamoResult.execute_result = _answer_as_is(  # type: ignore[method-assign]
            DynamoResult.execute_result
        )
        Table.query = _query_its_candidates(Table.query)  # type: ignore[method-assign]
        Table.sorted_items = _sorted_items  # type: ignore[method-assign,assignment]
        Table.all_items = _all_items(Table.all_items)  # type: ignore[method-assign]
        _installed = True
