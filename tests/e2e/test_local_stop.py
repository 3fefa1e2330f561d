"""The local run stops within 5 s of SIGTERM or Ctrl-C (CONTRACT.md 1), idle or under load.

Started as ``make run`` starts it (bench.local_load.local_run) and loaded for a few seconds
(signed calls, key pairs, record listings) so that it holds what a user's session holds, then
signalled after the clients stopped, or while their calls are still arriving.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from bench.local_load import Admin, CallLog, LocalProcess, local_run, prepare, timed_send

pytestmark = pytest.mark.e2e

STOP_BUDGET = 5.0
LOAD_SECONDS = 8.0
MAX_CALLS = 2_000


def start_clients(
    local: LocalProcess, log: CallLog, stop: threading.Event
) -> list[threading.Thread]:
    """Clients that call until ``stop`` is set or the process is gone."""
    caller = local.demo
    assert caller is not None
    admin = Admin(local.base_url, local.token, log)

    def signed() -> None:
        for count in range(MAX_CALLS):
            if stop.is_set() or local.process.poll() is not None:
                return
            call = prepare(local.base_url, caller, count)
            timed_send(
                log, "signed", caller.label, local.base_url,
                call.method, call.path, call.headers, call.body,
            )  # fmt: skip

    def admin_calls(path: str) -> None:
        for _ in range(MAX_CALLS):
            if stop.is_set() or local.process.poll() is not None:
                return
            if path.endswith("/keys"):
                admin.call("POST", path, {}, kind="admin-write")
            else:
                admin.call("GET", path, kind="admin-read")

    keys = f"/v1/apps/{caller.app_id}/keys"
    threads = [threading.Thread(target=signed, daemon=True) for _ in range(3)]
    threads += [threading.Thread(target=admin_calls, args=(keys,), daemon=True) for _ in range(2)]
    threads.append(
        threading.Thread(target=admin_calls, args=("/v1/call-records?limit=50",), daemon=True)
    )
    for thread in threads:
        thread.start()
    return threads


@pytest.mark.parametrize("in_flight", [False, True], ids=["idle", "in-flight"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_local_run_stops_within_5_s_of_a_signal(
    signum: signal.Signals, in_flight: bool
) -> None:
    log = CallLog()
    stop = threading.Event()
    with local_run() as local:
        threads = start_clients(local, log, stop)
        time.sleep(LOAD_SECONDS)
        if not in_flight:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        took = local.stop(signum, timeout=3 * STOP_BUDGET)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert any(c.status == 200 for c in log.calls("signed")), log.calls()[:5]
    assert any(c.status == 201 for c in log.calls("admin-write")), log.calls()[:5]
    tail = "\n".join(local.output[-20:])
    assert took is not None, f"still running {3 * STOP_BUDGET:.0f} s after {signum.name}:\n{tail}"
    assert took < STOP_BUDGET, f"{signum.name} took {took:.1f} s to stop:\n{tail}"
    # 0: the orderly stop; 128 + signal: its deadline ended it (devtools/local.py).
    assert local.process.returncode in (0, 128 + signum), (local.process.returncode, tail)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_is_the_server_itself_so_its_pid_takes_the_signal() -> None:
    """`make run` as the README has it: make's child is the server, no shell between (a
    supervisor or a `kill` of that pid reached only the shell, and the server ran on)."""
    with local_run(command=["make", "run"]) as local:
        make = local.process
        children = Path(f"/proc/{make.pid}/task/{make.pid}/children").read_text().split()
        assert len(children) == 1, children
        server = int(children[0])
        command = Path(f"/proc/{server}/cmdline").read_bytes().split(b"\0")
        assert b"devtools.local" in command and not command[0].endswith(b"sh"), command
        os.kill(server, signal.SIGTERM)
        make.wait(timeout=STOP_BUDGET)
        assert not Path(f"/proc/{server}").exists()
