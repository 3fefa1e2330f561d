"""Storage faults (issue 10, finding 7): DynamoDB failing behind a proxy on loopback.

The local run talks to a moto server through ``devtools.fault_proxy``. While it fails, every
caller gets an answer (as API Gateway would give it): a signed call is refused with a 500 and
never allowed, an admin call whose token cannot be read gets API Gateway's 500, and an admin
write that cannot be stored a 503 that leaves nothing half-written and nothing audited. Once
storage recovers, the same requests go through.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from devtools.fault_proxy import WRITES, FaultProxy, Mode
from tests.support.local_server import LocalRun, TestApp, free_port, running_local
from tests.support.paths import ROOT

pytestmark = pytest.mark.e2e
MODES: tuple[Mode, ...] = ("error", "throttle", "html", "close")
# The clients retry (botocore standard mode: 3 attempts, PynamoDB 4) with backoff of at most
# 1 + 2 + 4 s; an answer must still come well within API Gateway's 29 s.
ANSWER_WITHIN = 20.0


@dataclass
class FaultWorld:
    local: LocalRun
    proxy: FaultProxy
    app: TestApp


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("moto server did not start on loopback within 30 s")


@pytest.fixture(scope="module")
def world() -> Iterator[FaultWorld]:
    moto, moto_url = _start_moto()
    try:
        with FaultProxy(moto_url) as proxy, running_local(DYNAMODB_ENDPOINT=proxy.url) as local:
            yield FaultWorld(local, proxy, local.new_app())
    finally:
        moto.terminate()
        moto.wait(timeout=10)


def signed_hello(world: FaultWorld) -> tuple[int, str | None]:
    response = world.local.client(world.app).request("GET", "/demo/hello")
    return response.status, response.get_header("X-Ca-Error-Code")


def at_once(*calls: Callable[[], Any]) -> list[tuple[Any, float]]:
    """Run the calls side by side (each waits out the client's retries); results and times."""

    def timed(call: Callable[[], Any]) -> tuple[Any, float]:
        started = time.monotonic()
        return call(), time.monotonic() - started

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(timed, calls))


@pytest.mark.parametrize("mode", MODES)
def test_every_caller_gets_an_answer_while_storage_fails_and_gets_through_after(
    world: FaultWorld, mode: Mode
) -> None:
    local, proxy = world.local, world.proxy
    proxy.fail(mode, seconds=60)
    try:
        (admin, admin_took), (signed, signed_took) = at_once(
            lambda: local.get("/v1/apps"), lambda: signed_hello(world)
        )
        assert admin.status == 500, admin
        assert admin.header("x-amzn-ErrorType") == "AuthorizerConfigurationException"
        assert signed == (500, None)
        assert max(admin_took, signed_took) < ANSWER_WITHIN
        assert proxy.counts.faulted.get(mode, 0) >= 2
    finally:
        proxy.recover()
    assert local.get("/v1/apps").status == 200
    assert signed_hello(world) == (200, None)


@pytest.mark.parametrize("mode", MODES)
def test_a_write_that_cannot_be_stored_is_a_503_with_nothing_half_written(
    world: FaultWorld, mode: Mode
) -> None:
    local, proxy = world.local, world.proxy
    name = f"fault-{uuid.uuid4().hex[:8]}"
    proxy.fail(mode, seconds=60, operations=WRITES)
    try:
        (created, _), (signed, _) = at_once(
            lambda: local.post("/v1/apps", {"name": name}),
            lambda: signed_hello(world),  # the nonce and record cannot be written
        )
        assert created.status == 503, created
        assert created.body["code"] == "ServiceUnavailable" and created.header("Retry-After")
        assert signed == (500, None)
    finally:
        proxy.recover()
    assert local.get(f"/v1/apps?name={name}").body["items"] == []
    events = local.get("/v1/audit?action=app.create&limit=200").body["items"]
    assert not [e for e in events if e["changes"].get("name") == name]
    assert local.ok(local.post("/v1/apps", {"name": name}), 201)["name"] == name
    assert signed_hello(world) == (200, None)
