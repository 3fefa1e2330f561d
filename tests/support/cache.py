"""The warm container's caches (credentials, limit windows found full) turned on in a test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

NAME = "APIAUTH_CACHE_TTL_SECONDS"


@contextmanager
def container_cache(seconds: float) -> Iterator[None]:
    """The caches with this TTL (0: off, as the suite runs), empty; as before, empty, after."""
    before = os.environ.get(NAME)
    os.environ[NAME] = str(seconds)
    _empty()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(NAME, None)
        else:
            os.environ[NAME] = before
        _empty()


def _empty() -> None:
    from chalicelib.config import settings
    from chalicelib.storage.calls import counting
    from chalicelib.storage.credentials import reset_cache

    settings.cache_clear()
    reset_cache()
    counting._full.clear()
