"""``lazy_module``: imported once, on first use, whichever threads ask at the same moment."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from chalicelib.http.lazy_import import lazy_module

SLOW_MODULE = """
import time
time.sleep(0.3)  # a module that takes a while to run, as the services do with pydantic
value = 42
"""


def test_threads_reading_a_lazy_module_at_once_all_see_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"slow_module_{id(tmp_path)}"
    (tmp_path / f"{name}.py").write_text(SLOW_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = lazy_module(name)
    seen: list[object] = []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        try:
            seen.append(module.value)
        except AttributeError as error:  # the half-made module LazyLoader showed
            seen.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    monkeypatch.delitem(sys.modules, name)
    assert seen == [42] * 8


def test_a_lazy_module_reads_the_real_module_so_a_patch_is_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = lazy_module("chalicelib.domain.clock")
    import chalicelib.domain.clock as real

    monkeypatch.setattr(real, "utc_now", lambda: "patched")
    assert service.utc_now() == "patched"


def test_an_unknown_module_fails_at_once() -> None:
    with pytest.raises(ImportError):
        lazy_module("chalicelib.no_such_module")
