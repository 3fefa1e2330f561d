"""Benchmark of the REQUEST authorizer against DESIGN.md's budgets, in one process over moto.

    python -m bench.authorizer [--calls 300] [--gateway rest|http]

Prints, for warm and cold calls: DynamoDB requests per allowed call (counted with botocore's
event hooks), the authorizer's own time per call with the time spent in DynamoDB/KMS calls
subtracted, one bare HMAC-SHA256 over the same StringToSign as the floor, and their ratio;
then the cold import of ``app`` against ``import botocore.session`` in fresh processes.
Figures are ratios measured in the same run: the machines are shared and noisy.
``--gateway http`` sends HTTP API payload 2.0 events on the ``$default`` route instead (the
API found by matching the path against the gateway's APIs, read by one Query when cold).
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import hmac
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HMAC_REPEATS = 200
BUDGETS = {
    "warm_requests": 2,
    "cold_requests": 4,
    "own_time_ratio": 20.0,
    "import_ratio": 1.3,
}
# "rest": REST API events; "http": HTTP API payload 2.0 events on the $default route.
GATEWAY = {"type": "rest"}


def _environment() -> None:
    from devtools.offline_aws import use_offline_aws

    use_offline_aws(
        os.environ,
        APIAUTH_TABLE_PREFIX="bench-",
        APIAUTH_KMS_KEY_ID="alias/apiauth-bench",
        APIAUTH_CACHE_TTL_SECONDS="3600",
    )


class AwsMeter:
    """Counts AWS requests and this thread's CPU time spent inside the clients' calls.

    Everything from the client method's entry to its return counts as AWS time: parameter
    validation, serialization, signing, the (moto) service and parsing the response.
    """

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.seconds = 0.0

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_name
        make_api_call = client._make_api_call

        def timed(operation: str, params: dict[str, Any]) -> Any:
            self.requests.append(f"{service}.{operation}")
            started = time.thread_time()
            try:
                return make_api_call(operation, params)
            finally:
                self.seconds += time.thread_time() - started

        client._make_api_call = timed

    def reset(self) -> None:
        self.requests.clear()
        self.seconds = 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# moto's server as DynamoDB answers: HTTP/1.1, the connection kept for the next request (its
# werkzeug speaks HTTP/1.0 by default and closes each one, which bills a connect per request).
_KEEP_ALIVE_MOTO = (
    "import sys, werkzeug.serving as s; s.WSGIRequestHandler.protocol_version = 'HTTP/1.1'; "
    "from moto.server import main; main(sys.argv[1:])"
)


@contextmanager
def moto_with_demo(
    dynamodb_endpoint: str | None = None,
    prepare: Callable[[str], None] | None = None,
    gateway_type: str = "rest",
) -> Iterator[dict[str, str]]:
    """moto's server in its own process on loopback, as DynamoDB is another host in AWS.

    In-process moto would bill its own work (it deep-copies tables per transaction) and its
    garbage collection to the authorizer's time. ``dynamodb_endpoint`` puts DynamoDB elsewhere
    (dynalite, ``bench/capacity/``), KMS staying on moto; ``prepare`` then runs on it before
    the tables are made.
    """
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", _KEEP_ALIVE_MOTO, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        os.environ["DYNAMODB_ENDPOINT"] = dynamodb_endpoint or endpoint
        os.environ["KMS_ENDPOINT"] = endpoint
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        from chalicelib.config import settings
        from chalicelib.storage import clients
        from chalicelib.storage.models import ALL_MODELS

        if prepare is not None and dynamodb_endpoint:
            prepare(dynamodb_endpoint)
        else:
            for model in ALL_MODELS:
                model.create_table(wait=False)
        key = clients.kms().create_key(Description="bench")
        clients.kms().create_alias(
            AliasName=settings().kms_key_id, TargetKeyId=key["KeyMetadata"]["KeyId"]
        )
        from chalicelib.services.bootstrap import register_demo, register_root

        register_root(None, gateway_type=gateway_type)
        yield register_demo()
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def signed_event(demo: dict[str, str], nonce: str) -> tuple[dict[str, Any], str]:
    from chalicelib.domain import signing

    headers = {
        "accept": "application/json",
        "x-ca-key": demo["access_key"],
        "x-ca-nonce": nonce,
        "x-ca-timestamp": str(int(time.time() * 1000)),
        "x-ca-signature-method": "HmacSHA256",
    }
    names = ["x-ca-key", "x-ca-nonce", "x-ca-signature-method", "x-ca-timestamp"]
    text = signing.build_string_to_sign(
        method="GET",
        path="/demo/hello",
        headers=headers,
        signed_header_names=names,
        query=[("page", "1")],
    )
    headers["x-ca-signature-headers"] = ",".join(names)
    headers["x-ca-signature"] = signing.compute_signature(text, demo["secret"])
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:bench/api/GET/demo/hello",
        "resource": "/demo/hello",
        "path": "/demo/hello",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {"page": "1"},
        "multiValueQueryStringParameters": {"page": ["1"]},
        "requestContext": {
            "requestId": nonce,
            "stage": "api",
            "apiId": "local",  # the gateway register_demo puts the demo APIs on
            "path": "/demo/hello",
            "identity": {"sourceIp": "198.51.100.7"},
        },
    }
    if GATEWAY["type"] == "http":
        return _as_http_api_event(event), text
    return event, text


def _as_http_api_event(event: dict[str, Any]) -> dict[str, Any]:
    """The same call as an HTTP API's payload 2.0 event on the ``$default`` route."""
    context = event["requestContext"]
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/demo/hello",
        "routeKey": "$default",
        "rawPath": event["path"],
        "rawQueryString": "page=1",
        "headers": event["headers"],
        "queryStringParameters": event["queryStringParameters"],
        "requestContext": {
            "apiId": context["apiId"],
            "requestId": context["requestId"],
            "routeKey": "$default",
            "stage": "$default",
            "http": {"method": "GET", "path": event["path"], "sourceIp": "198.51.100.7"},
        },
    }


def _allowed(result: dict[str, Any]) -> bool:
    if "isAuthorized" in result:
        return result["isAuthorized"] is True
    return bool(result["policyDocument"]["Statement"][0]["Effect"] == "Allow")


def measure_calls(demo: dict[str, str], calls: int, cold: bool) -> dict[str, float]:
    from app import request_authorizer
    from chalicelib.storage import clients
    from chalicelib.storage.credentials import reset_cache

    meter = AwsMeter()
    meter.attach(clients.dynamodb())
    meter.attach(clients.kms())
    request_authorizer(signed_event(demo, "warmup")[0], None)  # imports, first client use
    own: list[float] = []
    dynamodb_requests: list[int] = []
    floor: list[float] = []
    floor_between: list[float] = []
    for index in range(calls):
        event, text = signed_event(demo, f"{'cold' if cold else 'warm'}-{index}")
        if cold:
            reset_cache()
        meter.reset()
        started = time.thread_time()
        result = request_authorizer(event, None)
        elapsed = time.thread_time() - started
        assert _allowed(result), result
        own.append(elapsed - meter.seconds)
        dynamodb_requests.append(sum(1 for r in meter.requests if r.startswith("dynamodb.")))
        secret = demo["secret"].encode()
        # The same HMAC once, where the authorizer runs: between calls that do network I/O,
        # so it meets the same cold CPU caches.
        started = time.thread_time()
        hmac.new(secret, text.encode("utf-8"), hashlib.sha256).digest()
        floor_between.append(time.thread_time() - started)
        started = time.thread_time()
        for _ in range(HMAC_REPEATS):
            hmac.new(secret, text.encode("utf-8"), hashlib.sha256).digest()
        floor.append((time.thread_time() - started) / HMAC_REPEATS)
    own_median = statistics.median(own)
    floor_median = statistics.median(floor)
    between_median = statistics.median(floor_between)
    return {
        "requests": max(dynamodb_requests),
        "own_us": own_median * 1e6,
        "hmac_us": floor_median * 1e6,
        "ratio": own_median / floor_median,
        "hmac_between_us": between_median * 1e6,
        "ratio_between": own_median / between_median,
    }


def measure_limits(demo: dict[str, str], calls: int) -> dict[str, float]:
    """DynamoDB requests per warm call with limits on the authorization: allowed, throttled."""
    from app import request_authorizer
    from chalicelib.domain.admin import AuthorizationChanges
    from chalicelib.domain.limits import limits_from
    from chalicelib.domain.principal import Principal
    from chalicelib.services import apis
    from chalicelib.storage import clients
    from chalicelib.storage.calls import counting
    from chalicelib.storage.credentials import reset_cache
    from chalicelib.storage.models import AuthorizationModel

    [grant] = AuthorizationModel.query(demo["app_id"])
    root = Principal("default", "bench", True)
    limits = {"per_second": 10**6, "per_minute": 10**6, "per_day": 10**6}
    apis.update_authorization(
        root, grant.authorization_id, AuthorizationChanges(limits=limits_from(limits))
    )
    reset_cache()
    meter = AwsMeter()
    meter.attach(clients.dynamodb())
    request_authorizer(signed_event(demo, "limits-warmup")[0], None)
    allowed: list[int] = []
    for index in range(calls):
        meter.reset()
        result = request_authorizer(signed_event(demo, f"limited-{index}")[0], None)
        assert _allowed(result), result
        allowed.append(sum(1 for r in meter.requests if r.startswith("dynamodb.")))
    # A quota already used up: every further call is refused.
    apis.update_authorization(
        root, grant.authorization_id, AuthorizationChanges(limits=limits_from({"per_day": 1}))
    )
    reset_cache()
    request_authorizer(signed_event(demo, "quota-warmup")[0], None)
    counting._full.clear()  # the first refusal in the window, then the next
    throttled: list[int] = []
    for index in range(max(5, calls // 10)):
        meter.reset()
        result = request_authorizer(signed_event(demo, f"over-{index}")[0], None)
        assert result["context"].get("error_code") == "QUOTA_EXHAUSTED", result
        throttled.append(sum(1 for r in meter.requests if r.startswith("dynamodb.")))
    apis.update_authorization(root, grant.authorization_id, AuthorizationChanges(limits=None))
    reset_cache()
    return {"allowed": max(allowed), "refused_first": throttled[0], "refused": max(throttled[1:])}


def measure_back_to_back(demo: dict[str, str], calls: int) -> dict[str, float]:
    """Own CPU per warm call with DynamoDB answered in-process by botocore's Stubber.

    Only to see our code with hot CPU caches: between real calls the network stack evicts
    them and the same code costs several times more (see the figures above).
    """
    from botocore.stub import Stubber

    from app import request_authorizer
    from chalicelib.storage import clients

    events = [signed_event(demo, f"hot-{index}") for index in range(calls)]
    request_authorizer(events[0][0], None)  # fills the cache
    meter = AwsMeter()
    meter.attach(clients.dynamodb())
    own: list[float] = []
    total: list[float] = []
    with Stubber(clients.dynamodb()) as stubber:
        for event, _ in events[1:]:
            stubber.add_response("put_item", {})
            meter.reset()
            started = time.thread_time()
            request_authorizer(event, None)
            total.append(time.thread_time() - started)
            own.append(total[-1] - meter.seconds)
    text = events[-1][1]
    secret = demo["secret"].encode()
    started = time.thread_time()
    for _ in range(HMAC_REPEATS):
        hmac.new(secret, text.encode("utf-8"), hashlib.sha256).digest()
    floor = (time.thread_time() - started) / HMAC_REPEATS
    own_median = statistics.median(own)
    return {
        "own_us": own_median * 1e6,
        "hmac_us": floor * 1e6,
        "ratio": own_median / floor,
        # What Lambda bills: ours and botocore's building, signing and parsing of the PutItem.
        "total_us": statistics.median(total) * 1e6,
    }


def _import_once(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output.strip().splitlines()[-1])


def import_seconds(statements: list[str], runs: int) -> list[float]:
    """Best time of each import in fresh processes, run interleaved so load hits both alike.

    Our modules are byte-compiled first, as botocore's are by pip and as the Lambda zip is by
    ``make package``: otherwise the comparison would bill compiling our source to the import.
    """
    compileall.compile_dir(ROOT / "chalicelib", quiet=1)
    compileall.compile_file(ROOT / "app.py", quiet=1)
    best = [float("inf")] * len(statements)
    for _ in range(runs):
        for index, statement in enumerate(statements):
            best[index] = min(best[index], _import_once(statement))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the REQUEST authorizer.")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--import-runs", type=int, default=25)
    parser.add_argument("--gateway", choices=("rest", "http"), default="rest")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    _environment()
    GATEWAY["type"] = args.gateway
    failures = []
    # The authorizer writes a decision/EMF line per call (chalicelib/http/telemetry.py): measured,
    # but not shown.
    with (
        open(os.devnull, "w") as devnull,
        redirect_stdout(devnull),
        moto_with_demo(gateway_type=args.gateway) as demo,
    ):
        warm = measure_calls(demo, args.calls, cold=False)
        cold = measure_calls(demo, max(20, args.calls // 5), cold=True)
        hot = measure_back_to_back(demo, args.calls)
        limited = measure_limits(demo, max(20, args.calls // 5))
    print(
        f"authorizer ({args.gateway} events), {args.calls} warm calls and"
        f" {max(20, args.calls // 5)} cold calls (moto)"
    )
    for name, figures in (("warm", warm), ("cold", cold)):
        budget = BUDGETS[f"{name}_requests"]
        print(
            f"  {name}: DynamoDB requests per allowed call {figures['requests']:.0f}"
            f" (budget {budget}); own time {figures['own_us']:.0f} us"
            f" = {figures['ratio']:.1f}x one HMAC-SHA256 back to back ({figures['hmac_us']:.2f} us)"
            f" = {figures['ratio_between']:.1f}x one HMAC-SHA256 run between calls like the"
            f" authorizer ({figures['hmac_between_us']:.1f} us)"
        )
        if figures["requests"] > budget:
            failures.append(f"{name} requests")
    print(
        f"  warm, back to back (DynamoDB answered by botocore's Stubber, CPU caches hot): own time"
        f" {hot['own_us']:.0f} us"
        f" = {hot['ratio']:.1f}x one HMAC-SHA256 ({hot['hmac_us']:.2f} us); with botocore's"
        f" work on the PutItem (stubbed: no network) {hot['total_us']:.0f} us of CPU a call"
    )
    print(
        f"  with limits on the authorization (second, minute, day), warm: DynamoDB requests per"
        f" allowed call {limited['allowed']:.0f} (budget {BUDGETS['warm_requests']}), per call"
        f" refused over a quota {limited['refused_first']:.0f} for the first in its window (the"
        f" refused counter update, then the record) and {limited['refused']:.0f} for the next"
        " (the container knows the window full: the record)"
    )
    if limited["allowed"] > BUDGETS["warm_requests"]:
        failures.append("warm requests with limits")
    if warm["ratio"] > BUDGETS["own_time_ratio"]:
        failures.append("warm own time")
    print(
        f"  budget: warm own time within {BUDGETS['own_time_ratio']:.0f}x the HMAC"
        " (checked against the back-to-back HMAC, the stricter floor)"
    )
    app_import, botocore_import = import_seconds(
        ["import app", "import botocore.session"], args.import_runs
    )
    ratio = app_import / botocore_import
    print(
        f"cold import (best of {args.import_runs} fresh processes): app {app_import * 1000:.0f} ms,"
        f" botocore.session {botocore_import * 1000:.0f} ms, ratio {ratio:.2f}"
        f" (budget {BUDGETS['import_ratio']})"
    )
    if ratio > BUDGETS["import_ratio"]:
        failures.append("import ratio")
    print("within budget" if not failures else "OVER BUDGET: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
