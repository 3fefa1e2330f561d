"""DynamoDB capacity units read from the server, and counted from item sizes, to cross-check.

    python -m bench.capacity

moto reports no consumed capacity, so ``bench/cost.py`` counts units from item sizes. This
module reads them instead, from ``ReturnConsumedCapacity=INDEXES`` on a DynamoDB that computes
them: dynalite (npm, ``bench/dynalite.md``), started here on 127.0.0.1 as a subprocess.

- ``Dynalite``: start and stop dynalite (``DYNALITE_DIR``, default ``/tmp/dynalite``);
  ``DynaliteUnavailable`` when it is not installed.
- ``create_tables``: the tables of ``models.ALL_MODELS`` (names as the models say, so with the
  ``APIAUTH_TABLE_PREFIX`` in force when they were imported), without TTL.
- ``CapacityMeter``: botocore event hooks on a client (the project's bare one, PynamoDB's, or any
  other) that ask every data operation for ``ReturnConsumedCapacity=INDEXES`` and sum what comes
  back, per request, table and index. A request that comes back without consumed capacity (a
  failed condition, an operation the server lacks) is kept aside as unmeasured, and counted by
  an optional ``fallback``.
- ``count_write`` and ``ItemSizeCounter``: the count from item sizes and the indexes each item
  populates, by the DynamoDB Developer Guide's rules, read from the models' schemas.
- ``TransactionEmulator``: TransactWriteItems for dynalite, which lacks it (the app's admin
  writes and the authorizer's allowed call are transactions): each action on its own, undone
  on a failed condition, its table units doubled. Not atomic; a benchmark aid.

What dynalite 4.0.0 reports, and where that differs from DynamoDB, is in ``bench/dynalite.md``
("Consumed capacity"). In short: table units only, never index writes; nothing for a failed
condition; no transactions at all (hence the emulator).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DYNALITE_DIR = "/tmp/dynalite"
INSTALL_HINT = (
    "mkdir -p {dir} && cd {dir} && npm init -y && npm install dynalite@4.0.0"
    " (bench/dynalite.md), or point DYNALITE_DIR at an install"
)

READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)

Item = dict[str, Any]
# Where units were consumed: (table, index), index None for the table itself.
Target = tuple[str, str | None]


# --- dynalite -------------------------------------------------------------------------------


class DynaliteUnavailable(RuntimeError):
    """dynalite (or node) is not installed, or did not start."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Dynalite:
    """dynalite on 127.0.0.1 (never all interfaces), in memory, on a free port.

    ``with Dynalite() as endpoint: ...`` or ``start()`` / ``stop()``.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, timeout: float = 15.0):
        self.directory = Path(directory or os.environ.get("DYNALITE_DIR") or DEFAULT_DYNALITE_DIR)
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoint = ""
        self._log: IO[bytes] | None = None

    @property
    def cli(self) -> Path:
        return self.directory / "node_modules" / "dynalite" / "cli.js"

    def check(self) -> str:
        """The node executable; raises DynaliteUnavailable if node or dynalite is missing."""
        node = shutil.which("node")
        if node is None:
            raise DynaliteUnavailable("node is not on PATH; dynalite needs Node.js")
        if not self.cli.is_file():
            hint = INSTALL_HINT.format(dir=self.directory)
            raise DynaliteUnavailable(f"dynalite is not installed at {self.cli}: {hint}")
        return node

    def start(self) -> str:
        node = self.check()
        port = _free_port()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [node, str(self.cli), "--host", "127.0.0.1", "--port", str(port)]
            + ["--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self._output()
                self.stop()
                raise DynaliteUnavailable(f"dynalite exited at start: {output}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except OSError:
                time.sleep(0.05)
                continue
            self.endpoint = f"http://127.0.0.1:{port}"
            return self.endpoint
        self.stop()
        raise DynaliteUnavailable(f"dynalite did not listen on 127.0.0.1:{port} in {self.timeout}s")

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace").strip()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


# --- tables ---------------------------------------------------------------------------------


def _project_models() -> list[Any]:
    """Every PynamoDB model of chalicelib.storage.models (PreviousSecretModel too)."""
    from pynamodb.models import Model

    from chalicelib.storage import models

    return [
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, Model) and value is not Model
    ]


def point_models(endpoint: str, models: Iterable[Any] | None = None) -> None:
    """Send the models' PynamoDB connections to ``endpoint`` (their Meta.host is set at import)."""
    for model in _project_models() if models is None else models:
        model.Meta.host = endpoint
        model._connection = None


def create_tables(endpoint: str, models: Iterable[Any] | None = None) -> list[str]:
    """Create the models' tables at ``endpoint`` (default: ``ALL_MODELS``); returns their names.

    dynalite has no UpdateTimeToLive, so TTL is left off (``ignore_update_ttl_errors``).
    """
    if models is None:
        from chalicelib.storage.models import ALL_MODELS

        point_models(endpoint)  # every model, those sharing a table (PreviousSecretModel) too
        models = ALL_MODELS
    models = list(models)
    point_models(endpoint, models)
    names = []
    for model in models:
        if not model.exists():
            model.create_table(wait=True, ignore_update_ttl_errors=True)
        names.append(model.Meta.table_name)
    return names


# --- reading consumed capacity --------------------------------------------------------------


@dataclass
class Units:
    read: float = 0.0
    write: float = 0.0

    def __add__(self, other: Units) -> Units:
        return Units(self.read + other.read, self.write + other.write)

    def __sub__(self, other: Units) -> Units:
        return Units(self.read - other.read, self.write - other.write)


def _add(into: dict[Any, Units], key: Any, units: Units) -> None:
    into[key] = into.get(key, Units()) + units


def operation_kind(operation: str, params: Mapping[str, Any]) -> str:
    """How a bare ``CapacityUnits`` of this request is to be taken: "read" or "write"."""
    if operation in READ_OPERATIONS:
        return "read"
    if operation in WRITE_OPERATIONS:
        return "write"
    # PartiQL: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction.
    statements = [params["Statement"]] if "Statement" in params else []
    for entry in params.get("Statements") or params.get("TransactStatements") or []:
        statements.append(entry.get("Statement", ""))
    selects = [str(s).lstrip().upper().startswith("SELECT") for s in statements]
    return "read" if selects and all(selects) else "write"


def _capacity(capacity: Mapping[str, Any], kind: str) -> Units:
    """One ``Capacity`` (or ``ConsumedCapacity``) as read and write units."""
    if "ReadCapacityUnits" in capacity or "WriteCapacityUnits" in capacity:
        return Units(
            float(capacity.get("ReadCapacityUnits", 0)),
            float(capacity.get("WriteCapacityUnits", 0)),
        )
    units = float(capacity.get("CapacityUnits", 0))
    return Units(read=units) if kind == "read" else Units(write=units)


def parse_consumed(
    operation: str, params: Mapping[str, Any], consumed: Mapping[str, Any] | list[Any]
) -> dict[Target, Units]:
    """A response's ``ConsumedCapacity`` (one, or a list for batches and transactions) as units
    per table and index. The table's share is ``Table`` when given (INDEXES), else the total
    less the indexes' shares."""
    kind = operation_kind(operation, params)
    found: dict[Target, Units] = {}
    for entry in consumed if isinstance(consumed, list) else [consumed]:
        table = str(entry.get("TableName", "?"))
        indexes = Units()
        for group in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for name, capacity in (entry.get(group) or {}).items():
                units = _capacity(capacity, kind)
                _add(found, (table, name), units)
                indexes = indexes + units
        if "Table" in entry:
            _add(found, (table, None), _capacity(entry["Table"], kind))
        else:
            _add(found, (table, None), _capacity(entry, kind) - indexes)
    return found


@dataclass
class Reading:
    """One DynamoDB request: what the server said it consumed, or why it said nothing."""

    operation: str
    params: dict[str, Any]
    units: dict[Target, Units] = field(default_factory=dict)
    measured: bool = True
    error: str | None = None  # the error code, if the request failed
    counted: dict[Target, Units] | None = None  # the fallback's count, for an unmeasured one
    emulated: bool = False  # answered by TransactionEmulator, not by the server

    @property
    def reads(self) -> float:
        return sum(u.read for u in self.units.values())

    @property
    def writes(self) -> float:
        return sum(u.write for u in self.units.values())


Fallback = Callable[[Reading], Mapping[Target, Units] | None]


class CapacityMeter:
    """Consumed read and write units of the DynamoDB requests made by the clients it is attached
    to, as the server reports them (``ReturnConsumedCapacity=INDEXES`` added to every operation
    that takes it). Requests that come back without them are ``unmeasured()``; ``fallback``, if
    given, counts those (e.g. ``ItemSizeCounter``), and the totals include its count.
    ``index_writes``, if given (e.g. ``ItemSizeCounter(...).index_writes``), counts the index
    writes of a successful write the server answered without any index (dynalite never
    reports them; DynamoDB does whenever there are any, so nothing is counted twice there).

        meter = CapacityMeter()
        meter.attach(clients.dynamodb())    # any botocore/boto3 DynamoDB client
        meter.attach_models()               # the PynamoDB models' and transactions' clients
        ...                                 # requests
        meter.reads, meter.writes, meter.by_table(), meter.unmeasured_operations()
    """

    def __init__(
        self, fallback: Fallback | None = None, index_writes: Fallback | None = None
    ) -> None:
        self.fallback = fallback
        self.index_writes = index_writes
        self.readings: list[Reading] = []
        self._key = f"capacity-meter-{id(self)}"

    # hooks

    def attach(self, client: Any) -> Any:
        """Listen to ``client`` (idempotent); returns it."""
        events = client.meta.events
        events.register(
            "provide-client-params.dynamodb", self._on_params, unique_id=self._key + "-params"
        )
        events.register("after-call.dynamodb", self._on_response, unique_id=self._key + "-call")
        events.register(
            "after-call-error.dynamodb", self._on_exception, unique_id=self._key + "-error"
        )
        return client

    def detach(self, client: Any) -> None:
        events = client.meta.events
        events.unregister("provide-client-params.dynamodb", unique_id=self._key + "-params")
        events.unregister("after-call.dynamodb", unique_id=self._key + "-call")
        events.unregister("after-call-error.dynamodb", unique_id=self._key + "-error")

    def attach_models(self, models: Iterable[Any] | None = None) -> None:
        """Listen to the PynamoDB clients: each model's (default: every model of
        ``chalicelib.storage.models``) and ``storage.transactions``' connection."""
        for model in _project_models() if models is None else models:
            self.attach(model._get_connection().connection.client)
        if models is None:
            from chalicelib.storage.transactions import _connection

            self.attach(_connection().client)

    def _on_params(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> dict[str, Any] | None:
        if "ReturnConsumedCapacity" not in model.input_shape.members:
            return None  # control plane (CreateTable, DescribeTable...): no capacity
        params = {**params, "ReturnConsumedCapacity": "INDEXES"}
        context[self._key] = params
        return params

    def _on_response(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        params = context.pop(self._key, None)
        if params is None:
            return
        raw = None
        if "ConsumedCapacity" not in parsed and getattr(http_response, "status_code", 200) >= 300:
            # botocore keeps only an error's modelled fields; look in the body itself.
            try:
                raw = json.loads(http_response.content or b"{}")
            except Exception:  # no body to read (a stubbed response): nothing more to find
                raw = None
        self.record(model.name, params, parsed, raw)

    def _on_exception(self, exception: Exception, context: dict[str, Any], **kwargs: Any) -> None:
        params = context.pop(self._key, None)
        if params is not None:
            operation = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
            self._keep(Reading(operation, params, measured=False, error=type(exception).__name__))

    # summing

    def record(
        self,
        operation: str,
        params: Mapping[str, Any],
        parsed: Mapping[str, Any],
        raw: Mapping[str, Any] | None = None,
    ) -> Reading:
        """Take one response (botocore's parsed dict, or an error's raw body) into the sums."""
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None and isinstance(raw, Mapping):
            consumed = raw.get("ConsumedCapacity")
        error = (parsed.get("Error") or {}).get("Code")
        if consumed is None:
            reading = Reading(operation, dict(params), measured=False, error=error)
        else:
            units = parse_consumed(operation, params, consumed)
            reading = Reading(operation, dict(params), units, error=error)
            reading.emulated = EMULATED in parsed
        return self._keep(reading)

    def _keep(self, reading: Reading) -> Reading:
        if not reading.measured and self.fallback is not None:
            counted = self.fallback(reading)
            reading.counted = dict(counted) if counted is not None else None
        elif (
            reading.measured
            and self.index_writes is not None
            and reading.error is None
            and operation_kind(reading.operation, reading.params) == "write"
            and all(index is None for _, index in reading.units)
        ):
            counted = self.index_writes(reading)
            reading.counted = dict(counted) if counted else None
        self.readings.append(reading)
        return reading

    def reset(self) -> None:
        self.readings = []

    @property
    def requests(self) -> int:
        return len(self.readings)

    def _all_units(self) -> Iterator[tuple[Target, Units]]:
        for reading in self.readings:
            yield from reading.units.items()
            yield from (reading.counted or {}).items()

    @property
    def reads(self) -> float:
        """Read units: measured, plus the fallback's count of the unmeasured."""
        return sum(units.read for _, units in self._all_units())

    @property
    def writes(self) -> float:
        return sum(units.write for _, units in self._all_units())

    @property
    def measured_reads(self) -> float:
        return sum(r.reads for r in self.readings)

    @property
    def measured_writes(self) -> float:
        return sum(r.writes for r in self.readings)

    def by_target(self) -> dict[Target, Units]:
        found: dict[Target, Units] = {}
        for target, units in self._all_units():
            _add(found, target, units)
        return found

    def by_table(self) -> dict[str, Units]:
        """Units per table, its indexes included."""
        found: dict[str, Units] = {}
        for (table, _), units in self._all_units():
            _add(found, table, units)
        return found

    def by_index(self) -> dict[tuple[str, str], Units]:
        return {(t, i): u for (t, i), u in self.by_target().items() if i is not None}

    def unmeasured(self) -> list[Reading]:
        """Requests the server reported nothing for: count these another way."""
        return [r for r in self.readings if not r.measured]

    def unmeasured_operations(self) -> Counter[str]:
        """``{"TransactWriteItems (UnknownOperationException)": 2, ...}``"""
        return Counter(
            r.operation + (f" ({r.error})" if r.error else "") for r in self.unmeasured()
        )


# --- transactions on a server without them -------------------------------------------------


class _Reply:
    """The bare minimum of an HTTP response that botocore's after-call path reads."""

    def __init__(self, status_code: int, body: Mapping[str, Any]) -> None:
        self.status_code = status_code
        self.content = json.dumps(body).encode()
        self.headers: dict[str, str] = {}


EMULATED = "EmulatedBy"  # a key of an emulated response: the meter marks such readings


class TransactionEmulator:
    """TransactWriteItems for dynalite, which has none: each action is sent on its own, in
    order, with its condition, and on the first failed condition the actions already applied
    are undone and ``TransactionCanceledException`` is raised, as DynamoDB would (its
    ``CancellationReasons`` name that one failure only). Not atomic for concurrent writers:
    a benchmark aid, never a stand-in for DynamoDB's isolation.

    Its answer carries ``ConsumedCapacity``: the actions' own units, the table's doubled
    (prepare and commit, charged even when cancelled: transaction-apis.html), so a
    ``CapacityMeter`` reads it; the reading is marked ``emulated``. A ConditionCheck is sent
    as a rewrite of the stored item under the condition, and is charged nothing here.
    """

    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        import botocore.session

        self.inner = botocore.session.get_session().create_client(
            "dynamodb", region_name=region, endpoint_url=endpoint
        )
        self._keys: dict[str, list[str]] = {}
        self._key = f"transaction-emulator-{id(self)}"

    def attach(self, client: Any) -> Any:
        events = client.meta.events
        events.register(
            "provide-client-params.dynamodb.TransactWriteItems",
            self._keep_params,
            unique_id=self._key + "-params",
        )
        events.register(
            "before-call.dynamodb.TransactWriteItems", self._answer, unique_id=self._key + "-call"
        )
        return client

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[self._key] = params

    def _key_of(self, table: str, item: Mapping[str, Any]) -> Item:
        if table not in self._keys:
            schema = self.inner.describe_table(TableName=table)["Table"]["KeySchema"]
            self._keys[table] = [key["AttributeName"] for key in schema]
        return {name: item[name] for name in self._keys[table]}

    def _answer(self, context: dict[str, Any], **_: Any) -> tuple[_Reply, dict[str, Any]]:
        from botocore.exceptions import ClientError

        actions = context[self._key]["TransactItems"]
        targets = []
        for action in actions:
            ((kind, body),) = action.items()
            key = self._key_of(body["TableName"], body["Item"] if kind == "Put" else body["Key"])
            stored = self.inner.get_item(TableName=body["TableName"], Key=key, ConsistentRead=True)
            targets.append((kind, body, key, stored.get("Item")))
        consumed: dict[str, float] = {}
        for done, (kind, body, key, before) in enumerate(targets):
            try:
                units = self._apply(kind, body, key, before)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                for _, undo_body, undo_key, undo_before in reversed(targets[:done]):
                    self._restore(undo_body["TableName"], undo_key, undo_before)
                reasons: list[dict[str, Any]] = [{"Code": "None"} for _ in targets]
                reasons[done] = {"Code": "ConditionalCheckFailed", "Message": "condition failed"}
                if before is not None and body.get("ReturnValuesOnConditionCheckFailure") == (
                    "ALL_OLD"
                ):
                    reasons[done]["Item"] = before
                # Charged even when cancelled: every action, twice, at its item's size.
                consumed = {}
                for each_kind, each_body, _, each_before in targets:
                    sizes = [item_size(each_before or {})]
                    if each_kind == "Put":
                        sizes.append(item_size(each_body["Item"]))
                    name = each_body["TableName"]
                    consumed[name] = consumed.get(name, 0.0) + 2 * write_units(max(sizes))
                parsed = {
                    "Error": {"Code": "TransactionCanceledException", "Message": "emulated"},
                    "CancellationReasons": reasons,
                    "ConsumedCapacity": self._consumed(consumed),
                    EMULATED: "bench.capacity.TransactionEmulator",
                }
                return _Reply(400, parsed), parsed
            table = body["TableName"]
            consumed[table] = consumed.get(table, 0.0) + 2 * units
        parsed = {
            "ConsumedCapacity": self._consumed(consumed),
            EMULATED: "bench.capacity.TransactionEmulator",
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }
        return _Reply(200, parsed), parsed

    @staticmethod
    def _consumed(units: Mapping[str, float]) -> list[dict[str, Any]]:
        return [
            {"TableName": table, "CapacityUnits": n, "Table": {"CapacityUnits": n}}
            for table, n in units.items()
        ]

    def _apply(self, kind: str, body: Mapping[str, Any], key: Item, before: Item | None) -> float:
        """Send one action on its own; its table units, as the server reports them."""
        request = {
            name: value
            for name, value in body.items()
            if name != "ReturnValuesOnConditionCheckFailure"
        }
        request["ReturnConsumedCapacity"] = "TOTAL"
        if kind == "ConditionCheck":
            check = {n: v for n, v in request.items() if n not in ("Key", "ReturnConsumedCapacity")}
            self.inner.put_item(**check, Item=before or key)
            if before is None:
                self.inner.delete_item(TableName=body["TableName"], Key=key)
            return 0.0
        send = {"Put": self.inner.put_item, "Update": self.inner.update_item}.get(
            kind, self.inner.delete_item
        )
        return float(send(**request).get("ConsumedCapacity", {}).get("CapacityUnits", 0))

    def _restore(self, table: str, key: Item, before: Item | None) -> None:
        if before is None:
            self.inner.delete_item(TableName=table, Key=key)
        else:
            self.inner.put_item(TableName=table, Item=before)


# --- counting from item sizes ---------------------------------------------------------------


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: frozenset[str]
    projection: str = "ALL"  # ALL, KEYS_ONLY or INCLUDE
    included: frozenset[str] = frozenset()
    local: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    keys: frozenset[str]
    indexes: tuple[IndexSpec, ...] = ()


def _keys(schema: Iterable[Mapping[str, str]]) -> frozenset[str]:
    return frozenset(key["AttributeName"] for key in schema)


def model_tables(models: Iterable[Any] | None = None) -> dict[str, TableSpec]:
    """Table name -> its key and indexes, from the PynamoDB models (default: ``ALL_MODELS``)."""
    if models is None:
        from chalicelib.storage.models import ALL_MODELS

        models = ALL_MODELS
    tables = {}
    for model in models:
        schema: Any = model._get_schema()
        indexes = []
        for group, local in (
            ("global_secondary_indexes", False),
            ("local_secondary_indexes", True),
        ):
            for index in schema[group]:
                projection = index.get("projection", {})
                indexes.append(
                    IndexSpec(
                        index["index_name"],
                        _keys(index["key_schema"]),
                        projection.get("ProjectionType", "ALL"),
                        frozenset(projection.get("NonKeyAttributes", ())),
                        local,
                    )
                )
        name = model.Meta.table_name
        tables[name] = TableSpec(name, _keys(schema["key_schema"]), tuple(indexes))
    return tables


def _size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(str(data).encode("utf-8"))
    if kind == "N":
        return len(str(data).lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + _size(v) + 1 for k, v in data.items())
    return len(str(data))


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes of an item by DynamoDB's rules: names and values, UTF-8."""
    return sum(len(name.encode("utf-8")) + _size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """Write units of one item write: 1 KB each, rounded up, at least 1."""
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool = True, transactional: bool = False) -> float:
    """Read units of reading ``size`` bytes: 4 KB each, rounded up, at least 1; half for an
    eventually consistent read, double for a transactional one."""
    units = float(max(1, math.ceil(size / 4096)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


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
                    _add(counted, target, units)
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
                        _add(counted, target, units)
            return counted
        if operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    ((kind, body),) = request.items()  # PutRequest or DeleteRequest
                    found = self._write(kind[: -len("Request")], {"TableName": name, **body}, False)
                    for target, each in found.items():
                        _add(counted, target, each)
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
                _add(counted, (name, None), units)
            return counted
        return None  # Query, Scan, PartiQL: not countable from the request alone


# --- the cross-check: python -m bench.capacity ----------------------------------------------


def _split(units: Mapping[Target, Units]) -> tuple[float, float, float]:
    """(read units, table write units, index write units)."""
    reads = sum(u.read for u in units.values())
    table = sum(u.write for (_, index), u in units.items() if index is None)
    indexes = sum(u.write for (_, index), u in units.items() if index is not None)
    return reads, table, indexes


def _row(label: str, meter: CapacityMeter, counted: Mapping[Target, Units]) -> str:
    measured = [r for r in meter.readings if r.measured]
    unmeasured = meter.unmeasured()
    c_reads, c_table, c_indexes = _split(counted)
    if unmeasured:
        kinds = ", ".join(sorted(meter.unmeasured_operations()))
        got = f"{'-':>5} {'-':>5} {'-':>5}"
        note = f"not measured: {kinds}; counted by the fallback"
    else:
        units: dict[Target, Units] = {}
        for reading in measured:
            for target, each in reading.units.items():
                _add(units, target, each)
        m_reads, m_table, m_indexes = _split(units)
        got = f"{m_reads:5.1f} {m_table:5.1f} {m_indexes:5.1f}"
        same = (m_reads, m_table) == (c_reads, c_table)
        note = "table units agree" if same else "DIFFER"
        if any(r.emulated for r in measured):
            note = "emulated transaction: " + note
        if c_indexes and not m_indexes:
            note += "; index writes not reported"
    return f"  {label:46} {got}   {c_reads:5.1f} {c_table:5.1f} {c_indexes:5.1f}   {note}"


def demonstrate(endpoint: str, emulate: bool = True) -> int:
    """A few representative requests, measured on ``endpoint`` and counted from item sizes."""
    from collections import Counter as Tally

    from botocore.exceptions import ClientError

    from chalicelib.config import settings
    from chalicelib.domain.clock import format_time, utc_now
    from chalicelib.domain.records import CallRecord, RecordRef
    from chalicelib.storage import clients, usage
    from chalicelib.storage.calls import items, transaction, writes
    from chalicelib.storage.models import AccountModel, GatewayModel

    tables = model_tables()
    lookup = lookup_on(endpoint, settings().region)

    meter = CapacityMeter(fallback=ItemSizeCounter(tables, lookup))
    fresh = ItemSizeCounter(tables)
    meter.attach(clients.dynamodb())
    meter.attach_models()
    if emulate:
        from chalicelib.storage.transactions import _connection

        emulator = TransactionEmulator(endpoint, settings().region)
        emulator.attach(clients.dynamodb())
        emulator.attach(_connection().client)
    rows: list[str] = []

    def write(label: str, table: str, key: Item, action: Callable[[], object]) -> None:
        before = lookup(table, key)
        meter.reset()
        with contextlib.suppress(ClientError):  # a failed condition: the meter keeps it
            action()
        after = lookup(table, key)
        counted: dict[Target, Units] = {}
        if meter.unmeasured():
            for reading in meter.readings:
                for target, units in (reading.counted or {}).items():
                    _add(counted, target, units)
        elif any(r.emulated for r in meter.readings):
            for reading in meter.readings:  # new items: counted as absent before
                for target, units in (fresh(reading) or {}).items():
                    _add(counted, target, units)
        else:
            counted = count_write(tables[table], after, before)
        rows.append(_row(label, meter, counted))

    def read(label: str, action: Callable[[], list[Item]], consistent: bool) -> None:
        meter.reset()
        items = action()
        table = next(iter(meter.readings[0].units))[0] if meter.readings else "?"
        size = sum(item_size(item) for item in items)
        rows.append(_row(label, meter, {(table, None): Units(read=read_units(size, consistent))}))

    account = "acc-capacity"
    record_table = settings().table_name("calls")
    record = CallRecord(
        request_id="req-capacity-1",
        time=format_time(utc_now()),
        method="GET",
        path="/demo/hello",
        source_ip="198.51.100.7",
        stage="RELEASE",
        result="success",
        latency_ms=1.5,
        auth_method="signature",
        access_key="AKCAPACITY000001",
        app_id="app-capacity",
        api_id="api-capacity",
        caller_account_id=account,
        provider_account_id=account,
    )
    long = record._replace(request_id="req-capacity-2", path="/demo/" + "x" * 1000)
    crossing = record._replace(request_id="req-capacity-3", caller_account_id="acc-other")

    def key_of(item: Item | None) -> Item:
        assert item is not None
        return {"id": item["id"]}

    item = items.record_item(record)
    long_item = items.record_item(long)
    write(
        "PutItem call record (4 sparse GSIs), < 1 KB",
        record_table,
        key_of(item),
        lambda: writes.save(record),
    )
    write(
        "PutItem call record (4 sparse GSIs), > 1 KB",
        record_table,
        key_of(long_item),
        lambda: writes.save(long),
    )
    ref = RecordRef(record.viewers, items.record_id(record))
    write(
        "UpdateItem call record marked failed (leaves 2 GSIs)",
        record_table,
        key_of(item),
        lambda: writes.mark_failed(ref, "INVALID_SIGNATURE"),
    )
    scope, start = f"app#{record.app_id}", record.time[:13]
    usage_key = {"scope": {"S": scope}, "bucket_start": {"S": start}}
    usage_table = settings().table_name("usage")
    for label in ("UpdateItem usage ADD, new bucket", "UpdateItem usage ADD, existing bucket"):
        write(
            label, usage_table, usage_key, lambda: usage.add_counts(Tally({(scope, start, "x"): 1}))
        )
    now = format_time(utc_now())
    write(
        "PynamoDB save, account (no index)",
        settings().table_name("accounts"),
        {"account_id": {"S": account}},
        lambda: AccountModel(account_id=account, name="capacity", created_at=now).save(),
    )
    write(
        "PynamoDB save, gateway (2 GSIs)",
        settings().table_name("gateways"),
        {"gateway_id": {"S": "gw-capacity"}},
        lambda: GatewayModel(
            gateway_id="gw-capacity", account_id=account, created_at=now, updated_at=now
        ).save(),
    )
    nonce = items.Nonce("AKCAPACITY000001#nonce-capacity", int(time.time()) + 900)
    verified = record._replace(request_id="req-capacity-5")
    verified_item = items.record_item(verified, nonce)
    for label in ("PutItem verified call (the nonce)", "PutItem replay (condition fails)"):
        write(
            label, record_table, key_of(verified_item), lambda: writes.save(verified, nonce)
        )
    cross_item = items.record_item(crossing)
    write(
        "PutItem call record, 2 viewers",
        record_table,
        key_of(cross_item),
        lambda: writes.save(crossing),
    )
    # An allowed call with a limit: the record (its nonce) and the counter, in one request.
    window = transaction.Counter("auth-capacity#minute#0", 100, int(time.time()) + 120, "minute")
    allowed = record._replace(request_id="req-capacity-4")
    limited = items.Nonce("AKCAPACITY000001#nonce-capacity-2", int(time.time()) + 900)
    allowed_item = items.record_item(allowed, limited)
    for label in ("TransactWriteItems allowed call", "TransactWriteItems replay (cancelled)"):
        write(
            label,
            record_table,
            key_of(allowed_item),
            lambda: writes.save(allowed, limited, [window]),
        )
    read(
        "GetItem call record, consistent",
        lambda: [
            clients.dynamodb().get_item(
                TableName=record_table, Key=key_of(long_item), ConsistentRead=True
            )["Item"]
        ],
        consistent=True,
    )
    read(
        "Query by_app GSI (eventually consistent)",
        lambda: clients.dynamodb().query(
            TableName=record_table,
            IndexName="by_app",
            KeyConditionExpression="idx_app = :p",
            ExpressionAttributeValues={":p": {"S": record.app_id}},
        )["Items"],
        consistent=False,
    )

    print(
        "capacity units per request on dynalite 4.0.0: measured (ReturnConsumedCapacity=INDEXES)"
        " vs counted (item sizes and the indexes each item populates)"
    )
    print(f"  {'request':46} {'measured RRU WRU idx':>17}   {'counted RRU WRU idx':>17}")
    for row in rows:
        print(row)
    print("  WRU: table write units; idx: index write units (DynamoDB charges both).")
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Capacity units measured on dynalite vs counted.")
    parser.add_argument("--prefix", default="capacity-", help="table name prefix")
    parser.add_argument(
        "--no-emulation",
        action="store_true",
        help="leave TransactWriteItems to dynalite (which lacks it) instead of TransactionEmulator",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    server = Dynalite()
    try:
        endpoint = server.start()
    except DynaliteUnavailable as error:
        print(f"bench.capacity: {error}", file=sys.stderr)
        return 2
    try:
        from devtools.offline_aws import use_offline_aws

        use_offline_aws(os.environ, APIAUTH_TABLE_PREFIX=args.prefix, DYNAMODB_ENDPOINT=endpoint)
        from chalicelib.storage.clients import reset_clients

        reset_clients()
        create_tables(endpoint)
        return demonstrate(endpoint, emulate=not args.no_emulation)
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
