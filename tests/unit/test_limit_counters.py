"""The limit counters (``storage/calls/counting.py``): one item per authorization, every window
of a call raised by one conditional update, each window restarted when its start moves on.
Over in-process moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.config import settings
from chalicelib.storage import clients
from chalicelib.storage.calls import counting
from chalicelib.storage.calls.counting import Counter, lower_counts, raise_counts
from tests.support.cache import container_cache


@pytest.fixture(autouse=True)
def table() -> Iterator[None]:
    from chalicelib.storage.models import CounterModel

    with mock_aws():
        CounterModel.create_table(wait=False)
        counting._known.clear()
        counting._full.clear()
        yield


@pytest.fixture
def requests() -> Iterator[list[str]]:
    made: list[str] = []

    def count(model: Any, **_: Any) -> None:
        made.append(model.name)

    events = clients.dynamodb().meta.events
    events.register("before-call.dynamodb", count)
    yield made
    events.unregister("before-call.dynamodb", count)


def windows(
    second: str, minute: str = "20261203T1200", limits: tuple[int, int] = (2, 3)
) -> list[Counter]:
    return [
        Counter("auth-1", limits[0], 2**31, "per_second", f"{minute}{second}"),
        Counter("auth-1", limits[1], 2**31, "per_minute", f"{minute}00"),
    ]


def stored() -> dict[str, str]:
    item = clients.dynamodb().get_item(
        TableName=settings().table_name("counters"), Key={"counter_key": {"S": "auth-1"}}
    )["Item"]
    return {
        name: next(iter(value.values())) for name, value in item.items() if name[:2] in ("s_", "c_")
    }


def test_every_window_of_a_call_is_one_update_of_one_item(requests: list[str]) -> None:
    assert raise_counts(windows("05")).refused == ""
    # The first call of a container expects the windows it counts to be there already.
    assert requests == ["UpdateItem", "UpdateItem"]
    requests.clear()
    assert raise_counts(windows("05")).refused == ""
    assert requests == ["UpdateItem"]
    assert stored() == {
        "s_per_second": "20261203T120005",
        "c_per_second": "2",
        "s_per_minute": "20261203T120000",
        "c_per_minute": "2",
    }


def test_a_full_window_refuses_and_counts_nothing_in_the_others() -> None:
    assert raise_counts(windows("05")).refused == ""
    assert raise_counts(windows("05")).refused == ""
    assert raise_counts(windows("05")).refused == "per_second"
    assert stored()["c_per_minute"] == "2"
    # The next second starts again at one; the minute goes on counting, up to its limit.
    assert raise_counts(windows("06")).refused == ""
    assert stored()["c_per_second"] == "1" and stored()["c_per_minute"] == "3"
    assert raise_counts(windows("07")).refused == "per_minute"
    assert stored()["s_per_second"] == "20261203T120006"


def test_a_stale_guess_costs_one_refused_update_and_counts_exactly(requests: list[str]) -> None:
    assert raise_counts(windows("05")).refused == ""
    # Another container restarted the second's window meanwhile; this one still thinks 05.
    clients.dynamodb().update_item(
        TableName=settings().table_name("counters"),
        Key={"counter_key": {"S": "auth-1"}},
        UpdateExpression="SET s_per_second = :s, c_per_second = :one",
        ExpressionAttributeValues={":s": {"S": "20261203T120006"}, ":one": {"N": "1"}},
    )
    requests.clear()
    assert raise_counts(windows("06")).refused == ""
    assert requests == ["UpdateItem", "UpdateItem"]
    assert stored()["c_per_second"] == "2" and stored()["c_per_minute"] == "2"
    requests.clear()
    assert raise_counts(windows("06")).refused == "per_second"  # learnt: one request
    assert requests == ["UpdateItem"]


def test_a_clock_behind_counts_in_the_window_another_call_started() -> None:
    assert raise_counts(windows("06")).moved_to == ""
    counting._known.clear()  # a fresh container whose clock is a second behind
    late = raise_counts(windows("05"))
    assert (late.refused, late.moved_to) == ("", "20261203T120006")  # counted, and happened, at 06
    assert stored()["s_per_second"] == "20261203T120006" and stored()["c_per_second"] == "2"
    assert raise_counts(windows("05")).refused == "per_second"


def test_a_call_taken_back_leaves_the_windows_as_before_and_a_moved_one_alone() -> None:
    assert raise_counts(windows("05")).refused == ""
    assert raise_counts(windows("05")).refused == ""
    lower_counts(windows("05"))
    assert stored()["c_per_second"] == "1" and stored()["c_per_minute"] == "1"
    assert raise_counts(windows("06")).refused == ""
    lower_counts(windows("05"))  # its second is over: only the minute takes it back
    assert stored()["c_per_second"] == "1" and stored()["c_per_minute"] == "1"


@pytest.fixture
def cached() -> Iterator[None]:
    """The container's cache on (10 s, the default): a window found full is remembered."""
    with container_cache(10):
        yield


def test_a_window_found_full_refuses_the_next_calls_without_a_write(
    cached: None, requests: list[str]
) -> None:
    for _ in range(2):
        assert raise_counts(windows("05")).refused == ""
    requests.clear()
    assert raise_counts(windows("05")).refused == "per_second"
    assert requests == ["UpdateItem"]  # refused: one write unit
    for _ in range(5):  # a client calling on over its limit costs no more writes
        assert raise_counts(windows("05")).refused == "per_second"
    assert requests == ["UpdateItem"]
    assert stored()["c_per_second"] == "2" and stored()["c_per_minute"] == "2"
    # The next second, a raised limit, or a call taken back here: asked again.
    assert raise_counts(windows("06")).refused == ""  # the minute's third
    assert raise_counts(windows("06")).refused == "per_minute"
    requests.clear()
    assert raise_counts(windows("06")).refused == "per_minute"
    assert requests == []
    raised = windows("06", limits=(2, 4))
    assert raise_counts(raised).refused == ""
    assert requests == ["UpdateItem"]
    assert raise_counts(raised).refused == "per_second"
    requests.clear()
    assert raise_counts(raised).refused == "per_second"
    assert requests == []
    lower_counts(raised)
    requests.clear()
    assert raise_counts(raised).refused == ""
    assert requests == ["UpdateItem"]


def test_a_window_found_full_is_asked_again_after_the_cache_ttl(
    cached: None, requests: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    for _ in range(2):
        raise_counts(windows("05"))
    assert raise_counts(windows("05")).refused == "per_second"
    later = time.monotonic() + 10.5
    monkeypatch.setattr(time, "monotonic", lambda: later)
    requests.clear()
    assert raise_counts(windows("05")).refused == "per_second"
    assert requests == ["UpdateItem"]


def test_without_the_cache_every_call_asks(requests: list[str]) -> None:
    for _ in range(2):
        raise_counts(windows("05"))
    requests.clear()
    for _ in range(3):
        assert raise_counts(windows("05")).refused == "per_second"
    assert requests == ["UpdateItem"] * 3
