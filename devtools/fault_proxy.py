"""Dev-only: an HTTP proxy on 127.0.0.1 that can make a DynamoDB endpoint fail on demand.

Put it between the app and a DynamoDB (``DYNAMODB_ENDPOINT=proxy.url``). It forwards each
request as it is, until ``fail(...)`` tells it to answer the next requests itself: DynamoDB's
500 ``InternalServerError``, a 400 ``ThrottlingException``, a 500 whose body is an HTML page
(not DynamoDB's JSON error: what moto answers when it fails, or a load balancer in front of an
endpoint), or a connection closed without an answer. A fault is bounded by a count of
requests and a deadline, and may be limited to some operations (``X-Amz-Target``, e.g. only
writes). It works per request, not per connection, so clients that keep connections alive see
the fault too.
"""

from __future__ import annotations

import http.client
import json
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

Mode = Literal["error", "throttle", "html", "close"]
WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
)
_JSON = "application/x-amz-json-1.0"


def _dynamodb_error(code: str, message: str) -> bytes:
    return json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
    ).encode()


# mode -> (status, Content-Type, body)
_ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "error": (
        500,
        _JSON,
        _dynamodb_error("InternalServerError", "injected: internal server error"),
    ),
    "throttle": (
        400,
        _JSON,
        _dynamodb_error("ThrottlingException", "injected: rate of requests exceeds the allowed"),
    ),
    "html": (
        500,
        "text/html; charset=utf-8",
        b"<!doctype html><html><head><title>500 Internal Server Error</title></head>"
        b"<body><h1>Internal Server Error</h1><p>injected</p></body></html>",
    ),
}
MAX_HEAD = 64 * 1024


@dataclass
class Fault:
    mode: Mode
    remaining: int
    deadline: float
    operations: frozenset[str] | None


@dataclass
class Counts:
    forwarded: int = 0
    faulted: dict[str, int] = field(default_factory=dict)


class FaultProxy:
    """``with FaultProxy(upstream) as proxy:`` serves on ``proxy.url`` until the block ends."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("the fault proxy only talks to loopback")
        self.upstream = (parts.hostname, parts.port or 80)
        self.counts = Counts()
        self._fault: Fault | None = None
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._serve_connection(self.connection, self.rfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self,
        mode: Mode,
        *,
        count: int = 1000,
        seconds: float = 30.0,
        operations: frozenset[str] | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``mode``, for at most ``seconds``."""
        with self._lock:
            self._fault = Fault(mode, count, time.monotonic() + seconds, operations)

    def recover(self) -> None:
        with self._lock:
            self._fault = None

    def _take_fault(self, operation: str) -> Mode | None:
        with self._lock:
            fault = self._fault
            if fault is None or fault.remaining <= 0 or time.monotonic() > fault.deadline:
                self._fault = None
                return None
            if fault.operations is not None and operation not in fault.operations:
                return None
            fault.remaining -= 1
            self.counts.faulted[fault.mode] = self.counts.faulted.get(fault.mode, 0) + 1
            return fault.mode

    def _serve_connection(self, connection: socket.socket, reader: object) -> None:
        rfile = reader  # a buffered reader over the client's socket
        upstream: http.client.HTTPConnection | None = None
        try:
            while True:
                request = _read_request(rfile)
                if request is None:
                    return
                method, target, headers, body = request
                operation = headers.get("x-amz-target", "").rpartition(".")[2]
                mode = self._take_fault(operation)
                if mode == "close":
                    return
                if mode is not None:
                    status, content_type, payload = _ANSWERS[mode]
                    connection.sendall(_response(status, payload, [("Content-Type", content_type)]))
                    continue
                if upstream is None:
                    upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
                upstream.request(method, target, body=body, headers=headers)
                reply = upstream.getresponse()
                payload = reply.read()
                with self._lock:
                    self.counts.forwarded += 1
                connection.sendall(_response(reply.status, payload, reply.getheaders()))
        except (OSError, http.client.HTTPException):
            return
        finally:
            if upstream is not None:
                upstream.close()


def _read_request(rfile: object) -> tuple[str, str, dict[str, str], bytes] | None:
    readline = rfile.readline  # type: ignore[attr-defined]
    line = readline(MAX_HEAD)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = readline(MAX_HEAD)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = rfile.read(length) if length else b""  # type: ignore[attr-defined]
    headers.pop("connection", None)
    return method, target, headers, body


def _response(
    status: int, payload: bytes, headers: list[tuple[str, str]] | None = None
) -> bytes:
    kept = [
        (name, value)
        for name, value in headers or [("Content-Type", _JSON)]
        if name.lower() not in ("content-length", "transfer-encoding", "connection")
    ]
    head = [f"HTTP/1.1 {status} {http.client.responses.get(status, '')}"]
    head += [f"{name}: {value}" for name, value in kept]
    head += [f"Content-Length: {len(payload)}", "Connection: keep-alive", "", ""]
    return "\r\n".join(head).encode("latin-1") + payload
