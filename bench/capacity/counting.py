"""Capacity units counted from item sizes and the indexes each item populates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bench.capacity.meter import Reading
from bench.capacity.schema import IndexSpec, TableSpec, model_tables
from bench.capacity.units import Item, Target, Units, add_units, item_size, read_units, write_units


def index_entry(table: TableSpec, index: IndexSpec, item: Mapping[str, Any] | None) -> Item | None:
    """The entry ``item`` has in ``index``: None when it lacks the index's keys (sparse)."""
    if item is None or not index.keys <= item.keys():
        return None
    if index.projection == "ALL":
        return dict(item)
    kept = table.keys | index.keys | (index.included if index.projection == "INCLUDE" else set())
    return {name: value for name, value in item.items() if name in kept}


def count_write(
    table: TableSpec,
    new: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None = None,
    transactional: bool = False,
) -> dict[Target, Units]:
    """Write units of turning ``old`` into ``new`` (None: no item), per the Developer Guide:
    the table by the larger of the two sizes (twice in a transaction); each index by the entry
    it gains (1 write), loses (1), changes in place (1) or re-keys (2: delete and put), nothing
    when its entry is absent before and after, or unchanged."""
    size = max(item_size(new) if new else 0, item_size(old) if old else 0)
    factor = 2 if transactional else 1
    counted: dict[Target, Units] = {(table.name, None): Units(write=write_units(size) * factor)}
    for index in table.indexes:
        before, after = index_entry(table, index, old), index_entry(table, index, new)
        if before == after:
            continue
        if before is None or after is None:
            writes = write_units(item_size(before or after or {}))
        elif {k: before[k] for k in index.keys} != {k: after[k] for k in index.keys}:
            writes = write_units(item_size(before)) + write_units(item_size(after))
        else:
            writes = write_units(max(item_size(before), item_size(after)))
        counted[(table.name, index.name)] = Units(write=writes)
    return counted


def lookup_on(endpoint: str, region: str = "us-east-1") -> Callable[[str, Item], Item | None]:
    """A ``lookup`` for ItemSizeCounter: a consistent GetItem on a client of its own, so the
    lookups are never metered (a metered client would record them inside another reading)."""
    import botocore.session

    client = botocore.session.get_session().create_client(
        "dynamodb", region_name=region, endpoint_url=endpoint
    )

    def lookup(table: str, key: Item) -> Item | None:
        found: Item | None = client.get_item(TableName=table, Key=key, ConsistentRead=True).get(
            "Item"
        )
        return found

    return lookup


class ItemSizeCounter:
    """A ``CapacityMeter`` fallback: counts an unmeasured request from its parameters and, where
    given, ``lookup(table, key)`` -> the item as stored now (None when absent).

    Puts are exact when the item was absent before. Updates can't be evaluated here: they are
    counted at the stored item's size (1 KB when unknown), one write for each index that item is
    in. A failed condition writes nothing: the table is charged the larger item, no index.
    """

    def __init__(
        self,
        tables: Mapping[str, TableSpec] | None = None,
        lookup: Callable[[str, Item], Item | None] | None = None,
    ) -> None:
        self.tables = dict(model_tables() if tables is None else tables)
        self.lookup = lookup

    def _table(self, name: str) -> TableSpec:
        return self.tables.get(name) or TableSpec(name, frozenset())

    def _stored(self, table: str, key: Item | None) -> Item | None:
        return self.lookup(table, key) if self.lookup is not None and key else None

    def _write(
        self, kind: str, action: Mapping[str, Any], transactional: bool
    ) -> dict[Target, Units]:
        table = self._table(action["TableName"])
        if kind == "Put":
            new = action["Item"]
            key = {name: new[name] for name in table.keys if name in new}
            return count_write(table, new, self._stored(table.name, key), transactional)
        old = self._stored(table.name, action.get("Key"))
        if kind == "Delete":
            return count_write(table, None, old, transactional)
        if kind == "ConditionCheck":
            return {(table.name, None): Units(read=read_units(item_size(old or {}), True, True))}
        # Update: assume the same size after, and every index it is in rewritten in place.
        stored = old or {}
        size = item_size(stored) if old else 1024
        factor = 2 if transactional else 1
        counted: dict[Target, Units] = {(table.name, None): Units(write=write_units(size) * factor)}
        for index in table.indexes:
            if index_entry(table, index, stored) is not None:
                counted[(table.name, index.name)] = Units(write=write_units(size))
        return counted

    def index_writes(self, reading: Reading) -> dict[Target, Units] | None:
        """The index writes of a write that succeeded, for a ``CapacityMeter`` whose server does
        not report them. A put is taken as of a new item; an update as rewriting in place each
        index the stored item (``lookup``, after the update) is in; a delete is not counted
        (the item is gone)."""
        operation, params = reading.operation, reading.params
        actions: list[tuple[str, Mapping[str, Any]]] = []
        if operation in ("PutItem", "UpdateItem"):
            actions.append((operation[: -len("Item")], params))
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                actions.append((kind, body))
        elif operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        actions.append(("Put", {"TableName": name, **request["PutRequest"]}))
        counted: dict[Target, Units] = {}
        for kind, body in actions:
            table = self._table(body["TableName"])
            if kind == "Put":
                found = count_write(table, body["Item"])
            elif kind == "Update":
                stored = self._stored(table.name, body.get("Key"))
                found = {}
                for index in table.indexes:
                    entry = index_entry(table, index, stored)
                    if entry is not None:
                        found[(table.name, index.name)] = Units(write=write_units(item_size(entry)))
            else:
                continue
            for target, units in found.items():
                if target[1] is not None:
                    add_units(counted, target, units)
        return counted

    def __call__(self, reading: Reading) -> dict[Target, Units] | None:
        operation, params = reading.operation, reading.params
        counted: dict[Target, Units] = {}
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            kind = operation[: -len("Item")]
            if reading.error == "ConditionalCheckFailedException":
                spec = self._table(params["TableName"])
                key = params.get("Key") or {
                    n: params["Item"][n] for n in spec.keys if n in params.get("Item", {})
                }
                sizes = [
                    item_size(params.get("Item") or {}),
                    item_size(self._stored(spec.name, key) or {}),
                ]
                return {(spec.name, None): Units(write=write_units(max(sizes)))}
            return self._write(kind, params, False)
        if operation == "TransactWriteItems":
            # The table is charged even when the transaction is cancelled; indexes are not
            # written then.
            cancelled = reading.error == "TransactionCanceledException"
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                for target, units in self._write(kind, body, True).items():
                    if not (cancelled and target[1] is not None):
                        add_units(counted, target, units)
            return counted
        if operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    ((kind, body),) = request.items()  # PutRequest or DeleteRequest
                    found = self._write(kind[: -len("Request")], {"TableName": name, **body}, False)
                    for target, each in found.items():
                        add_units(counted, target, each)
            return counted
        if operation in ("GetItem", "BatchGetItem", "TransactGetItems"):
            gets: list[tuple[str, Item, bool, bool]] = []
            if operation == "GetItem":
                gets.append(
                    (params["TableName"], params["Key"], bool(params.get("ConsistentRead")), False)
                )
            elif operation == "BatchGetItem":
                for name, request in params["RequestItems"].items():
                    consistent = bool(request.get("ConsistentRead"))
                    gets.extend((name, key, consistent, False) for key in request["Keys"])
            else:
                for action in params["TransactItems"]:
                    gets.append((action["Get"]["TableName"], action["Get"]["Key"], True, True))
            for name, key, consistent, transactional in gets:
                size = item_size(self._stored(name, key) or {})
                units = Units(read=read_units(size, consistent, transactional))
                add_units(counted, (name, None), units)
            return counted
        return None  # Query, Scan, PartiQL: not countable from the request alone
