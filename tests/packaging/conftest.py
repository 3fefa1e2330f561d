"""The packaging tests build the real Lambda package once per session (slow: select or skip
them with ``-m packaging`` / ``-m "not packaging"``)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "packaging: builds the CloudFormation template and Lambda zip (devtools/package.py); "
        "needs python3.12+ and the package index on first run",
    )
