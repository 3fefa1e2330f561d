"""Fake credentials and table names before anything imports the app; moto for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from devtools.offline_aws import use_offline_aws

use_offline_aws(
    os.environ,
    APIAUTH_TABLE_PREFIX="test-",
    APIAUTH_KMS_KEY_ID="alias/apiauth-test",
    APIAUTH_CACHE_TTL_SECONDS="0",
)

import pytest  # noqa: E402

from devtools import embedded_dynamodb  # noqa: E402
from tests.support.aws import fresh_moto, reuse_kms_key_pairs  # noqa: E402
from tests.support.paths import ROOT  # noqa: E402

# The tests' moto is the local run's: as concurrent, and as safe under concurrency.
embedded_dynamodb.install()
reuse_kms_key_pairs()


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh in-process moto for one test."""
    with fresh_moto():
        yield


@pytest.fixture
def root_token(aws: None) -> str:
    from chalicelib.services.bootstrap import register_root

    return register_root("root-token-for-tests").value


@pytest.fixture
def client(aws: None) -> Iterator[Any]:
    from chalice.test import Client

    from app import app
    from devtools.authorizer_shim import install

    install()
    with Client(app, stage_name="dev", project_dir=str(ROOT)) as test_client:
        yield test_client
