"""AWS clients built lazily behind cached getters, never at import (cold start, and moto).

botocore rather than boto3: boto3 adds ~70 ms of imports the authorizer does not need.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
from botocore.config import Config

from chalicelib.config import settings

# No client-side parameter validation: DynamoDB validates every request itself, and botocore's
# walk over the request's shapes was a third of the CPU of the authorizer's one PutItem (a warm
# call's CPU with botocore's work, DynamoDB stubbed: 586 -> 446 us measured here, -24%; the
# figure bench.authorizer prints as "with botocore's work").
# Connections kept per client: a Lambda makes one call at a time, the local run serves many
# threads at once, and past the pool's size each request would open (and drop) a connection of
# its own (botocore's default is 10; the local run under load spent 7.6% of its samples opening
# connections to the embedded DynamoDB).
MAX_POOL_CONNECTIONS = 64
_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=2,
    parameter_validation=False,
    max_pool_connections=MAX_POOL_CONNECTIONS,
)


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def dynamodb() -> Any:
    config = settings()
    return _session().create_client(
        "dynamodb",
        region_name=config.region,
        endpoint_url=config.dynamodb_endpoint,
        config=_CLIENT_CONFIG,
    )


@functools.cache
def kms() -> Any:
    config = settings()
    return _session().create_client(
        "kms",
        region_name=config.region,
        endpoint_url=config.kms_endpoint or config.dynamodb_endpoint,
        config=_CLIENT_CONFIG,
    )


@functools.cache
def events() -> Any:
    """EventBridge (the expiry notices): its endpoint from botocore's standard
    ``AWS_ENDPOINT_URL_EVENTBRIDGE`` / ``AWS_ENDPOINT_URL``, as every other AWS client's."""
    return _session().create_client("events", region_name=settings().region, config=_CLIENT_CONFIG)


def reset_clients() -> None:
    """Forget cached clients and settings (tests switch endpoints between moto setups)."""
    for cached in (_session, dynamodb, kms, events, settings):
        cached.cache_clear()
