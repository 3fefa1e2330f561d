"""Deferred imports for the admin side, so the authorizer's cold start stays small.

The authorizer Lambda imports ``app.py`` and with it every blueprint; pydantic and PynamoDB
(~110 ms together) are only needed once an admin route runs. DESIGN budget: importing the
app stays within 1.3x of ``import botocore.session``.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, loaded on first attribute access (importlib's LazyLoader recipe)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
