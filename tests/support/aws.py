"""moto in process or on loopback, with this app's tables and KMS key in it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.request import Request, urlopen


def reuse_kms_key_pairs() -> None:
    """moto gives every KMS key, even a symmetric one, a fresh RSA-2048 pair (0.1-0.8 s each,
    most of a fresh moto's setup); the app only encrypts and decrypts with a symmetric key, so
    the tests' moto makes one pair per key spec and shares it. Each key keeps its own symmetric
    material (moto's ``generate_master_key``), so sealing stays per key and per test."""
    from functools import cache

    from moto.kms import models

    original = models.__dict__["generate_private_key"]
    if getattr(original, "cache_info", None):
        return  # already patched
    models.__dict__["generate_private_key"] = cache(original)


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


@contextmanager
def fresh_moto() -> Iterator[None]:
    """A fresh in-process moto with the tables and the key.

    Clients made after ``import moto`` stay intercepted across ``mock_aws`` contexts, so the
    cached botocore and PynamoDB clients are kept (building one costs ~0.15 s); only the
    authorizer's cache is dropped. A test that points them elsewhere resets them itself.
    """
    from moto import mock_aws

    from chalicelib.storage.credentials import reset_cache

    with mock_aws():
        reset_cache()
        create_tables_and_key()
        yield
    reset_cache()


@contextmanager
def moto_server_on_loopback() -> Iterator[str]:
    """A real moto server on loopback, with every client and model pointed at it.

    No ``mock_aws`` here: starting one wipes a ThreadedMotoServer's state in this process.
    """
    from moto.server import ThreadedMotoServer

    from chalicelib.storage.models import ALL_MODELS

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"  # type: ignore[union-attr]
    # moto's backends are per process: start empty, whatever a test before this one left.
    urlopen(Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    saved_env = {name: os.environ.get(name) for name in ("DYNAMODB_ENDPOINT", "KMS_ENDPOINT")}
    saved_hosts = {model: model.Meta.host for model in ALL_MODELS}

    def point_at(host: str | None) -> None:
        reset_process_state()
        for model in ALL_MODELS:
            # Models read settings() once, at class creation; their connection is cached.
            model.Meta.host = host
            model._connection = None

    os.environ["DYNAMODB_ENDPOINT"] = os.environ["KMS_ENDPOINT"] = url
    try:
        point_at(url)
        create_tables_and_key()
        yield url
    finally:
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        point_at(None)
        for model, host in saved_hosts.items():
            model.Meta.host = host
        server.stop()
