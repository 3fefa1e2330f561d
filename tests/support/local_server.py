"""The real local run (``python -m devtools.local``) as a subprocess, and what talks to it.

No AWS anywhere: fake credentials, no profile, no instance metadata, no ``DYNAMODB_ENDPOINT``
(the run starts its own moto server on loopback). Every call goes to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import pytest
from aliyun_api_gateway import ApiGatewayClient, ApiGatewayResponse, SignedRequest
from aliyun_api_gateway.transport import HttpTransport

from devtools.offline_aws import use_offline_aws
from tests.support.paths import ROOT

ROOT_TOKEN = "e2e-root-token-" + "0123456789abcdef"
START_TIMEOUT = 60.0
STOP_GRACE = 3.0  # SIGTERM, then SIGKILL: its interpreter takes ~7 s to finalize
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 15.0

READY_LINE = re.compile(r"^apiauth ready: (http://127\.0\.0\.1:\d+)$")
TOKEN_LINE = re.compile(r"^admin token \(root, account default\): (\S+)$")
DEMO_LINE = re.compile(r"^demo app: app_id=(\S+) access_key=(\S+) secret=(\S+)$")

T = TypeVar("T")


@dataclass(frozen=True)
class Exchange:
    """One answer the suite received, kept for the check that no secret leaks (test_logs)."""

    method: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


# Every answer of every local run in this session, and every run (for its output).
EXCHANGES: list[Exchange] = []
RUNS: list[LocalRun] = []


def record_exchange(method: str, url: str, status: int, headers: Any, body: bytes) -> None:
    path = "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
    EXCHANGES.append(Exchange(method, path, status, tuple(headers), body))


class RecordingTransport(HttpTransport):
    """The real client's transport, keeping each answer."""

    def send(self, request: SignedRequest, **kwargs: Any) -> ApiGatewayResponse:
        response = super().send(request, **kwargs)
        record_exchange(
            request.method, request.url, response.status, response.headers, response.body
        )
        return response


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass(frozen=True)
class TestApp:
    """A fresh app of the account ``default`` with its default key pair."""

    __test__ = False  # not a test class, whatever its name says

    app_id: str
    access_key: str
    secret: str = field(repr=False)
    created: dict[str, Any] = field(repr=False)


@dataclass
class LocalRun:
    base_url: str
    port: int  # the one asked for
    token: str
    demo_app_id: str
    demo_access_key: str
    demo_secret: str = field(repr=False)
    output: list[str] = field(default_factory=list, repr=False)
    gateway: str = "rest"  # APIAUTH_LOCAL_GATEWAY: "http" presents it as an HTTP API

    # -- admin API -----------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        auth: bool = True,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        headers = {"Accept": "application/json", **(headers or {})}
        if auth and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {token or self.token}"
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode("utf-8")
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                status, raw, reply_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, reply_headers = error.code, error.read(), error.headers
        record_exchange(method, path, status, reply_headers.items(), raw)
        parsed = json.loads(raw) if raw else None
        return Reply(status, parsed, dict(reply_headers.items()))

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.call("POST", path, body if body is not None else {}, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> Reply:
        return self.call("PATCH", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> Reply:
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.call("DELETE", path, **kwargs)

    def ok(self, reply: Reply, status: int = 200) -> Any:
        assert reply.status == status, (reply.status, reply.body)
        return reply.body

    # -- fixtures of the signed world ----------------------------------------------------

    def new_app(
        self,
        *,
        group: str | None = "demo",
        stages: list[str] | None = None,
        expires_at: str | None = None,
        **fields: Any,
    ) -> TestApp:
        """A fresh app (authorized for ``group`` unless None), so tests never share state."""
        fields.setdefault("name", f"e2e-{uuid.uuid4().hex[:8]}")
        created = self.ok(self.post("/v1/apps", fields), 201)
        app = TestApp(
            created["app_id"],
            created["keys"][0]["access_key"],
            created["keys"][0]["secret"],
            created,
        )
        if group is not None:
            grant: dict[str, Any] = {"app_id": app.app_id, "group": group}
            if stages is not None:
                grant["stages"] = stages
            if expires_at is not None:
                grant["expires_at"] = expires_at
            self.ok(self.post("/v1/authorizations", grant), 201)
        return app

    def client(self, app: TestApp, **kwargs: Any) -> ApiGatewayClient:
        kwargs.setdefault("transport", RecordingTransport())
        return ApiGatewayClient(
            self.base_url, app.access_key, app.secret, timeout=HTTP_TIMEOUT, **kwargs
        )

    def api_id(self, name: str) -> str:
        items = self.ok(self.get("/v1/apis?limit=200"))["items"]
        return str(next(item["api_id"] for item in items if item["name"] == name))


def send(
    signed: SignedRequest,
    *,
    headers: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    body: bytes | None = None,
) -> ApiGatewayResponse:
    """Send a signed request as is, or tampered with after signing (headers, body)."""
    merged = {k: v for k, v in signed.headers.items() if k.lower() not in {d.lower() for d in drop}}
    for name, value in (headers or {}).items():
        for existing in [k for k in merged if k.lower() == name.lower()]:
            del merged[existing]
        merged[name] = value
    tampered = replace(signed, headers=merged, body=signed.body if body is None else body)
    return RecordingTransport().send(tampered, timeout=HTTP_TIMEOUT, ssl_context=None)


def wait_for(probe: Callable[[], T | None], timeout: float, interval: float = 0.1) -> T | None:
    """Poll ``probe`` until it returns something truthy, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    chosen = {
        "APIAUTH_ROOT_TOKEN": ROOT_TOKEN,
        "APIAUTH_CACHE_TTL_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
        **overrides,  # e.g. another root token, for a run that stands for a restart
    }
    use_offline_aws(env, **chosen)
    return env


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def running_local(port: int | None = None, **environment: str) -> Iterator[LocalRun]:
    """Start ``python -m devtools.local`` on a free loopback port (or ``port``: the same one
    again is a restart); stop it on exit.

    ``environment`` adds to the offline one (e.g. ``DYNAMODB_ENDPOINT`` on loopback).
    """
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local", "--port", str(port)],
        cwd=ROOT,
        env=_environment(**environment),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    lines: list[str] = []
    started = threading.Event()

    def drain() -> None:
        # Keeps reading until the process ends, so the pipe never fills up and blocks it.
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if DEMO_LINE.match(lines[-1]):
                started.set()
        started.set()

    reader = threading.Thread(target=drain, name="local-run-output", daemon=True)
    reader.start()
    try:
        started.wait(START_TIMEOUT)
        matched = [
            next((m for m in map(pattern.match, list(lines)) if m), None)
            for pattern in (READY_LINE, TOKEN_LINE, DEMO_LINE)
        ]
        if process.poll() is not None or not all(matched):
            captured = "\n".join(lines)
            pytest.fail(
                f"the local run did not get ready within {START_TIMEOUT:.0f} s "
                f"(exit code {process.poll()}); output:\n{captured}"
            )
        ready, token, demo = matched
        assert ready is not None and token is not None and demo is not None
        run = LocalRun(
            base_url=ready.group(1),
            port=port,
            token=token.group(1),
            demo_app_id=demo.group(1),
            demo_access_key=demo.group(2),
            demo_secret=demo.group(3),
            output=lines,
            gateway=environment.get("APIAUTH_LOCAL_GATEWAY") or "rest",
        )
        RUNS.append(run)
        yield run
    finally:
        _stop(process)
        reader.join(timeout=STOP_TIMEOUT)


# Figures the fuzzers report (operations, requests, 5xx, ...), shown after the run.
FIGURES: list[str] = []
