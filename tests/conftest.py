"""Fake credentials and table names before anything imports the app; moto for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devtools.offline_aws import use_offline_aws

use_offline_aws(
    os.environ,
    APIAUTH_TABLE_PREFIX="test-",
    APIAUTH_KMS_KEY_ID="alias/apiauth-test",
    APIAUTH_CACHE_TTL_SECONDS="0",
)

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from devtools import embedded_dynamodb  # noqa: E402

# The tests' moto is the local run's: as concurrent, and as safe under concurrency.
embedded_dynamodb.install()

ROOT = Path(__file__).resolve().parents[1]


def reset_process_state() -> None:
    """Forget clients, settings and caches bound to a previous moto backend or endpoint."""
    from chalicelib.storage.clients import reset_clients
    from chalicelib.storage.credentials import reset_cache
    from chalicelib.storage.transactions import reset_connection

    reset_clients()
    reset_connection()
    reset_cache()


def create_tables_and_key() -> None:
    from chalicelib.config import settings
    from chalicelib.storage import clients
    from chalicelib.storage.models import ALL_MODELS

    for model in ALL_MODELS:
        model.create_table(wait=False)
    key = clients.kms().create_key(Description="apiauth test")
    clients.kms().create_alias(
        AliasName=settings().kms_key_id, TargetKeyId=key["KeyMetadata"]["KeyId"]
    )


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh in-process moto for one test.

    Clients made after ``import moto`` stay intercepted across ``mock_aws`` contexts, so the
    cached botocore and PynamoDB clients are kept (building one costs ~0.15 s); only the
    authorizer's cache is dropped. A test that points them elsewhere resets them itself.
    """
    from chalicelib.storage.credentials import reset_cache

    with mock_aws():
        reset_cache()
        create_tables_and_key()
        yield
    reset_cache()


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
