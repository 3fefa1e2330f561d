"""The tables' codec: every object survives a round trip, and its model writes the same item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pynamodb.models import Model

from chalicelib.domain.admin import Account, Api, Token
from chalicelib.domain.limits import Limit
from chalicelib.domain.objects import App, AppCode, Authorization, Gateway, KeyPair, Route
from chalicelib.storage import items
from chalicelib.storage.models import (
    AccountModel,
    ApiModel,
    AppCodeModel,
    AppModel,
    AuthorizationModel,
    GatewayModel,
    KeyModel,
    PreviousSecretModel,
    RouteModel,
    TokenModel,
)

T = "2026-11-22T05:00:00.000Z"
APP = App(
    "app-1",
    "acc-1",
    "shop",
    "",
    {"env": "prod"},
    {"tier": "gold"},
    True,
    ("10.0.0.0/8",),
    "AKEY12345",
    T,
    T,
    last_used_at=T,
    call_count=3,
)
KEY = KeyPair(
    "AKEY12345",
    "app-1",
    "acc-1",
    "default",
    False,
    True,
    T,
    T,
    b"\x00sealed",
    b"dk",
    expires_at=T,
    previous_secret_expires_at=T,
)
CODE = AppCode("hash", "code-1", "app-1", "acc-1", T, expires_at=None)
GATEWAY = Gateway("gw-1", "acc-1", "orders", None, True, T, T)
GRANT = Authorization(
    "app-1",
    "api#api-1",
    "auth-1",
    "acc-2",
    "acc-1",
    "api-1",
    None,
    ("TEST", "RELEASE"),
    T,
    (Limit("per_minute", 10),),
    T,
)
API = Api("api-1", "acc-2", "gw-1", "get order", "GET", "/orders/{id}", "orders", "", T, T)

CASES: list[tuple[Any, Callable[[Any], Any], Callable[[Any], Any], type[Model]]] = [
    (APP, items.app_item, items.app_of, AppModel),
    (
        APP._replace(tags={}, whitelist=(), last_used_at=None),
        items.app_item,
        items.app_of,
        AppModel,
    ),
    (KEY, items.key_item, items.key_of, KeyModel),
    (CODE, items.appcode_item, items.appcode_of, AppCodeModel),
    (GATEWAY, items.gateway_item, items.gateway_of, GatewayModel),
    (GRANT, items.authorization_item, items.authorization_of, AuthorizationModel),
    (
        GRANT._replace(limits=(), updated_at=None),
        items.authorization_item,
        items.authorization_of,
        AuthorizationModel,
    ),
    (API, items.api_item, items.api_of, ApiModel),
    (Account("acc-1", "shop", T), items.account_item, items.account_of, AccountModel),
    (Token("hash", "tok-1", "acc-1", "ci", True, T), items.token_item, items.token_of, TokenModel),
]

# Each declaration with its model and the attributes the model has that no value holds.
DECLARED: list[tuple[items.Table, type[Model], set[str]]] = [
    (items.APPS, AppModel, set()),
    (items.KEYS, KeyModel, {"purge_at"}),
    (items.APPCODES, AppCodeModel, set()),
    (items.GATEWAYS, GatewayModel, {"api_count", "listed"}),
    (items.APIS, ApiModel, set()),
    (items.ROUTES, RouteModel, {"route", "gateway_id"}),
    (items.AUTHORIZATIONS, AuthorizationModel, set()),
    (items.ACCOUNTS, AccountModel, {"key_count", "listed"}),
    (items.TOKENS, TokenModel, set()),
]


@pytest.mark.parametrize(
    ("table", "model", "not_held"), DECLARED, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_tables_declaration_names_its_models_attributes_with_their_types(
    table: items.Table, model: type[Model], not_held: set[str]
) -> None:
    attributes = model.get_attributes()
    assert set(attributes) == set(table.attributes) | not_held
    for name, kind in table.attributes.items():
        attribute = attributes[name]
        assert (attribute.attr_type, attribute.null) == (kind.type, kind.null), name


@pytest.mark.parametrize(("value", "encode", "decode", "model"), CASES)
def test_an_object_is_read_back_as_written_and_its_model_writes_the_same_item(
    value: Any, encode: Callable[[Any], Any], decode: Callable[[Any], Any], model: type[Model]
) -> None:
    item = encode(value)
    assert decode(item) == value
    assert model.from_raw_data(item).serialize() == item


def test_a_route_item_is_read_back_and_its_model_writes_the_same_item() -> None:
    item = items.route_item("gw-1 GET /orders/{id}", "gw-1", Route("api-1", "acc-2", "orders"))
    assert items.route_of(item) == Route("api-1", "acc-2", "orders")
    assert RouteModel.from_raw_data(item).serialize() == item


def test_a_previous_secret_item_keeps_the_sealed_secret_under_its_own_key() -> None:
    item = items.previous_secret_item(KEY, T, 1_790_000_000)
    assert item["access_key"] == {"S": "AKEY12345#previous"}
    assert items.sealed_secret_of(item) == (KEY.secret_sealed, KEY.data_key_sealed)
    assert PreviousSecretModel.from_raw_data(item).serialize() == item


def test_attributes_a_model_fills_by_default_read_as_the_objects_defaults() -> None:
    assert items.app_of({"app_id": {"S": "app-1"}}).enabled is True
    assert items.key_of({"access_key": {"S": "AKEY12345"}}).call_count == 0
    assert items.gateway_of({"gateway_id": {"S": "gw-1"}}).checks_bodies is False
