"""The limit counters an allowed call raises: one item per authorization, every window in it.

An item (``models.CounterModel``, keyed by the authorization id) holds, per window, the start
of the window it counts (``s_<window>``, e.g. ``s_per_minute``) and the calls counted in it
(``c_<window>``). One conditional UpdateItem raises every window of a call at once: a window
still in the stored start is raised only under its limit; a window whose start moved on is
restarted at one. Each condition names the state it expects, so concurrent calls never count
past a limit; an update whose expectation was wrong (another call restarted the window first)
is sent again with what DynamoDB returned. A call that did not happen after all (its nonce was
used) is taken back out of the windows it was counted in.

A window this container found at its limit refuses the next calls of the same start and limit
without asking again, for ``APIAUTH_CACHE_TTL_SECONDS``: it is kept in the container's cache
(``storage.ttl_cache``), as the credentials are. A refused update is a write unit, so a client
that keeps calling over its limit would otherwise cost more per refusal than per allowed call.
It only ever refuses: a window seen full stays full but for a call taken back, and this
container's own take-backs forget it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.storage import clients
from chalicelib.storage.items import Item
from chalicelib.storage.ttl_cache import TtlCache

ATTEMPTS = 6  # each attempt after the first follows a window that another call moved on


class Counter(NamedTuple):
    """One window of an authorization's limit, raised by an allowed call."""

    key: str  # the counter item: the authorization id
    limit: int
    expires_at: int  # epoch seconds: TTL, after the window
    window: str  # per_second, per_minute, ...
    start: str = ""  # the window's start (sortable text); "" for a window that never moves


# The start each window of each item had when this container last raised it: the first guess
# of the next update (a wrong guess costs one refused update, then the returned item decides).
_known: dict[tuple[str, str], str] = {}
_lock = threading.Lock()
# The windows this container found at their limit: "<item>#<window>" -> (start, limit).
_full = TtlCache()


def start_name(window: str) -> str:
    return f"s_{window}"


def count_name(window: str) -> str:
    return f"c_{window}"


def used(item: Item, window: str, start: str) -> int:
    """Calls counted in ``window`` from ``start`` by a counter item (0 if it counts another)."""
    stored = item.get(start_name(window), {}).get("S")
    if stored != start:
        return 0
    return int(item.get(count_name(window), {}).get("N", "0"))


class Raised(NamedTuple):
    """What raising a call's windows did."""

    refused: str  # "" when counted, else the first window whose limit is reached (none counted)
    # The windows as counted, each with the start it was counted in: to take the call back
    # out of (``lower_counts``).
    counted: tuple[Counter, ...] = ()
    # The latest start it was counted in that is later than the call's own window's ("" if
    # none): another call moved the window on first, so the call counts, and happened, there.
    moved_to: str = ""


def raise_counts(counters: Sequence[Counter]) -> Raised:
    """Count one call in every window (all of one grant's item)."""
    if not counters:
        return Raised("")
    return _raise_item(_item_of(counters), list(counters))


def lower_counts(counters: Sequence[Counter]) -> None:
    """Take one call back out of each window, where that window still counts the same start."""
    if not counters:
        return
    for counter in counters:  # a place freed: a window seen full may not be any more
        _full.forget(_full_key(counter.key, counter.window))
    names: dict[str, str] = {}
    values: dict[str, Any] = {":minus": {"N": "-1"}}
    adds, conditions = [], []
    for number, counter in enumerate(counters):
        names[f"#s{number}"] = start_name(counter.window)
        names[f"#c{number}"] = count_name(counter.window)
        values[f":s{number}"] = {"S": counter.start}
        adds.append(f"#c{number} :minus")
        conditions.append(f"#s{number} = :s{number}")
    try:
        clients.dynamodb().update_item(
            TableName=_table(),
            Key={"counter_key": {"S": _item_of(counters)}},
            UpdateExpression="ADD " + ", ".join(adds),
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if _code(error) != "ConditionalCheckFailedException":
            raise
        # A window moved on since: the call no longer counts in it anyway. Windows that
        # did not move are lowered one by one.
        if len(counters) > 1:
            for counter in counters:
                lower_counts([counter])


def _item_of(counters: Sequence[Counter]) -> str:
    """The one counter item a call's windows are in (the grant that allowed it)."""
    keys = {counter.key for counter in counters}
    if len(keys) != 1:
        raise ValueError(f"a call's windows are one grant's, not {sorted(keys)}")
    return keys.pop()


def _raise_item(key: str, group: list[Counter]) -> Raised:
    now, ttl = time.monotonic(), settings().cache_ttl_seconds
    for c in group:  # shortest window first, as _judge names them
        hit, seen = _full.peek(_full_key(key, c.window), now, ttl)
        if hit and seen == (c.start, c.limit):
            return Raised(c.window)
    with _lock:
        guesses = {c.window: _known.get((key, c.window), c.start) for c in group}
    for _ in range(ATTEMPTS):
        request = _update(key, group, guesses)
        try:
            clients.dynamodb().update_item(**request)
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            old = error.response.get("Item") or {}
            refused, guesses = _judge(group, old)
            if refused:
                _remember(key, guesses)
                limit = next(c.limit for c in group if c.window == refused)
                _full.put(_full_key(key, refused), (guesses[refused], limit))
                return Raised(refused)
            continue
        counted = tuple(c._replace(start=_counted_in(c, guesses.get(c.window, ""))) for c in group)
        _remember(key, {c.window: c.start for c in counted})
        later = [c.start for c, own in zip(counted, group, strict=True) if c.start > own.start]
        return Raised("", counted, max(later, default=""))
    raise RuntimeError(f"limit counter {key!r} kept moving for {ATTEMPTS} attempts")


def _counted_in(counter: Counter, guess: str) -> str:
    """The start a window was counted in by an update sent with ``guess``."""
    return counter.start if guess == _RESTART else max(guess, counter.start)


def _judge(group: list[Counter], old: Item) -> tuple[str, dict[str, str]]:
    """From the item as it was: the first window whose limit is reached, and the start each
    window should be raised from next."""
    guesses = {}
    for counter in group:  # shortest window first: the refusal names it
        stored = old.get(start_name(counter.window), {}).get("S")
        # Another call's clock ahead started a later window: that is the one to count in.
        start = stored if stored is not None and stored > counter.start else counter.start
        guesses[counter.window] = start
        if stored == start and used(old, counter.window, start) >= counter.limit:
            return counter.window, guesses
    # Where the stored start is older than ours, the window restarts: guess "not the same".
    for counter in group:
        stored = old.get(start_name(counter.window), {}).get("S")
        if stored != guesses[counter.window]:
            guesses[counter.window] = _RESTART
    return "", guesses


_RESTART = "\x00"  # a guess that the stored window is older than the call's: restart it


def _update(key: str, group: list[Counter], guesses: dict[str, str]) -> dict[str, Any]:
    names: dict[str, str] = {"#e": "expires_at"}
    values: dict[str, Any] = {
        ":one": {"N": "1"},
        ":e": {"N": str(max(c.expires_at for c in group))},
    }
    sets, adds, conditions = ["#e = :e"], [], []
    for number, counter in enumerate(group):
        s, c = f"#s{number}", f"#c{number}"
        names[s], names[c] = start_name(counter.window), count_name(counter.window)
        guess = guesses.get(counter.window, counter.start)
        if guess == _RESTART or guess < counter.start:
            # The stored window is older than the call's (or absent): start it at one.
            values[f":s{number}"] = {"S": counter.start}
            sets.append(f"{s} = :s{number}, {c} = :one")
            conditions.append(f"(attribute_not_exists({s}) OR {s} < :s{number})")
        else:
            values[f":s{number}"] = {"S": guess}
            values[f":l{number}"] = {"N": str(counter.limit)}
            adds.append(f"{c} :one")
            conditions.append(f"({s} = :s{number} AND {c} < :l{number})")
    expression = "SET " + ", ".join(sets) + (" ADD " + ", ".join(adds) if adds else "")
    return {
        "TableName": _table(),
        "Key": {"counter_key": {"S": key}},
        "UpdateExpression": expression,
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _remember(key: str, starts: dict[str, str]) -> None:
    with _lock:
        for window, start in starts.items():
            if start != _RESTART:
                _known[(key, window)] = start


def _full_key(key: str, window: str) -> str:
    return f"{key}#{window}"


def _table() -> str:
    return settings().table_name("counters")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
