"""dynalite (npm, ``bench/dynalite.md``) on 127.0.0.1, and the models' tables on it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from bench.capacity.schema import project_models

DEFAULT_DYNALITE_DIR = "/tmp/dynalite"
INSTALL_HINT = (
    "mkdir -p {dir} && cd {dir} && npm init -y && npm install dynalite@4.0.0"
    " (bench/dynalite.md), or point DYNALITE_DIR at an install"
)


class DynaliteUnavailable(RuntimeError):
    """dynalite (or node) is not installed, or did not start."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Dynalite:
    """dynalite on 127.0.0.1 (never all interfaces), in memory, on a free port.

    ``with Dynalite() as endpoint: ...`` or ``start()`` / ``stop()``.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, timeout: float = 15.0):
        self.directory = Path(directory or os.environ.get("DYNALITE_DIR") or DEFAULT_DYNALITE_DIR)
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoint = ""
        self._log: IO[bytes] | None = None

    @property
    def cli(self) -> Path:
        return self.directory / "node_modules" / "dynalite" / "cli.js"

    def check(self) -> str:
        """The node executable; raises DynaliteUnavailable if node or dynalite is missing."""
        node = shutil.which("node")
        if node is None:
            raise DynaliteUnavailable("node is not on PATH; dynalite needs Node.js")
        if not self.cli.is_file():
            hint = INSTALL_HINT.format(dir=self.directory)
            raise DynaliteUnavailable(f"dynalite is not installed at {self.cli}: {hint}")
        return node

    def start(self) -> str:
        node = self.check()
        port = _free_port()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [node, str(self.cli), "--host", "127.0.0.1", "--port", str(port)]
            + ["--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self._output()
                self.stop()
                raise DynaliteUnavailable(f"dynalite exited at start: {output}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except OSError:
                time.sleep(0.05)
                continue
            self.endpoint = f"http://127.0.0.1:{port}"
            return self.endpoint
        self.stop()
        raise DynaliteUnavailable(f"dynalite did not listen on 127.0.0.1:{port} in {self.timeout}s")

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace").strip()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def point_models(endpoint: str, models: Iterable[Any] | None = None) -> None:
    """Send the models' PynamoDB connections to ``endpoint`` (their Meta.host is set at import)."""
    for model in project_models() if models is None else models:
        model.Meta.host = endpoint
        model._connection = None


def create_tables(endpoint: str, models: Iterable[Any] | None = None) -> list[str]:
    """Create the models' tables at ``endpoint`` (default: ``ALL_MODELS``); returns their names.

    dynalite has no UpdateTimeToLive, so TTL is left off (``ignore_update_ttl_errors``).
    """
    if models is None:
        from chalicelib.storage.models import ALL_MODELS

        point_models(endpoint)  # every model, those sharing a table (PreviousSecretModel) too
        models = ALL_MODELS
    models = list(models)
    point_models(endpoint, models)
    names = []
    for model in models:
        if not model.exists():
            model.create_table(wait=True, ignore_update_ttl_errors=True)
        names.append(model.Meta.table_name)
    return names
