"""Consumed capacity as the server reports it, read by botocore event hooks."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.capacity.schema import project_models
from bench.capacity.units import Target, Units, add_units

READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


EMULATED = "EmulatedBy"  # a key of an emulated response: the meter marks such readings


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
                add_units(found, (table, name), units)
                indexes = indexes + units
        if "Table" in entry:
            add_units(found, (table, None), _capacity(entry["Table"], kind))
        else:
            add_units(found, (table, None), _capacity(entry, kind) - indexes)
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
        for model in project_models() if models is None else models:
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
            add_units(found, target, units)
        return found

    def by_table(self) -> dict[str, Units]:
        """Units per table, its indexes included."""
        found: dict[str, Units] = {}
        for (table, _), units in self._all_units():
            add_units(found, table, units)
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
