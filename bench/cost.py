"""What one call costs an operator: DynamoDB capacity units and Lambda, in dollars per million.

    python -m bench.cost

Drives the real authorizer (and the stream aggregator) over moto's server, records every
DynamoDB request it makes, and counts the capacity each would consume in DynamoDB from the
items themselves: item sizes by DynamoDB's rules, one write per populated global secondary
index (taken from the models), transactional writes doubled, strongly consistent reads. moto
reports no consumed capacity, so these are counts, not readings; a cancelled transaction is
counted as if charged (the conservative side).

Lambda: one authorizer invocation per call (TTL 0), billed by the millisecond at the
configured memory. Its duration is the measured CPU (the median of ``REPEATS`` calls of the
kind, botocore's work included, DynamoDB in another process) stretched by Lambda's CPU share
(one vCPU at 1,769 MB, proportionally less below), plus ``DYNAMODB_MS`` per request. The CPU
is this machine's: Lambda's may be faster.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.authorizer import _environment, moto_with_demo, signed_event
from bench.capacity.counting import count_write
from bench.capacity.schema import TableSpec, model_tables

ROOT = Path(__file__).resolve().parents[1]

# List prices, us-east-1, as known on 2026-11-30 (on-demand DynamoDB, Lambda x86, API Gateway).
PRICES = {
    "write_unit": 0.625 / 1e6,  # DynamoDB on-demand, per write request unit
    "read_unit": 0.125 / 1e6,  # DynamoDB on-demand, per read request unit
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,
    "api_gateway_rest": 3.50 / 1e6,  # the yardstick: API Gateway REST, per call
}
AUTHORIZER_MEMORY_GB = 0.5  # .chalice/config.json: request_authorizer 512 MB
AGGREGATOR_MEMORY_GB = 0.25  # record_aggregator 256 MB
DYNAMODB_MS = 4.0  # an assumed in-region round trip per DynamoDB request
FULL_VCPU_GB = 1.769  # Lambda's memory with one whole vCPU; below it, that share of one
REPEATS = 15  # calls of each kind whose median CPU is billed


def lambda_ms(cpu_ms: float, requests: int, memory_gb: float) -> float:
    """A Lambda invocation's duration at ``memory_gb``: its CPU at that share, its waits."""
    return cpu_ms * max(1.0, FULL_VCPU_GB / memory_gb) + DYNAMODB_MS * requests
Figure = tuple[int, float, float]  # calls a second, write units per call, aggregator $ per call


class Meter:
    """Read and write units of the DynamoDB requests made while it listens, counted from the
    requests and whether DynamoDB took them."""

    def __init__(self) -> None:
        self.tables = model_tables()
        self.reads = 0.0
        self.writes = 0.0
        self.requests = 0
        self._pending: tuple[str, dict[str, Any]] | None = None

    def reset(self) -> None:
        self.reads = self.writes = 0.0
        self.requests = 0

    def _put(self, table: str, item: dict[str, Any], factor: int, applied: bool) -> None:
        spec = self.tables.get(table) or TableSpec(table, frozenset())
        for (_, index), units in count_write(spec, item, transactional=factor == 2).items():
            if index is None or applied:  # a refused condition is charged on the table only
                self.writes += units.write

    def _update(self, table: str, factor: int) -> None:
        # Our updates touch small items (counters, key and app usage): one unit, plus one for
        # each index that projects the changed attributes (all of ours project ALL).
        self.writes += factor
        if table.endswith(("-keys", "-apps")):
            self.writes += 1

    def before(self, operation: str, params: dict[str, Any]) -> None:
        self._pending = (operation, params)

    def after(self, failed: bool) -> None:
        if self._pending is None:
            return
        operation, params = self._pending
        self._pending = None
        self.requests += 1
        if operation == "BatchGetItem":
            for request in params["RequestItems"].values():
                self.reads += len(request["Keys"])  # small items, strongly consistent: 1 each
        elif operation == "PutItem":
            self._put(params["TableName"], params["Item"], 1, not failed)
        elif operation == "UpdateItem":
            self._update(params["TableName"], 1)
        elif operation == "TransactWriteItems":
            # A cancelled transaction is counted as if charged in full (the conservative side).
            for action in params["TransactItems"]:
                if "Put" in action:
                    self._put(action["Put"]["TableName"], action["Put"]["Item"], 2, True)
                elif "Update" in action:
                    self._update(action["Update"]["TableName"], 2)
        elif operation in ("GetItem", "Query"):
            self.reads += 1


def attach(meter: Meter) -> None:
    from chalicelib.storage import clients

    def on_params(params: dict[str, Any], model: Any, **_: Any) -> None:
        meter.before(model.name, params)

    def on_response(http_response: Any, **_: Any) -> None:
        meter.after(failed=http_response.status_code >= 300)

    events = clients.dynamodb().meta.events
    events.register("provide-client-params.dynamodb", on_params)
    events.register("after-call.dynamodb", on_response)


def dollars(reads: float, writes: float, lambda_ms: float, memory_gb: float) -> float:
    """Dollars per million for one call's units and one Lambda invocation of ``lambda_ms``."""
    billed_seconds = math.ceil(lambda_ms) / 1000
    return 1e6 * (
        reads * PRICES["read_unit"]
        + writes * PRICES["write_unit"]
        + PRICES["lambda_request"]
        + billed_seconds * memory_gb * PRICES["lambda_gb_second"]
    )


def _on_dynalite(stack: contextlib.ExitStack) -> tuple[str, Callable[[str], None]]:
    """Start dynalite; what makes the tables there and runs transactions on it."""
    from bench.capacity.dynalite import Dynalite, create_tables
    from bench.capacity.emulator import TransactionEmulator

    endpoint = stack.enter_context(Dynalite())

    def prepare(endpoint: str) -> None:
        from chalicelib.storage import clients, transactions

        clients.reset_clients()
        transactions.reset_connection()
        create_tables(endpoint)
        for client in (clients.dynamodb(), transactions._connection().client):
            TransactionEmulator(endpoint).attach(client)

    return endpoint, prepare


Row = tuple[str, float, float, int, float]  # call, read units, write units, requests, Lambda ms


class Calls:
    """The authorizer's calls, each counted by ``meter`` and, on dynalite, read by ``measured``."""

    def __init__(self, meter: Meter, measured: Any | None) -> None:
        self.meter = meter
        self.measured = measured
        self.rows: list[Row] = []
        self.measured_rows: dict[str, tuple[float, float, str]] = {}
        self._numbers = itertools.count()

    def count(
        self, name: str, event: dict[str, Any], verdict: str | None = None, cpu_ms: float = 0.0
    ) -> None:
        """Send ``event`` to the authorizer and keep what it cost as the row ``name``; with
        ``verdict``, the call must have been refused so. ``cpu_ms``: the median CPU of calls
        of this kind, if measured (else this one's)."""
        meter = self.meter
        meter.reset()
        if self.measured is not None:
            self.measured.reset()
        own_ms = self.cpu(name, event, verdict)
        duration = lambda_ms(cpu_ms or own_ms, meter.requests, AUTHORIZER_MEMORY_GB)
        self.rows.append((name, meter.reads, meter.writes, meter.requests, duration))
        if self.measured is not None:
            self.measured_rows[name] = _reading(self.measured)

    @staticmethod
    def cpu(name: str, event: dict[str, Any], verdict: str | None = None) -> float:
        """The CPU milliseconds of one authorizer call (its decision checked)."""
        from app import request_authorizer

        started = time.thread_time()  # its decision line included: Lambda writes it too
        answer = request_authorizer(event, None)
        own_ms = (time.thread_time() - started) * 1000
        got = answer.get("context", {}).get("error_code")
        if verdict is not None and got != verdict:
            raise SystemExit(f"{name}: the call was {got or 'allowed'}, not {verdict}")
        return own_ms

    def call(
        self,
        name: str,
        caller: dict[str, str],
        *,
        cold: bool = False,
        change: Callable[[dict[str, Any]], None] | None = None,
        verdict: str | None = None,
    ) -> None:
        """Warm up with one call, measure the CPU of ``REPEATS`` more, then count one."""
        from app import request_authorizer
        from chalicelib.storage.credentials import reset_cache

        count = REPEATS + 2
        events = [signed_event(caller, f"cost-{next(self._numbers)}")[0] for _ in range(count)]
        for event in events:
            if change is not None:
                change(event)
        request_authorizer(events[0], None)
        spent = []
        for event in events[1:-1]:
            if cold:
                reset_cache()
            spent.append(self.cpu(name, event, verdict))
        if cold:
            reset_cache()
        self.count(name, events[-1], verdict, statistics.median(spent))


def _garbage(event: dict[str, Any]) -> None:
    event["headers"]["x-ca-signature"] = "Z2FyYmFnZQ=="


def _no_such_stage(event: dict[str, Any]) -> None:
    event["headers"]["x-ca-stage"] = "NOPE"  # not signed: refused after the signature


def _unknown(event: dict[str, Any]) -> None:
    event["headers"]["x-ca-key"] = "NoSuchKey0000001"


def _unbound(event: dict[str, Any]) -> None:
    _unknown(event)
    event["requestContext"]["apiId"] = "unbound0000"


def _run_calls(calls: Calls, demo: dict[str, str]) -> None:
    """Each kind of call in the table: allowed (warm, cold, across accounts, with limits) and
    denied (bad signature, unknown key, no account, replay)."""
    from app import request_authorizer
    from chalicelib.domain.admin import AuthorizationChanges, NewApp, NewAuthorization
    from chalicelib.domain.limits import limits_from
    from chalicelib.domain.principal import Principal
    from chalicelib.services import accounts, apis, apps
    from chalicelib.storage.calls import counting
    from chalicelib.storage.credentials import reset_cache
    from chalicelib.storage.models import AuthorizationModel

    root = Principal("default", "bench", True)
    partner = accounts.create_account(root, "partner")["account_id"]
    partner_app, partner_key, partner_secret = apps.create_app(
        Principal(partner, "bench", False), NewApp(name="partner caller")
    )
    apis.create_authorization(root, NewAuthorization(partner_app.app_id, group="demo"))
    cross = {"access_key": partner_key.access_key, "secret": partner_secret}
    [grant] = AuthorizationModel.query(demo["app_id"])

    calls.call("allowed, same account, warm", demo)
    calls.call("allowed, same account, cold cache", demo, cold=True)
    calls.call("allowed, another account's app, warm", cross)
    limits = {"per_second": 10**6, "per_minute": 10**6, "per_day": 10**6}
    apis.update_authorization(
        root, grant.authorization_id, AuthorizationChanges(limits=limits_from(limits))
    )
    reset_cache()
    calls.call("allowed, with 3 limit windows, warm", demo)
    full = {"per_second": 10**6, "per_minute": 1, "per_day": 10**6}
    apis.update_authorization(
        root, grant.authorization_id, AuthorizationChanges(limits=limits_from(full))
    )
    reset_cache()
    # A client calling on over its limit: the container knows the window full after its
    # first refusal there, which alone pays the refused counter update.
    calls.call("denied, over a limit (THROTTLED)", demo, verdict="THROTTLED")
    counting._full.clear()
    calls.count("denied, over a limit, first in its window", signed_event(demo, "cost-full")[0],
                verdict="THROTTLED")  # fmt: skip
    apis.update_authorization(root, grant.authorization_id, AuthorizationChanges(limits=None))
    reset_cache()
    calls.call("denied after the signature (INVALID_STAGE)", demo, change=_no_such_stage,
               verdict="INVALID_STAGE")  # fmt: skip
    calls.call("denied, bad signature", demo, change=_garbage, verdict="INVALID_SIGNATURE")
    calls.call("denied, unknown key on a registered API", demo, change=_unknown)
    calls.call("denied, unknown key and gateway (no account)", demo, change=_unbound)
    replayed = signed_event(demo, "cost-replayed")[0]
    request_authorizer(dict(replayed), None)
    calls.count("denied, replay (NONCE_USED)", replayed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What one call costs an operator.")
    parser.add_argument(
        "--dynalite",
        action="store_true",
        help="run DynamoDB on dynalite (bench/dynalite.md) and show the units it reports beside"
        " the count: table units measured, index writes counted (dynalite reports none)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    _environment()
    stack = contextlib.ExitStack()
    endpoint, prepare = _on_dynalite(stack) if args.dynalite else (None, None)
    with stack, moto_with_demo(endpoint, prepare) as demo:
        meter = Meter()
        attach(meter)
        calls = Calls(meter, _measured_meter(endpoint) if endpoint else None)
        _run_calls(calls, demo)
        aggregation = measure_aggregation(meter)
    _print_calls(calls)
    _print_aggregation(aggregation)
    return 1 if _print_all_in(calls.rows, aggregation) else 0


def _print_calls(calls: Calls) -> None:
    print(
        "cost per call, counted from the requests (on-demand DynamoDB $0.625/M write and $0.125/M"
        " read units, Lambda $0.20/M + $0.0000166667/GB-s; list prices as of 2026-11-30;"
        f" {DYNAMODB_MS:.0f} ms assumed per DynamoDB request)"
    )
    print(f"  {'call':46} {'RRU':>5} {'WRU':>5} {'req':>4} {'Lambda ms':>9} {'$/M':>7}")
    for name, reads, writes, requests, duration in calls.rows:
        cost = dollars(reads, writes, duration, AUTHORIZER_MEMORY_GB)
        print(f"  {name:46} {reads:5.1f} {writes:5.1f} {requests:4d} {duration:9.1f} {cost:7.2f}")
    if calls.measured_rows:
        print(
            "  on dynalite, ReturnConsumedCapacity=INDEXES: table units as it reported them,"
            " index writes counted (dynalite reports none), requests it could not measure"
            " counted from item sizes:"
        )
        print(f"  {'call':46} {'RRU':>5} {'WRU':>5}  counted instead")
        for name, (reads, writes, unmeasured) in calls.measured_rows.items():
            print(f"  {name:46} {reads:5.1f} {writes:5.1f}  {unmeasured or '-'}")


def _print_aggregation(aggregation: tuple[list[Figure], list[Figure]]) -> None:
    print(
        f"  aggregation of the stream, per allowed call (batches of up to {BATCH_SIZE} records"
        f" or {BATCH_WINDOW_S} s, whichever fills first):"
    )
    same, cross = aggregation
    for (rate, writes, invocation), (_, cross_writes, cross_invocation) in zip(
        same, cross, strict=True
    ):
        cost = 1e6 * writes * PRICES["write_unit"] + invocation
        cross_cost = 1e6 * cross_writes * PRICES["write_unit"] + cross_invocation
        print(
            f"    {rate:4d} calls/s: {writes:5.3f} WRU, ${cost:.2f} per million"
            f" (another account's app: {cross_writes:5.3f} WRU, ${cross_cost:.2f})"
        )


# The figures of main before issue 23 (dfdcdec, measured by this script with its Lambda model
# on 2026-12-03): write units per call and dollars per million all in at 1 and 100 calls a
# second (the stream's aggregation included), to print beside each row as it is now.
BEFORE = {
    "allowed, same account, warm": (4.0, 3.00, 2.83),
    "allowed, another account's app, warm": (5.0, 3.75, 3.44),
    "allowed, with 3 limit windows, warm": (11.0, 7.39, 7.22),
    "denied, over a limit (THROTTLED)": (15.0, 9.81, 9.81),
    "denied, bad signature": (4.0, 2.98, 2.81),
}


def _print_all_in(rows: list[Row], aggregation: tuple[list[Figure], list[Figure]]) -> bool:
    """Each call of ``BEFORE`` all in, at each rate, beside its figures before; True if an
    allowed call costs API Gateway's price or more at 100 calls a second."""
    yardstick = PRICES["api_gateway_rest"] * 1e6
    print(
        f"all in, $ per million, the stream's aggregation included (API Gateway REST:"
        f" ${yardstick:.2f}); before: write units, $ at 1/s and 100/s:"
    )
    over = False
    same, cross = aggregation
    for row_name, (units, at_one, at_hundred) in BEFORE.items():
        aggregated = cross if "another account" in row_name else same
        row = next(r for r in rows if r[0] == row_name)
        call_cost = dollars(row[1], row[2], row[4], AUTHORIZER_MEMORY_GB)
        totals = []
        for rate, writes, invocation in aggregated:
            total = call_cost + 1e6 * writes * PRICES["write_unit"] + invocation
            totals.append(f"{rate}/s ${total:.2f}")
            allowed = row_name.startswith("allowed")
            over = over or (allowed and rate == 100 and total >= yardstick)
        print(
            f"  {row_name:38} {row[2]:4.1f} WRU, " + ", ".join(totals)
            + f"  (before: {units:4.1f} WRU, ${at_one:.2f}, ${at_hundred:.2f})"
        )
    return over


def _measured_meter(endpoint: str) -> Any:
    from bench.capacity.counting import ItemSizeCounter, lookup_on
    from bench.capacity.meter import CapacityMeter
    from chalicelib.storage import clients

    counter = ItemSizeCounter(lookup=lookup_on(endpoint))
    measured = CapacityMeter(fallback=counter, index_writes=counter.index_writes)
    measured.attach(clients.dynamodb())
    measured.attach_models()
    return measured


def _reading(measured: Any) -> tuple[float, float, str]:
    unmeasured = ", ".join(f"{op} x{n}" for op, n in measured.unmeasured_operations().items())
    return float(measured.reads), float(measured.writes), unmeasured


def _event_source() -> tuple[int, int]:
    """The record aggregator's batch size and batching window, from the template."""
    text = (ROOT / "infra" / "merge-template.yaml").read_text()
    size = re.search(r"RecordAggregatorStream:[\s\S]*?BatchSize: (\d+)", text)
    window = re.search(
        r"RecordAggregatorStream:[\s\S]*?MaximumBatchingWindowInSeconds: (\d+)", text
    )
    assert size and window, "the template's RecordAggregatorStream lost its batching settings"
    return int(size.group(1)), int(window.group(1))


BATCH_SIZE, BATCH_WINDOW_S = _event_source()


def measure_aggregation(meter: Meter) -> tuple[list[Figure], list[Figure]]:
    """Per allowed call: write units and aggregator dollars at 1, 10 and 100 calls a second,
    the calls spread over the batching window (so over one or two minute buckets), for calls
    within one account and calls of another account's app (two viewers, twice the scopes)."""
    from chalicelib.domain.clock import format_time, utc_now
    from chalicelib.domain.records import CallRecord
    from chalicelib.services.usage import aggregate
    from chalicelib.storage.calls.items import record_item
    from chalicelib.storage.models import AppModel

    app = next(iter(AppModel.scan()))
    figures: tuple[list[Figure], list[Figure]] = ([], [])
    for cross, found in ((False, figures[0]), (True, figures[1])):
        for rate in (1, 10, 100):
            count = min(rate * BATCH_WINDOW_S, BATCH_SIZE)
            span = count / rate  # seconds the batch's calls arrive over
            start = utc_now().replace(second=30, microsecond=0)
            batch = []
            for index in range(count):
                record = CallRecord(
                    request_id=f"agg-{cross}-{rate}-{index}",
                    time=format_time(start + timedelta(seconds=span * index / count)),
                    method="GET",
                    path="/demo/hello",
                    source_ip="198.51.100.7",
                    stage="RELEASE",
                    result="success",
                    auth_method="signature",
                    access_key=app.default_access_key,
                    app_id=app.app_id,
                    api_id="api-bench",
                    caller_account_id=app.account_id,
                    provider_account_id="acc-provider" if cross else app.account_id,
                )
                batch.append({"eventName": "INSERT", "dynamodb": {"NewImage": record_item(record)}})
            meter.reset()
            started = time.thread_time()
            aggregate(batch)
            own_ms = (time.thread_time() - started) * 1000
            duration = lambda_ms(own_ms, meter.requests, AGGREGATOR_MEMORY_GB)
            invocation = dollars(0, 0, duration, AGGREGATOR_MEMORY_GB) / count
            found.append((rate, meter.writes / count, invocation))
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
