"""Fixtures of the API suite: the root admin, a second account, the demo APIs on the
captured events' gateway, a real moto server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.admin import OTHER_GATEWAY, Admin
from tests.support.aws import moto_server_on_loopback
from tests.support.cache import container_cache
from tests.support.events import bind_demo


@pytest.fixture
def admin(client: Any, root_token: str) -> Admin:
    return Admin(client, root_token)


@pytest.fixture
def other(admin: Admin) -> Admin:
    """An admin of a second account with its own gateway ``gw-other``, for tenancy checks."""
    created = admin.post("/v1/accounts", {"name": "other"})
    assert created.status == 201, created.body
    gateway = {"gateway_id": OTHER_GATEWAY, "account_id": created.body["account_id"]}
    bound = admin.post("/v1/gateways", gateway)
    assert bound.status == 201, bound.body
    return Admin(admin.client, created.body["token"])


@pytest.fixture
def demo(root_token: str) -> dict[str, str]:
    """The demo APIs on the captured events' gateway, bound as this deployment's own."""
    return bind_demo()


@pytest.fixture
def moto_server() -> Iterator[str]:
    """A real moto server on loopback, with every client and model pointed at it."""
    with moto_server_on_loopback() as url:
        yield url


@pytest.fixture
def dynamodb_requests() -> Iterator[list[str]]:
    """The names of the DynamoDB requests the authorizer makes from now on, with its cache on
    (60 s) and empty: the first call is cold, the next ones warm."""
    from chalicelib.storage import clients

    names: list[str] = []

    def count(model: Any, **_: Any) -> None:
        names.append(model.name)

    events = clients.dynamodb().meta.events
    with container_cache(60):
        events.register("before-call.dynamodb", count)
        try:
            yield names
        finally:
            events.unregister("before-call.dynamodb", count)
