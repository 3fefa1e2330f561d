"""Keep the embedded DynamoDB's stored items out of Python's full garbage collections.

The local run holds every item moto stores as Python objects (a call record is ~80 of them:
``DynamoType`` values, their ``OrderedDict`` attributes, stream records). A full collection
walks every tracked object while holding the GIL, so it stops every request at once: after a
minute of ``bench.local_load`` the process tracked 853,000 objects and each full collection
took 370-630 ms, the whole of the signed calls' p99 (~900 ms against a p50 of ~90 ms). DynamoDB
has no such pauses.

Every few seconds this collects what is new and freezes the survivors (``gc.freeze``): they
move to the permanent generation, which collections never walk, so a collection only walks
what the last few seconds made. Frozen objects are still freed when their last reference goes
(records replaced, tables reset); only a reference cycle among them that became garbage after
its freeze would stay, and moto's items hold none.
"""

from __future__ import annotations

import gc
import threading

EVERY_SECONDS = 5.0


def freeze_survivors_periodically(stop: threading.Event, every: float = EVERY_SECONDS) -> None:
    """Collect and freeze now (what start-up made), then every ``every`` seconds until ``stop``."""

    def collect_and_freeze() -> None:
        gc.collect()
        gc.freeze()

    def loop() -> None:
        while not stop.wait(every):
            collect_and_freeze()

    collect_and_freeze()
    threading.Thread(target=loop, name="gc-freeze", daemon=True).start()
