"""python -m bench.capacity: representative requests, measured on dynalite and counted."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bench.capacity.counting import ItemSizeCounter, count_write, lookup_on
from bench.capacity.dynalite import Dynalite, DynaliteUnavailable, create_tables
from bench.capacity.emulator import TransactionEmulator
from bench.capacity.meter import CapacityMeter
from bench.capacity.schema import model_tables
from bench.capacity.units import Item, Target, Units, add_units, item_size, read_units

if TYPE_CHECKING:
    from chalicelib.domain.records import CallRecord

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "acc-capacity"


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
                add_units(units, target, each)
        m_reads, m_table, m_indexes = _split(units)
        got = f"{m_reads:5.1f} {m_table:5.1f} {m_indexes:5.1f}"
        same = (m_reads, m_table) == (c_reads, c_table)
        note = "table units agree" if same else "DIFFER"
        if any(r.emulated for r in measured):
            note = "emulated transaction: " + note
        if c_indexes and not m_indexes:
            note += "; index writes not reported"
    return f"  {label:46} {got}   {c_reads:5.1f} {c_table:5.1f} {c_indexes:5.1f}   {note}"


class Demonstration:
    """Requests made one at a time, each measured by a ``CapacityMeter`` on the server and counted
    from item sizes; one printed row each."""

    def __init__(self, endpoint: str, emulate: bool = True) -> None:
        from chalicelib.config import settings
        from chalicelib.storage import clients

        self.tables = model_tables()
        self.lookup = lookup_on(endpoint, settings().region)
        self.meter = CapacityMeter(fallback=ItemSizeCounter(self.tables, self.lookup))
        self.fresh = ItemSizeCounter(self.tables)  # counts new items as absent before
        self.meter.attach(clients.dynamodb())
        self.meter.attach_models()
        if emulate:
            from chalicelib.storage.transactions import _connection

            emulator = TransactionEmulator(endpoint, settings().region)
            emulator.attach(clients.dynamodb())
            emulator.attach(_connection().client)
        self.rows: list[str] = []

    def write(self, label: str, table: str, key: Item, action: Callable[[], object]) -> None:
        from botocore.exceptions import ClientError

        before = self.lookup(table, key)
        self.meter.reset()
        with contextlib.suppress(ClientError):  # a failed condition: the meter keeps it
            action()
        after = self.lookup(table, key)
        self.rows.append(_row(label, self.meter, self._counted(table, before, after)))

    def _counted(self, table: str, before: Item | None, after: Item | None) -> dict[Target, Units]:
        readings = self.meter.readings
        counted: dict[Target, Units] = {}
        if self.meter.unmeasured():
            for reading in readings:
                for target, units in (reading.counted or {}).items():
                    add_units(counted, target, units)
        elif any(r.emulated for r in readings):
            for reading in readings:
                for target, units in (self.fresh(reading) or {}).items():
                    add_units(counted, target, units)
        else:
            counted = count_write(self.tables[table], after, before)
        return counted

    def read(self, label: str, action: Callable[[], list[Item]], consistent: bool) -> None:
        self.meter.reset()
        items = action()
        readings = self.meter.readings
        table = next(iter(readings[0].units))[0] if readings else "?"
        size = sum(item_size(item) for item in items)
        counted: dict[Target, Units] = {(table, None): Units(read=read_units(size, consistent))}
        self.rows.append(_row(label, self.meter, counted))

    def report(self) -> None:
        print(
            "capacity units per request on dynalite 4.0.0: measured"
            " (ReturnConsumedCapacity=INDEXES) vs counted (item sizes and the indexes each item"
            " populates)"
        )
        print(f"  {'request':46} {'measured RRU WRU idx':>17}   {'counted RRU WRU idx':>17}")
        for row in self.rows:
            print(row)
        print("  WRU: table write units; idx: index write units (DynamoDB charges both).")


def _key_of(item: Item | None) -> Item:
    assert item is not None
    return {"id": item["id"]}


def _sample_record() -> CallRecord:
    from chalicelib.domain.clock import format_time, utc_now
    from chalicelib.domain.records import CallRecord

    return CallRecord(
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
        caller_account_id=ACCOUNT,
        provider_account_id=ACCOUNT,
    )


def _record_writes(demo: Demonstration, record: CallRecord) -> Item:
    """Call records saved and marked failed; returns the long record's key, read back later."""
    from chalicelib.config import settings
    from chalicelib.domain.records import RecordRef
    from chalicelib.storage.calls import items, writes

    table = settings().table_name("calls")
    long = record._replace(request_id="req-capacity-2", path="/demo/" + "x" * 1000)
    item = items.record_item(record)
    long_item = items.record_item(long)
    demo.write(
        "PutItem call record (4 sparse GSIs), < 1 KB",
        table,
        _key_of(item),
        lambda: writes.save(record),
    )
    demo.write(
        "PutItem call record (4 sparse GSIs), > 1 KB",
        table,
        _key_of(long_item),
        lambda: writes.save(long),
    )
    ref = RecordRef(record.viewers, items.record_id(record))
    demo.write(
        "UpdateItem call record marked failed (leaves 2 GSIs)",
        table,
        _key_of(item),
        lambda: writes.mark_failed(ref, "INVALID_SIGNATURE"),
    )
    return _key_of(long_item)


def _usage_writes(demo: Demonstration, record: CallRecord) -> None:
    from collections import Counter as Tally

    from chalicelib.config import settings
    from chalicelib.storage import usage

    scope, start = f"app#{record.app_id}", record.time[:13]
    key = {"scope": {"S": scope}, "bucket_start": {"S": start}}
    table = settings().table_name("usage")
    for label in ("UpdateItem usage ADD, new bucket", "UpdateItem usage ADD, existing bucket"):
        demo.write(label, table, key, lambda: usage.add_counts(Tally({(scope, start, "x"): 1})))


def _model_saves(demo: Demonstration) -> None:
    from chalicelib.config import settings
    from chalicelib.domain.clock import format_time, utc_now
    from chalicelib.storage.models import AccountModel, GatewayModel

    now = format_time(utc_now())
    demo.write(
        "PynamoDB save, account (no index)",
        settings().table_name("accounts"),
        {"account_id": {"S": ACCOUNT}},
        lambda: AccountModel(account_id=ACCOUNT, name="capacity", created_at=now).save(),
    )
    demo.write(
        "PynamoDB save, gateway (2 GSIs)",
        settings().table_name("gateways"),
        {"gateway_id": {"S": "gw-capacity"}},
        lambda: GatewayModel(
            gateway_id="gw-capacity", account_id=ACCOUNT, created_at=now, updated_at=now
        ).save(),
    )


def _signed_call_writes(demo: Demonstration, record: CallRecord) -> None:
    """What the authorizer writes for a verified call, a replay, a call across accounts and an
    allowed call with a limit (the record, its nonce and the counter, in one request)."""
    from chalicelib.config import settings
    from chalicelib.storage.calls import counting, items, writes

    table = settings().table_name("calls")
    nonce = items.Nonce("AKCAPACITY000001#nonce-capacity", int(time.time()) + 900)
    verified = record._replace(request_id="req-capacity-5")
    verified_item = items.record_item(verified, nonce)
    for label in ("PutItem verified call (the nonce)", "PutItem replay (condition fails)"):
        demo.write(label, table, _key_of(verified_item), lambda: writes.save(verified, nonce))
    crossing = record._replace(request_id="req-capacity-3", caller_account_id="acc-other")
    demo.write(
        "PutItem call record, 2 viewers",
        table,
        _key_of(items.record_item(crossing)),
        lambda: writes.save(crossing),
    )
    window = counting.Counter("auth-capacity#minute#0", 100, int(time.time()) + 120, "minute")
    allowed = record._replace(request_id="req-capacity-4")
    limited = items.Nonce("AKCAPACITY000001#nonce-capacity-2", int(time.time()) + 900)
    allowed_item = items.record_item(allowed, limited)
    for label in ("UpdateItem counter + PutItem limited call", "the same replayed (counter back)"):
        demo.write(
            label,
            table,
            _key_of(allowed_item),
            lambda: writes.save(allowed, limited, [window]),
        )


def _reads(demo: Demonstration, record: CallRecord, long_key: Item) -> None:
    from chalicelib.config import settings
    from chalicelib.storage import clients

    table = settings().table_name("calls")
    demo.read(
        "GetItem call record, consistent",
        lambda: [
            clients.dynamodb().get_item(TableName=table, Key=long_key, ConsistentRead=True)["Item"]
        ],
        consistent=True,
    )
    demo.read(
        "Query by_app GSI (eventually consistent)",
        lambda: clients.dynamodb().query(
            TableName=table,
            IndexName="by_app",
            KeyConditionExpression="idx_app = :p",
            ExpressionAttributeValues={":p": {"S": record.app_id}},
        )["Items"],
        consistent=False,
    )


def demonstrate(endpoint: str, emulate: bool = True) -> int:
    """A few representative requests, measured on ``endpoint`` and counted from item sizes."""
    demo = Demonstration(endpoint, emulate)
    record = _sample_record()
    long_key = _record_writes(demo, record)
    _usage_writes(demo, record)
    _model_saves(demo)
    _signed_call_writes(demo, record)
    _reads(demo, record, long_key)
    demo.report()
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
