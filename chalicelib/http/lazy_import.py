"""Deferred imports for the admin side, so the authorizer's cold start stays small.

The authorizer Lambda imports ``app.py`` and with it every blueprint; pydantic and PynamoDB
(~110 ms together) are only needed once an admin route runs. DESIGN budget: importing the
app stays within 1.3x of ``import botocore.session``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands for a module not imported yet: the first attribute read imports it, and every
    read goes to the real module (so a patched function is seen).

    Not importlib's LazyLoader: on Python 3.11 a second thread reading an attribute while the
    first thread runs the module finds it half-made (an AttributeError, a 500 when the console
    sends its first admin calls at once). ``import_module`` takes the module's import lock, so
    concurrent first reads wait for the one import.
    """

    def __getattr__(self, attribute: str) -> Any:
        # Not sys.modules directly: there a module being run by another thread is already
        # listed, half-made; import_module waits for it (and is a dict look-up after).
        return getattr(importlib.import_module(self.__name__), attribute)


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, imported on first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:
        raise ImportError(name)
    return _Deferred(name)
