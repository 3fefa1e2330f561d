"""python -m bench.capacity: representative requests, measured on dynalite and counted."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from bench.capacity.counting import ItemSizeCounter, count_write, lookup_on
from bench.capacity.dynalite import Dynalite, DynaliteUnavailable, create_tables
from bench.capacity.emulator import TransactionEmulator
from bench.capacity.meter import CapacityMeter
from bench.capacity.schema import model_tables
from bench.capacity.units import Item, Target, Units, add_units, item_size, read_units

ROOT = Path(__file__).resolve().parents[2]


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


def demonstrate(endpoint: str, emulate: bool = True) -> int:
    """A few representative requests, measured on ``endpoint`` and counted from item sizes."""
    from collections import Counter as Tally

    from botocore.exceptions import ClientError

    from chalicelib.config import settings
    from chalicelib.domain.clock import format_time, utc_now
    from chalicelib.domain.records import CallRecord, RecordRef
    from chalicelib.storage import call_records, clients, usage
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
                    add_units(counted, target, units)
        elif any(r.emulated for r in meter.readings):
            for reading in meter.readings:  # new items: counted as absent before
                for target, units in (fresh(reading) or {}).items():
                    add_units(counted, target, units)
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

    item = call_records.record_item(record)
    long_item = call_records.record_item(long)
    write(
        "PutItem call record (4 sparse GSIs), < 1 KB",
        record_table,
        key_of(item),
        lambda: call_records.save(record),
    )
    write(
        "PutItem call record (4 sparse GSIs), > 1 KB",
        record_table,
        key_of(long_item),
        lambda: call_records.save(long),
    )
    ref = RecordRef(record.viewers, call_records.record_id(record))
    write(
        "UpdateItem call record marked failed (leaves 2 GSIs)",
        record_table,
        key_of(item),
        lambda: call_records.mark_failed(ref, "INVALID_SIGNATURE"),
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
    nonce = call_records.Nonce("AKCAPACITY000001#nonce-capacity", int(time.time()) + 900)
    verified = record._replace(request_id="req-capacity-5")
    verified_item = call_records.record_item(verified, nonce)
    for label in ("PutItem verified call (the nonce)", "PutItem replay (condition fails)"):
        write(
            label, record_table, key_of(verified_item), lambda: call_records.save(verified, nonce)
        )
    cross_item = call_records.record_item(crossing)
    write(
        "PutItem call record, 2 viewers",
        record_table,
        key_of(cross_item),
        lambda: call_records.save(crossing),
    )
    # An allowed call with a limit: the record (its nonce) and the counter, in one request.
    window = call_records.Counter("auth-capacity#minute#0", 100, int(time.time()) + 120, "minute")
    allowed = record._replace(request_id="req-capacity-4")
    limited = call_records.Nonce("AKCAPACITY000001#nonce-capacity-2", int(time.time()) + 900)
    allowed_item = call_records.record_item(allowed, limited)
    for label in ("TransactWriteItems allowed call", "TransactWriteItems replay (cancelled)"):
        write(
            label,
            record_table,
            key_of(allowed_item),
            lambda: call_records.save(allowed, limited, [window]),
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
