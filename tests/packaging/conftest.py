"""The packaging tests build the real Lambda package once per session (slow: select or skip
them with ``-m packaging`` / ``-m "not packaging"``)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "packaging: builds the CloudFormation template and Lambda zip with `make package` in a "
        "fresh copy of the repository; needs python3.12+ and the package index",
    )
