"""A write built on what was read must not undo a delete that came in between: each
transaction's condition names the NotFound it means (``storage/``), and nothing stray is
left behind. The read is done, the object deleted, then the stale write is sent."""

from __future__ import annotations

import pytest

from chalicelib.domain.admin import KeyPair
from chalicelib.domain.errors import NotFound
from chalicelib.storage import apis as api_store
from chalicelib.storage import gateways as gateway_store
from chalicelib.storage import keys as key_store
from chalicelib.storage.transactions import write
from tests.support.admin import Admin

NOW = "2026-11-30T00:00:00.000Z"


def deleted_key(admin: Admin) -> KeyPair:
    """A key pair as read before it was deleted."""
    app = admin.post("/v1/apps", {"name": "racing"}).body
    extra = admin.post(f"/v1/apps/{app['app_id']}/keys", {}).body
    key = key_store.get_key(extra["access_key"])
    assert key is not None
    admin.patch(f"/v1/keys/{key.access_key}", {"enabled": False})
    assert admin.delete(f"/v1/keys/{key.access_key}").status == 204
    return key


def test_ending_a_grace_of_a_key_deleted_meanwhile_is_a_404_and_brings_nothing_back(
    admin: Admin,
) -> None:
    key = deleted_key(admin)
    with pytest.raises(NotFound):
        write(key_store.end_grace(key, NOW))
    assert key_store.get_key(key.access_key) is None


def test_renaming_a_key_deleted_meanwhile_is_a_404_and_adds_no_key(admin: Admin) -> None:
    key = deleted_key(admin)
    renamed = key._replace(access_key="RenamedAfterDelete1")
    with pytest.raises(NotFound):
        write(key_store.rename_key(key, renamed))
    assert key_store.get_key("RenamedAfterDelete1") is None


def test_changing_an_api_deleted_meanwhile_is_a_404_not_a_500(admin: Admin) -> None:
    created = admin.post("/v1/apis", {"name": "racing", "method": "GET", "path": "/racing"})
    assert created.status == 201, created.body
    api = api_store.get_api(created.body["api_id"])
    assert api is not None
    assert admin.delete(f"/v1/apis/{api.api_id}").status == 204
    with pytest.raises(NotFound):
        write(api_store.replace_api(api, api.__class__(**{**api.__dict__, "name": "renamed"})))
    assert api_store.get_api(api.api_id) is None


def test_saving_a_gateway_deleted_meanwhile_is_a_404_and_does_not_bring_it_back(
    admin: Admin,
) -> None:
    made = admin.post("/v1/gateways", {"gateway_id": "gwracing01", "account_id": "default"})
    assert made.status == 201, made.body
    gateway = gateway_store.get_gateway("gwracing01")
    assert gateway is not None
    assert admin.delete("/v1/gateways/gwracing01").status == 204
    with pytest.raises(NotFound):
        write(gateway_store.replace_gateway(gateway))
    assert gateway_store.get_gateway("gwracing01") is None


def test_a_gateway_cannot_change_hands_or_go_under_an_api_registered_meanwhile(
    admin: Admin, other: Admin
) -> None:
    """Root read the gateway with no API on it; the account registered one before root wrote."""
    from chalicelib.domain.errors import Conflict

    made = admin.post("/v1/gateways", {"gateway_id": "gwracing02", "account_id": "default"})
    assert made.status == 201, made.body
    gateway = gateway_store.get_gateway("gwracing02")
    assert gateway is not None
    api = admin.post(
        "/v1/apis", {"name": "late", "method": "GET", "path": "/late", "gateway_id": "gwracing02"}
    )
    assert api.status == 201, api.body
    [other_gateway] = other.get("/v1/gateways").body["items"]
    moved = gateway._replace(account_id=other_gateway["account_id"])
    with pytest.raises(Conflict):
        write(gateway_store.replace_gateway(moved, moved=True))
    with pytest.raises(Conflict):
        write(gateway_store.delete_gateway(gateway))
    # Once the API is gone, both go through.
    assert admin.delete(f"/v1/apis/{api.body['api_id']}").status == 204
    write(gateway_store.replace_gateway(moved, moved=True))
    kept = gateway_store.get_gateway("gwracing02")
    assert kept is not None and kept.account_id == other_gateway["account_id"]
