"""The newest-first merge of several index partitions within a read budget.

Each partition reads its share first; then the budget goes where the newest items are. A
page reads at most ``max_pages`` pages' worth of items and ``MAX_QUERIES`` requests, so a
filter that matches little comes back short, with where to go on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, NamedTuple

from chalicelib.storage import clients
from chalicelib.storage.items import Item

MAX_QUERIES = 12  # DynamoDB requests for one page, whatever the merge


class Partition:
    """One index partition's records, newest first, read a few at a time."""

    def __init__(self, arguments: dict[str, Any], highest: str) -> None:
        self.arguments = arguments
        self.buffer: deque[Item] = deque()
        self.start_key: Item | None = None
        self.done = False
        self.reached = highest  # the sort key read down to, while not done

    def read(self, size: int) -> int:
        request = {**self.arguments, "Limit": size}
        if self.start_key:
            request["ExclusiveStartKey"] = self.start_key
        response = clients.dynamodb().query(**request)
        self.buffer.extend(response.get("Items", []))
        self.start_key = response.get("LastEvaluatedKey")
        self.done = not self.start_key
        if self.start_key:
            self.reached = self.start_key["sk"]["S"]
        return int(response.get("ScannedCount", 0))

    @property
    def head(self) -> str:
        return str(self.buffer[0]["sk"]["S"])


class Merged(NamedTuple):
    items: list[Item]  # newest first, at most the limit
    more: bool  # whether a partition may hold more
    # The sort key below which a partition that stopped reading may still hold items.
    floor: str | None
    scanned: int


def newest_first(partitions: Sequence[Partition], limit: int, max_pages: int) -> Merged:
    share = -(-limit // max(1, len(partitions)))
    scanned = sum(partition.read(share) for partition in partitions)
    budget, queries = max_pages * limit - scanned, len(partitions)
    found: list[Item] = []
    floor = None
    while len(found) < limit:
        for partition in partitions:
            while not partition.buffer and not partition.done and budget > 0:
                if queries >= MAX_QUERIES:
                    budget = 0
                    break
                active = sum(1 for p in partitions if not p.done)
                size = max(1, min(budget, -(-(limit - len(found)) // active)))
                read = partition.read(size)
                budget, queries, scanned = budget - max(read, 1), queries + 1, scanned + read
        # Below the point where a partition stopped reading, it may hold newer items.
        floor = max((p.reached for p in partitions if not p.buffer and not p.done), default=None)
        ready = [p for p in partitions if p.buffer and (floor is None or p.head >= floor)]
        if not ready:
            break
        found.append(max(ready, key=lambda p: p.head).buffer.popleft())
    more = any(p.buffer or not p.done for p in partitions)
    return Merged(found, more, floor, scanned)
