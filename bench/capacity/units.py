"""Capacity units and DynamoDB's rules for them: item sizes, 1 KB writes, 4 KB reads."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Item = dict[str, Any]
# Where units were consumed: (table, index), index None for the table itself.
Target = tuple[str, str | None]


@dataclass
class Units:
    read: float = 0.0
    write: float = 0.0

    def __add__(self, other: Units) -> Units:
        return Units(self.read + other.read, self.write + other.write)

    def __sub__(self, other: Units) -> Units:
        return Units(self.read - other.read, self.write - other.write)


def add_units(into: dict[Any, Units], key: Any, units: Units) -> None:
    into[key] = into.get(key, Units()) + units


def _size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(str(data).encode("utf-8"))
    if kind == "N":
        return len(str(data).lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + _size(v) + 1 for k, v in data.items())
    return len(str(data))


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes of an item by DynamoDB's rules: names and values, UTF-8."""
    return sum(len(name.encode("utf-8")) + _size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """Write units of one item write: 1 KB each, rounded up, at least 1."""
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool = True, transactional: bool = False) -> float:
    """Read units of reading ``size`` bytes: 4 KB each, rounded up, at least 1; half for an
    eventually consistent read, double for a transactional one."""
    units = float(max(1, math.ceil(size / 4096)))
    if transactional:
        return units * 2
    return units if consistent else units / 2
