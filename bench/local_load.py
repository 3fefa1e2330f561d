"""The local run under mixed concurrent load (CONTRACT.md 1, "under load"; issue 17).

    python -m bench.local_load [--seconds 90] [--check]

Starts the local run as ``make run`` does (``python -m devtools.local`` with ``PORT`` and
``APIAUTH_ROOT_TOKEN``, the caller's environment otherwise), sets up three apps over the admin
API (A authorized for the demo APIs, B with ``per_second: 5``, C of another account), then for
``--seconds`` drives: 6 threads of signed calls (``/demo/hello``, ``/demo/echo`` with a JSON body
and Content-MD5), 2 threads replaying exact copies of allowed calls, 1 thread of admin writes
(key pairs, tags, tokens) and 1 of admin reads (records, stats, apps). Every call is logged
client-side with its ``X-Ca-Request-Id`` and outcome, then compared with what the service kept:
one record per decision, ``call_count`` and stats equal to the records (after the stream
aggregator caught up), replays refused ``NONCE_USED``, the limit exact, no 5xx, no dropped
connection, memory growth. A second phase has 8 writers create key pairs until the account's
500 are reached. Prints a table and a JSON line; ``--check`` exits 1 if an invariant fails
(times are reported, not checked). The short version runs in tests/e2e/test_local_load.py.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from devtools.sign_call import signed_headers

ROOT = Path(__file__).resolve().parents[1]
READY_LINE = re.compile(r"^apiauth ready: (http://127\.0\.0\.1:\d+)$")
DEMO_LINE = re.compile(r"^demo app: app_id=(\S+) access_key=(\S+) secret=(\S+)$")
# The environment a user's shell may carry that would point the run elsewhere or change it.
NOT_INHERITED = ("DYNAMODB_ENDPOINT", "KMS_ENDPOINT", "AWS_ENDPOINT_URL")

START_TIMEOUT = 120.0
HTTP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
MAX_CALLS_PER_THREAD = 100_000
MAX_KEY_ATTEMPTS = 1_000
KEY_PHASE_TIMEOUT = 600.0
MAX_PAGES = 2_000

MAX_KEYS_PER_ACCOUNT = 500  # CONTRACT.md 2
PER_SECOND = 5  # app B's limit
MEMORY_BUDGET_MB = 300.0  # DESIGN.md: growth of the local run over 90 s


# -- the local run as a subprocess -------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def user_environment(**settings: str) -> dict[str, str]:
    """The caller's environment, as ``make run`` would inherit it, minus what would point the
    run at another DynamoDB or change its settings; then ``settings``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in NOT_INHERITED
        and not name.startswith("AWS_ENDPOINT_URL_")
        and not name.startswith("APIAUTH_")
    }
    env.update(settings)
    return env


@dataclass
class LocalProcess:
    """``python -m devtools.local`` started as ``make run`` starts it."""

    process: subprocess.Popen[str]
    base_url: str
    token: str
    output: list[str]
    demo: Caller | None = None  # the demo app the start-up output names

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float | None:
        """Resident memory of the local run (VmRSS), or None once it is gone."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) / 1024 if match else None

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> float | None:
        """Send ``signum``; the seconds until the process ended, None if it had to be killed."""
        if self.process.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
            return None
        return time.monotonic() - started


@contextmanager
def local_run(
    port: int | None = None, token: str | None = None, command: Sequence[str] = ()
) -> Iterator[LocalProcess]:
    """Start the local run (``python -m devtools.local``, or ``command``: ``make run``), wait
    for its ``apiauth ready:`` line, stop it (SIGTERM) on exit and leave nothing it started."""
    root = token or "load-root-" + secrets.token_hex(16)
    env = user_environment(PORT=str(port or free_port()), APIAUTH_ROOT_TOKEN=root)
    process = subprocess.Popen(
        list(command) or [sys.executable, "-m", "devtools.local"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,  # a group of its own: whatever it started is ended with it
    )
    lines: list[str] = []
    ready: list[str] = []
    demo: list[Caller] = []
    seen = threading.Event()

    def drain() -> None:
        # Reads until the process ends, so a full pipe never blocks it.
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            ready.extend(m.group(1) for m in [READY_LINE.match(lines[-1])] if m)
            found = DEMO_LINE.match(lines[-1])
            if found:  # the start-up output's last line that matters
                app_id, access_key, secret = found.groups()
                demo.append(Caller("demo", app_id, access_key, secret, root))
                seen.set()
        seen.set()

    reader = threading.Thread(target=drain, name="local-run-output", daemon=True)
    reader.start()
    run = LocalProcess(process, "", root, lines)
    try:
        seen.wait(START_TIMEOUT)
        if not ready or not demo:
            raise RuntimeError(
                f"the local run was not ready within {START_TIMEOUT:.0f} s "
                f"(exit code {process.poll()}):\n" + "\n".join(lines[-40:])
            )
        run.base_url, run.demo = ready[0], demo[0]
        yield run
    finally:
        run.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything of its group still running
        reader.join(timeout=STOP_TIMEOUT)


# -- HTTP, and the client-side log ---------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lowercased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def send(
    base_url: str, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> Answer:
    """One request on its own connection; raises on a refused, reset or timed-out one."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=HTTP_TIMEOUT)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, raw)
    finally:
        connection.close()


@dataclass(frozen=True)
class Call:
    """One call the benchmark made, as its client saw it."""

    kind: str  # signed, replay, admin-write, admin-read, key-phase
    label: str  # the app (A, B, C) or the admin operation
    started: float  # monotonic
    seconds: float
    status: int = 0  # 0: no answer (see error)
    request_id: str = ""
    error_code: str = ""
    error: str = ""

    @property
    def result(self) -> str:
        """What the call's record must say: success or the verdict code."""
        return "success" if self.status == 200 else self.error_code


class CallLog:
    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def calls(self, *kinds: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if not kinds or c.kind in kinds]


def timed_send(
    log: CallLog,
    kind: str,
    label: str,
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
) -> Answer | None:
    started = time.monotonic()
    try:
        answer = send(base_url, method, path, headers, body)
    except (OSError, http.client.HTTPException) as error:
        log.add(Call(kind, label, started, time.monotonic() - started, error=repr(error)))
        return None
    log.add(
        Call(
            kind,
            label,
            started,
            time.monotonic() - started,
            answer.status,
            answer.headers.get("x-ca-request-id", ""),
            answer.headers.get("x-ca-error-code", ""),
        )
    )
    return answer


@dataclass
class Admin:
    base_url: str
    token: str
    log: CallLog

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        kind: str = "admin-setup",
        label: str = "",
    ) -> Answer:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token or self.token}"}
        data = b""
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        answer = timed_send(
            self.log, kind, label or f"{method} {path.split('?')[0]}", self.base_url,
            method, path, headers, data,
        )  # fmt: skip
        if answer is None:
            return Answer(0, {}, b"")
        return answer

    def expect(self, answer: Answer, status: int) -> Any:
        if answer.status != status:
            raise RuntimeError(f"expected {status}, got {answer.status}: {answer.body[:300]!r}")
        return answer.json()

    def pages(self, path: str, token: str | None = None, **query: str) -> list[dict[str, Any]]:
        """Every item of a list, following ``next_cursor``."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = {**query, "limit": "200", **({"cursor": cursor} if cursor else {})}
            body = self.expect(
                self.call("GET", f"{path}?{urlencode(params)}", token=token, kind="check"), 200
            )
            items.extend(body["items"])
            cursor = body.get("next_cursor")
            if not cursor:
                return items
        raise RuntimeError(f"{path}: more than {MAX_PAGES} pages")


# -- the world the load runs in -----------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    label: str
    app_id: str
    access_key: str
    secret: str = field(repr=False)
    token: str = field(repr=False)  # an admin token of the app's account


@dataclass(frozen=True)
class World:
    callers: tuple[Caller, ...]
    scratch_app_id: str  # where the admin writes add and delete key pairs
    other_token: str = field(repr=False)

    def caller(self, label: str) -> Caller:
        return next(c for c in self.callers if c.label == label)


def set_up(admin: Admin) -> World:
    """Apps A (demo APIs), B (demo APIs, ``per_second: 5``), C (another account, authorized by
    ``default`` for its demo APIs) and a scratch app for the admin writes."""
    tag = uuid.uuid4().hex[:6]

    def new_app(name: str, token: str | None = None) -> dict[str, Any]:
        body = {"name": f"load-{name}-{tag}"}
        return dict(admin.expect(admin.call("POST", "/v1/apps", body, token=token), 201))

    def grant(app_id: str, **extra: Any) -> None:
        body = {"app_id": app_id, "group": "demo", **extra}
        admin.expect(admin.call("POST", "/v1/authorizations", body), 201)

    other = admin.expect(admin.call("POST", "/v1/accounts", {"name": f"load-other-{tag}"}), 201)
    a, b = new_app("a"), new_app("b")
    c = new_app("c", token=other["token"])
    grant(a["app_id"])
    grant(b["app_id"], limits={"per_second": PER_SECOND})
    grant(c["app_id"])
    scratch = new_app("scratch")

    def caller(label: str, app: dict[str, Any], token: str) -> Caller:
        key = app["keys"][0]
        return Caller(label, app["app_id"], key["access_key"], key["secret"], token)

    return World(
        (
            caller("A", a, admin.token),
            caller("B", b, admin.token),
            caller("C", c, other["token"]),
        ),
        scratch["app_id"],
        other["token"],
    )


# -- the load ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A signed call's exact bytes, to send again as a replay."""

    label: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def prepare(base_url: str, caller: Caller, number: int) -> Prepared:
    if number % 2:
        body = json.dumps({"n": number, "from": caller.label, "pad": "x" * 64}).encode()
        method, path = "POST", "/demo/echo"
    else:
        body, method, path = b"", "GET", "/demo/hello"
    headers = signed_headers(method, base_url + path, caller.access_key, caller.secret, body)
    return Prepared(caller.label, method, path, headers, body)


@dataclass(frozen=True)
class Mix:
    signers: tuple[str, ...] = ("A", "A", "B", "B", "C", "C")  # one thread each
    replayers: int = 2
    admin_writers: int = 1
    admin_readers: int = 1


def drive(
    base_url: str, admin: Admin, world: World, seconds: float, log: CallLog, mix: Mix
) -> float:
    """Run the mix for ``seconds``; the seconds it took, every thread joined."""
    deadline = time.monotonic() + seconds
    allowed: queue.Queue[Prepared] = queue.Queue()

    def signer(label: str) -> None:
        caller = world.caller(label)
        for number in range(MAX_CALLS_PER_THREAD):
            if time.monotonic() >= deadline:
                return
            prepared = prepare(base_url, caller, number)
            answer = timed_send(
                log, "signed", label, base_url,
                prepared.method, prepared.path, prepared.headers, prepared.body,
            )  # fmt: skip
            if answer is not None and answer.status == 200:
                allowed.put(prepared)

    def replayer() -> None:
        for _ in range(MAX_CALLS_PER_THREAD):
            if time.monotonic() >= deadline:
                return
            try:
                prepared = allowed.get(timeout=0.2)
            except queue.Empty:
                continue
            timed_send(
                log, "replay", prepared.label, base_url,
                prepared.method, prepared.path, prepared.headers, prepared.body,
            )  # fmt: skip

    def admin_writer() -> None:
        app_id = world.scratch_app_id
        tagged = world.caller("A").app_id
        for number in range(MAX_CALLS_PER_THREAD):
            if time.monotonic() >= deadline:
                return
            step = number % 3
            if step == 0:
                added = admin.call("POST", f"/v1/apps/{app_id}/keys", {}, kind="admin-write")
                if added.status == 201:
                    key = added.json()["access_key"]
                    admin.call("PATCH", f"/v1/keys/{key}", {"enabled": False}, kind="admin-write")
                    admin.call("DELETE", f"/v1/keys/{key}", kind="admin-write")
            elif step == 1:
                tags = {"load": str(number), "team": "bench"}
                admin.call("PATCH", f"/v1/apps/{tagged}", {"tags": tags}, kind="admin-write")
            else:
                name = {"name": f"load-{number}"}
                made = admin.call("POST", "/v1/tokens", name, kind="admin-write")
                if made.status == 201:
                    token_id = made.json()["token_id"]
                    admin.call("DELETE", f"/v1/tokens/{token_id}", kind="admin-write")

    def admin_reader() -> None:
        a = world.caller("A").app_id
        paths = (
            f"/v1/call-records?app_id={a}&limit=50",
            "/v1/call-records/stats?bucket=minute",
            "/v1/apps?limit=50",
            f"/v1/call-records?app_id={world.caller('B').app_id}&result=success&limit=20",
            f"/v1/apps/{a}",
        )
        for number in range(MAX_CALLS_PER_THREAD):
            if time.monotonic() >= deadline:
                return
            path = paths[number % len(paths)]
            admin.call("GET", path, kind="admin-read", label="GET " + path.split("?")[0])

    workers: list[Callable[[], None]] = [partial(signer, label) for label in mix.signers]
    workers += [replayer] * mix.replayers
    workers += [admin_writer] * mix.admin_writers + [admin_reader] * mix.admin_readers
    threads = [
        threading.Thread(target=work, name=f"load-{number}", daemon=True)
        for number, work in enumerate(workers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * HTTP_TIMEOUT + 5)
    return time.monotonic() - started


class MemorySampler:
    """Samples the local run's RSS every ``interval`` seconds while it runs."""

    def __init__(self, run: LocalProcess, interval: float = 0.5) -> None:
        self.run = run
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            rss = self.run.rss_mb()
            if rss is None:
                return
            self.peak_mb = max(self.peak_mb, rss)

    def now(self) -> float:
        rss = self.run.rss_mb() or 0.0
        self.peak_mb = max(self.peak_mb, rss)
        return rss

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# -- what the service kept, against the client's log ------------------------------------------


@dataclass
class Kept:
    """The service's view after the load: records per app, counts and stats."""

    records: dict[str, list[dict[str, Any]]]  # by app label, as the default account lists them
    own_records: list[dict[str, Any]]  # app C's, as its own account lists them
    app_counts: dict[str, int]
    key_counts: dict[str, int]
    stats: dict[str, dict[str, int]]  # by app label: result -> count, the default account's
    own_stats: dict[str, int]  # app C's, its own account's


def read_kept(admin: Admin, world: World) -> Kept:
    records: dict[str, list[dict[str, Any]]] = {}
    app_counts: dict[str, int] = {}
    key_counts: dict[str, int] = {}
    stats: dict[str, dict[str, int]] = {}
    for caller in world.callers:
        records[caller.label] = admin.pages("/v1/call-records", app_id=caller.app_id)
        app = admin.call("GET", f"/v1/apps/{caller.app_id}", token=caller.token, kind="check")
        app_counts[caller.label] = int(admin.expect(app, 200)["call_count"])
        key = admin.call("GET", f"/v1/keys/{caller.access_key}", token=caller.token, kind="check")
        key_counts[caller.label] = int(admin.expect(key, 200)["call_count"])
        stats[caller.label] = read_stats(admin, caller.app_id)
    c = world.caller("C")
    return Kept(
        records,
        admin.pages("/v1/call-records", token=c.token, app_id=c.app_id),
        app_counts,
        key_counts,
        stats,
        read_stats(admin, c.app_id, c.token),
    )


def read_stats(admin: Admin, app_id: str, token: str | None = None) -> dict[str, int]:
    """The app's counts per result, summed over the last 30 days' buckets."""
    body = admin.expect(
        admin.call(
            "GET", f"/v1/call-records/stats?app_id={app_id}&bucket=day", token=token, kind="check"
        ),
        200,
    )
    total: Counter[str] = Counter()
    for item in body["items"]:
        total.update({result: int(n) for result, n in item["counts"].items()})
    return {result: n for result, n in total.items() if n}


def results_of(records: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(str(r["result"]) for r in records))


def count_mismatches(kept: Kept) -> list[str]:
    """What the stream-fed counts say that the records do not."""
    found = []
    for label, records in kept.records.items():
        successes = sum(1 for r in records if r["result"] == "success")
        if kept.app_counts[label] != successes:
            found.append(f"app {label} call_count {kept.app_counts[label]} vs {successes} records")
        if kept.key_counts[label] != successes:
            found.append(f"key {label} call_count {kept.key_counts[label]} vs {successes} records")
        if kept.stats[label] != results_of(records):
            found.append(f"stats {label} {kept.stats[label]} vs records {results_of(records)}")
    if kept.own_stats != results_of(kept.own_records):
        found.append(f"own stats C {kept.own_stats} vs records {results_of(kept.own_records)}")
    return found


def catch_up(admin: Admin, world: World, timeout: float) -> tuple[Kept, float]:
    """Poll until counts and stats equal the records, at most ``timeout`` seconds."""
    started = time.monotonic()
    kept = read_kept(admin, world)
    while count_mismatches(kept) and time.monotonic() - started < timeout:
        time.sleep(2.0)
        kept = read_kept(admin, world)
    return kept, time.monotonic() - started


# -- phase 2: concurrent key creation up to the account's limit -------------------------------


@dataclass
class KeyPhase:
    pre_existing: int = 0
    created: int = 0
    refused: int = 0  # 409 LimitExceeded
    five_xx: int = 0
    other: int = 0  # anything else, dropped connections included
    listed_after: int = 0
    seconds: float = 0.0

    @property
    def expected(self) -> int:
        return MAX_KEYS_PER_ACCOUNT - self.pre_existing


def key_pairs_of_default(admin: Admin) -> int:
    apps = admin.pages("/v1/apps")
    total = 0
    for app in apps:
        detail = admin.expect(admin.call("GET", f"/v1/apps/{app['app_id']}", kind="check"), 200)
        total += len(detail["keys"])
    return total


def create_keys_until_refused(admin: Admin, world: World, writers: int) -> KeyPhase:
    phase = KeyPhase(pre_existing=key_pairs_of_default(admin))
    lock = threading.Lock()
    attempts = iter(range(MAX_KEY_ATTEMPTS))
    deadline = time.monotonic() + KEY_PHASE_TIMEOUT
    path = f"/v1/apps/{world.scratch_app_id}/keys"

    def writer() -> None:
        while time.monotonic() < deadline:
            with lock:
                if next(attempts, None) is None:
                    return
            answer = admin.call("POST", path, {}, kind="key-phase")
            with lock:
                if answer.status == 201:
                    phase.created += 1
                elif answer.status == 409 and (answer.json() or {}).get("code") == "LimitExceeded":
                    phase.refused += 1
                    return
                elif answer.status >= 500:
                    phase.five_xx += 1
                else:
                    phase.other += 1

    started = time.monotonic()
    threads = [threading.Thread(target=writer, daemon=True) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=KEY_PHASE_TIMEOUT + HTTP_TIMEOUT)
    phase.seconds = time.monotonic() - started
    phase.listed_after = key_pairs_of_default(admin)
    return phase


# -- the report ----------------------------------------------------------------------------------


@dataclass
class Report:
    load_seconds: float
    signed_calls: int
    replays: int
    admin_calls: int
    calls_per_second: float  # signed calls and replays
    p50_ms: float
    p99_ms: float
    five_xx: int
    dropped: int  # no answer: refused, reset, timed out
    no_request_id: int
    replays_not_refused: int
    allowed: int
    missing_records: int
    duplicate_records: int
    unknown_records: int  # a record of a request id no client saw
    wrong_results: int  # the record says another result than the client got
    own_view_differs: int  # app C's records as its own account sees them vs the provider
    limited_max_per_second: int
    limited_seconds_over: int
    count_mismatches: list[str]
    catch_up_seconds: float
    admin_failures: int  # an admin call of the load answered other than 2xx
    rss_start_mb: float
    rss_end_mb: float
    rss_peak_mb: float
    stop_seconds: float | None = None
    keys: KeyPhase | None = None
    samples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def growth_mb(self) -> float:
        return self.rss_end_mb - self.rss_start_mb

    def failures(self) -> list[str]:
        """Every invariant that does not hold (times are not invariants)."""
        failed = []
        checks = [
            ("5xx", self.five_xx, 0),
            ("dropped connections", self.dropped, 0),
            ("answers without X-Ca-Request-Id", self.no_request_id, 0),
            ("replays of allowed calls not refused NONCE_USED", self.replays_not_refused, 0),
            ("calls with no record", self.missing_records, 0),
            ("calls with more than one record", self.duplicate_records, 0),
            ("records of no call", self.unknown_records, 0),
            ("records whose result is not the client's", self.wrong_results, 0),
            ("C's records differing between its two accounts", self.own_view_differs, 0),
            ("seconds in which B had more than 5 successes", self.limited_seconds_over, 0),
            ("call_count/stats differing from the records", len(self.count_mismatches), 0),
            ("admin calls of the load not answered 2xx", self.admin_failures, 0),
        ]
        failed += [f"{name}: {value}" for name, value, must in checks if value != must]
        if not self.replays:
            failed.append("no replay was sent")
        if self.growth_mb >= MEMORY_BUDGET_MB:
            failed.append(f"memory growth {self.growth_mb:.0f} MB (budget {MEMORY_BUDGET_MB:.0f})")
        if self.keys is not None:
            k = self.keys
            if k.created != k.expected:
                failed.append(f"key pairs created {k.created}, expected {k.expected}")
            if k.five_xx or k.other:
                failed.append(f"key phase: {k.five_xx} 5xx, {k.other} other answers")
            if k.listed_after != MAX_KEYS_PER_ACCOUNT:
                failed.append(f"key pairs listed after the phase: {k.listed_after}")
            if not k.refused:
                failed.append("no key pair was refused LimitExceeded")
        return failed

    def table(self) -> str:
        k = self.keys
        rows = [
            ("load", f"{self.load_seconds:.0f} s, {self.signed_calls} signed calls, "
             f"{self.replays} replays, {self.admin_calls} admin calls", ""),
            ("throughput (signed calls + replays)", f"{self.calls_per_second:.1f} calls/s", ""),
            ("signed call latency p50 / p99", f"{self.p50_ms:.0f} ms / {self.p99_ms:.0f} ms",
             "p99 < 1000 ms"),
            ("5xx", str(self.five_xx), "0"),
            ("dropped connections / exceptions", str(self.dropped), "0"),
            ("replays of allowed calls not NONCE_USED",
             f"{self.replays_not_refused} of {self.replays}", "0"),
            ("calls with no record", f"{self.missing_records} of "
             f"{self.signed_calls + self.replays}", "0"),
            ("duplicate / unknown / wrong-result records",
             f"{self.duplicate_records} / {self.unknown_records} / {self.wrong_results}",
             "0 / 0 / 0"),
            ("limited app: max successes in a second",
             f"{self.limited_max_per_second} ({self.limited_seconds_over} s over)",
             f"<= {PER_SECOND}"),
            ("call_count and stats vs records",
             "equal" if not self.count_mismatches else "; ".join(self.count_mismatches),
             f"equal (waited {self.catch_up_seconds:.0f} s)"),
            ("admin calls not 2xx", str(self.admin_failures), "0"),
            ("memory of the local run", f"{self.rss_start_mb:.0f} -> {self.rss_end_mb:.0f} MB "
             f"(+{self.growth_mb:.0f}), peak {self.rss_peak_mb:.0f} MB", "< 300 MB growth"),
        ]  # fmt: skip
        if k is not None:
            rows.append((
                "8 writers creating key pairs",
                f"{k.created} created (of {k.expected} free), {k.refused} refused, "
                f"{k.five_xx} 5xx, {k.other} other, {k.listed_after} listed after, "
                f"{k.seconds:.0f} s",
                f"{k.expected} created, no 5xx",
            ))  # fmt: skip
        rows.append((
            "stop after SIGTERM",
            "killed after 15 s" if self.stop_seconds is None else f"{self.stop_seconds:.1f} s",
            "< 5 s",
        ))  # fmt: skip
        width = max(len(r[0]) for r in rows)
        lines = [f"| {'':{width}} | measured | must be |", f"| {'-' * width} | --- | --- |"]
        lines += [f"| {name:{width}} | {value} | {must} |" for name, value, must in rows]
        return "\n".join(lines)

    def as_json(self) -> str:
        data = asdict(self)
        data["growth_mb"] = round(self.growth_mb, 1)
        data["failures"] = self.failures()
        return json.dumps(data, sort_keys=True)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def compare(
    log: CallLog, kept: Kept, world: World, load_seconds: float, catch_up_seconds: float
) -> Report:
    signed = log.calls("signed")
    replays = log.calls("replay")
    admin_calls = log.calls("admin-write", "admin-read")
    all_calls = log.calls()
    decisions = [c for c in signed + replays if c.status]

    records_by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for records in kept.records.values():
        for record in records:
            records_by_id[str(record["request_id"])].append(record)
    client_ids = {c.request_id for c in decisions if c.request_id}
    missing = [c for c in decisions if c.request_id and c.request_id not in records_by_id]
    wrong = [
        c
        for c in decisions
        if c.request_id in records_by_id
        and records_by_id[c.request_id][0]["result"] != c.result
    ]
    duplicates = [rid for rid, found in records_by_id.items() if len(found) > 1]
    unknown = [rid for rid in records_by_id if rid not in client_ids]

    provider_view = {str(r["request_id"]): r["result"] for r in kept.records["C"]}
    own_view = {str(r["request_id"]): r["result"] for r in kept.own_records}
    own_differs = len(set(provider_view.items()) ^ set(own_view.items()))

    per_second = Counter(
        str(r["time"])[:19] for r in kept.records["B"] if r["result"] == "success"
    )
    not_refused = [c for c in replays if c.status and c.error_code != "NONCE_USED"]
    latencies = sorted(c.seconds * 1000 for c in decisions)
    return Report(
        load_seconds=load_seconds,
        signed_calls=len(signed),
        replays=len(replays),
        admin_calls=len(admin_calls),
        calls_per_second=len(decisions) / load_seconds if load_seconds else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        five_xx=sum(1 for c in all_calls if c.status >= 500),
        dropped=sum(1 for c in all_calls if not c.status),
        no_request_id=sum(1 for c in decisions if not c.request_id),
        replays_not_refused=len(not_refused),
        allowed=sum(1 for c in signed if c.status == 200),
        missing_records=len(missing),
        duplicate_records=len(duplicates),
        unknown_records=len(unknown),
        wrong_results=len(wrong),
        own_view_differs=own_differs,
        limited_max_per_second=max(per_second.values(), default=0),
        limited_seconds_over=sum(1 for n in per_second.values() if n > PER_SECOND),
        count_mismatches=count_mismatches(kept),
        catch_up_seconds=catch_up_seconds,
        admin_failures=sum(1 for c in admin_calls if not 200 <= c.status < 300),
        rss_start_mb=0.0,
        rss_end_mb=0.0,
        rss_peak_mb=0.0,
        samples={
            "not_refused": [f"{c.label} {c.status} {c.error_code}" for c in not_refused[:5]],
            "missing": [f"{c.kind} {c.label} {c.status} {c.result}" for c in missing[:5]],
            "wrong": [
                f"{c.label} client {c.result} record {records_by_id[c.request_id][0]['result']}"
                for c in wrong[:5]
            ],
            "five_xx": [f"{c.kind} {c.label} {c.status}" for c in all_calls if c.status >= 500][:5],
            "dropped": [f"{c.kind} {c.label} {c.error}" for c in all_calls if not c.status][:5],
            "admin": [
                f"{c.label} {c.status}" for c in admin_calls if not 200 <= c.status < 300
            ][:5],
        },
    )


def run(
    seconds: float,
    *,
    mix: Mix | None = None,
    catch_up_timeout: float = 60.0,
    key_writers: int = 8,
) -> Report:
    """Start the local run, load it, check what it kept, fill its key pairs; stop it."""
    log = CallLog()
    with local_run() as local:
        admin = Admin(local.base_url, local.token, log)
        world = set_up(admin)
        with MemorySampler(local) as memory:
            rss_start = memory.now()
            load_seconds = drive(local.base_url, admin, world, seconds, log, mix or Mix())
            rss_end = memory.now()
            kept, waited = catch_up(admin, world, catch_up_timeout)
            report = compare(log, kept, world, load_seconds, waited)
            report.rss_start_mb, report.rss_end_mb = rss_start, rss_end
            if key_writers:
                report.keys = create_keys_until_refused(admin, world, key_writers)
            report.rss_peak_mb = memory.peak_mb
        report.stop_seconds = local.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--catch-up", type=float, default=60.0, help="max wait for the stream")
    parser.add_argument("--key-writers", type=int, default=8, help="0 skips the key phase")
    parser.add_argument("--check", action="store_true", help="exit 1 if an invariant fails")
    args = parser.parse_args(argv)

    report = run(args.seconds, catch_up_timeout=args.catch_up, key_writers=args.key_writers)
    print(report.table())
    for failure in report.failures():
        print(f"FAILED: {failure}")
    for name, examples in report.samples.items():
        if examples:
            print(f"e.g. {name}: {examples}")
    print("LOCAL_LOAD " + report.as_json(), flush=True)
    return 1 if args.check and report.failures() else 0


if __name__ == "__main__":
    raise SystemExit(main())
