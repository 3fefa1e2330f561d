"""Benchmark of call-record queries: items read per page returned, and time flat in table size.

    python -m bench.call_records [--records 100000]

Fills moto's DynamoDB with records spread over 200 apps, 50 APIs and 30 days (and a 1k table
beside it), then reads one page of 50 for each common query and prints ScannedCount against
items returned, and the time per page against the same page from the 1k table.
Budget (DESIGN.md): at most 2 pages of items read per page returned; time ratio close to 1.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE = 50
ACCOUNT = "acc-bench"
FAILURES = ["NONCE_USED", "INVALID_SIGNATURE", "IP_NOT_ALLOWED", "NOT_AUTHORIZED"]


def _environment(prefix: str) -> None:
    from devtools.offline_aws import use_offline_aws

    use_offline_aws(os.environ, APIAUTH_TABLE_PREFIX=prefix)


@contextmanager
def _dynamodb(endpoint: str | None) -> Iterator[None]:
    if endpoint:
        os.environ["DYNAMODB_ENDPOINT"] = endpoint
        yield
        return
    from moto import mock_aws

    with mock_aws():
        yield


def fill(count: int, seed: int) -> None:
    from chalicelib.config import settings
    from chalicelib.domain.clock import format_time, utc_now
    from chalicelib.domain.records import CallRecord
    from chalicelib.storage import clients
    from chalicelib.storage.calls.items import Nonce, record_item

    rng = random.Random(seed)
    now = utc_now()
    # The key pairs, so that a filter by access key reads its app's partition.
    for app in range(200):
        clients.dynamodb().put_item(
            TableName=settings().table_name("keys"),
            Item={"access_key": {"S": f"key{app:05d}"}, "app_id": {"S": f"app-{app:03d}"}},
        )
    table = settings().table_name("calls")
    batch: list[dict[str, Any]] = []
    for index in range(count):
        result = "success" if rng.random() < 0.8 else rng.choice(FAILURES)
        if index in LOOKED_UP:  # the calls looked up by request id
            result = LOOKED_UP[index]
        app = rng.randrange(200)
        record = CallRecord(
            request_id=f"req-{seed}-{index:07d}",
            time=format_time(now - timedelta(seconds=rng.uniform(0, 30 * 86400))),
            method="GET",
            path=f"/api/{rng.randrange(50)}",
            source_ip="198.51.100.7",
            stage="RELEASE",
            result=result,
            auth_method="signature",
            app_id=f"app-{app:03d}",
            api_id=f"api-{rng.randrange(50):02d}",
            access_key=f"key{app:05d}",
            caller_account_id=ACCOUNT,
            provider_account_id=ACCOUNT,
            latency_ms=1.5,
        )
        # A call whose signature verified is keyed by its nonce (a refusal is found by request
        # id through the by_request index); the others by their request id. IP_NOT_ALLOWED is
        # decided before the signature.
        signed = result in ("success", "NOT_AUTHORIZED")
        if index == VERIFIED:
            ALLOWED_AT[seed] = record.time
        nonce = Nonce(f"key{app:05d}#nonce-{index}", 2**40) if signed else None
        item = record_item(record, nonce)
        assert item is not None
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25 or index == count - 1:
            clients.dynamodb().batch_write_item(RequestItems={table: batch})
            batch = []


VERIFIED, DENIED, REFUSED = 7, 8, 9  # indexes of the calls looked up by request id
LOOKED_UP = {VERIFIED: "success", DENIED: "INVALID_SIGNATURE", REFUSED: "NOT_AUTHORIZED"}
ALLOWED_AT: dict[int, str] = {}  # seed -> the time of the allowed call looked up
QUERIES: dict[str, dict[str, Any]] = {
    "newest (no filter)": {},
    "by app": {"app_id": "app-007"},
    "by api": {"api_id": "api-07"},
    "by access key": {"access_key": "key00007"},
    "by result=success": {"result": "success"},
    "by result=failure": {"result": "failure"},
    "by result=NONCE_USED": {"result": "NONCE_USED"},
    "by api, last 2 days": {"api_id": "api-07", "from_": "-2d"},
    "by app + result=success": {"app_id": "app-007", "result": "success"},
    "by request id, refused": {"request_id": REFUSED},
    "by request id, denied": {"request_id": DENIED},
    "by request id, allowed": {"request_id": VERIFIED},
    "... allowed, +-10 min": {"request_id": VERIFIED, "from_": "-10m", "to": "+10m"},
}


def run_queries(repeats: int, seed: int) -> dict[str, tuple[int, int, float]]:
    from chalicelib.domain.clock import format_time, parse_time, utc_now
    from chalicelib.domain.principal import Principal
    from chalicelib.services.call_records import RecordQuery, list_records

    principal = Principal(ACCOUNT, "bench", False)
    figures = {}
    for name, query in QUERIES.items():
        arguments = dict(query)
        if "request_id" in arguments:
            arguments["request_id"] = f"req-{seed}-{arguments['request_id']:07d}"
        if arguments.get("from_") == "-2d":
            arguments["from_"] = format_time(utc_now() - timedelta(days=2))
        if arguments.get("from_") == "-10m":  # a time range the person knows the call is in
            at = parse_time(ALLOWED_AT[seed], "time")
            arguments["from_"] = format_time(at - timedelta(minutes=10))
            arguments["to"] = format_time(at + timedelta(minutes=10))
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            page = list_records(principal, RecordQuery(limit=PAGE, **arguments))
            times.append(time.perf_counter() - started)
        figures[name] = (page.scanned, len(page.records), statistics.median(times))
    return figures


def allowed_search(seed: int) -> tuple[int, int]:
    """The allowed call looked up with no time range: successes newer than it, and pages of
    reads (at most 2 x 50 items each) until found, as ``next_cursor`` goes on."""
    from chalicelib.domain.principal import Principal
    from chalicelib.services.call_records import RecordQuery, list_records

    principal = Principal(ACCOUNT, "bench", False)
    wanted, cursor, pages, newer = f"req-{seed}-{VERIFIED:07d}", None, 0, 0
    while True:
        page = list_records(principal, RecordQuery(limit=PAGE, request_id=wanted, cursor=cursor))
        pages += 1
        newer += page.scanned
        if page.records or page.next_cursor is None:
            return newer - len(page.records), pages
        cursor = page.next_cursor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark call-record queries.")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--endpoint",
        help="a DynamoDB endpoint on loopback (e.g. DynamoDB Local) instead of in-process moto, "
        "whose Query walks its whole table and so cannot show time flat in table size",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    results: dict[int, dict[str, tuple[int, int, float]]] = {}
    for size in (args.small, args.records):
        _environment(f"bench{size}-")
        with _dynamodb(args.endpoint):
            from chalicelib.storage.clients import reset_clients
            from chalicelib.storage.models import CallRecordModel, KeyModel

            reset_clients()
            for model, table in ((CallRecordModel, "calls"), (KeyModel, "keys")):
                model.Meta.table_name = f"bench{size}-{table}"
                model.Meta.host = args.endpoint
                model._connection = None
                # DynamoDB stand-ins such as dynalite have no UpdateTimeToLive
                # (bench/dynalite.md).
                model.create_table(wait=True, ignore_update_ttl_errors=bool(args.endpoint))
            started = time.perf_counter()
            fill(size, seed=size)
            print(f"filled {size} records in {time.perf_counter() - started:.0f} s", flush=True)
            results[size] = run_queries(args.repeats, seed=size)
            if size == args.small:  # moto's Query walks the table: the small one, page by page
                searched = allowed_search(seed=size)
    failures = []
    print(f"\npage of {PAGE}: items read / returned; time per page, {args.records} vs {args.small}")
    for name in QUERIES:
        scanned, returned, big = results[args.records][name]
        small = results[args.small][name][2]
        pages_read = scanned / PAGE
        print(
            f"  {name:26} read {scanned:4d} / returned {returned:3d} ({pages_read:.1f} pages)"
            f"   {big * 1000:6.1f} ms vs {small * 1000:6.1f} ms = {big / small:.2f}x"
        )
        if pages_read > 2:
            failures.append(name)
    newer, pages = searched
    print(
        f"  the allowed call by request id, no time range: {pages} pages of reads until found"
        f" ({newer} successes newer than it, {args.small} records)"
    )
    print("within budget" if not failures else "OVER BUDGET: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
