"""/v1/apps/{app_id}/keys and /v1/keys/{access_key}: one key pair."""

from __future__ import annotations

import json

import pytest

from tests.support.admin import Admin


@pytest.fixture
def app_id(admin: Admin) -> str:
    return str(admin.post("/v1/apps", {"name": "shop"}).body["app_id"])


def default_key(admin: Admin, app_id: str) -> str:
    return str(admin.get(f"/v1/apps/{app_id}").body["default_access_key"])


def test_added_key_pair_shows_its_secret_once_and_reveal_shows_it_again(
    admin: Admin, app_id: str
) -> None:
    added = admin.post(f"/v1/apps/{app_id}/keys", {"name": "ci", "access_key": "CiKey0001"})
    assert added.status == 201, added.body
    assert added.body["access_key"] == "CiKey0001" and added.body["name"] == "ci"
    assert added.body["is_default"] is False and added.body["enabled"] is True
    secret = added.body["secret"]
    assert len(secret) >= 43

    got = admin.get("/v1/keys/CiKey0001")
    assert got.status == 200 and "secret" not in got.body
    assert got.body["app_id"] == app_id and got.body["last_used_at"] is None
    assert "secret" not in admin.get("/v1/keys/CiKey0001?reveal=false").body
    revealed = admin.get("/v1/keys/CiKey0001?reveal=true")
    assert revealed.status == 200 and revealed.body["secret"] == secret
    # The reveal is audited, and the event carries no secret.
    [event] = admin.get("/v1/audit?action=key.reveal").body["items"]
    assert event["object_type"] == "key" and event["object_id"] == "CiKey0001"
    assert secret not in json.dumps(event)
    assert admin.get("/v1/keys/CiKey0001?reveal=maybe").status == 400

    unnamed = admin.post(f"/v1/apps/{app_id}/keys")
    assert unnamed.status == 201 and unnamed.body["secret"] != secret
    assert admin.post("/v1/apps/app-nope/keys", {}).status == 404


def test_rename_disable_and_enable_a_key(admin: Admin, app_id: str) -> None:
    key = default_key(admin, app_id)
    renamed = admin.patch(f"/v1/keys/{key}", {"name": "primary"})
    assert renamed.status == 200 and renamed.body["name"] == "primary"
    disabled = admin.patch(f"/v1/keys/{key}", {"enabled": False})
    assert disabled.status == 200 and disabled.body["enabled"] is False
    assert admin.get(f"/v1/keys/{key}").body["enabled"] is False
    assert admin.get(f"/v1/keys/{key}").body["name"] == "primary"
    assert admin.patch(f"/v1/keys/{key}", {"enabled": True}).body["enabled"] is True
    assert "secret" not in renamed.body and "secret" not in disabled.body
    assert admin.patch("/v1/keys/NoSuchKey1", {"name": "x"}).status == 404


def test_changing_the_access_key_issues_a_new_secret_and_retires_the_old_key(
    admin: Admin, app_id: str
) -> None:
    old = default_key(admin, app_id)
    old_secret = admin.get(f"/v1/keys/{old}?reveal=true").body["secret"]
    changed = admin.patch(f"/v1/keys/{old}", {"access_key": "Renamed01", "name": "main"})
    assert changed.status == 200, changed.body
    assert changed.body["access_key"] == "Renamed01" and changed.body["name"] == "main"
    assert changed.body["is_default"] is True
    assert len(changed.body["secret"]) >= 43 and changed.body["secret"] != old_secret
    assert admin.get(f"/v1/keys/{old}").status == 404
    assert admin.get("/v1/keys/Renamed01?reveal=true").body["secret"] == changed.body["secret"]
    app = admin.get(f"/v1/apps/{app_id}").body
    assert app["default_access_key"] == "Renamed01"
    assert [k["access_key"] for k in app["keys"]] == ["Renamed01"]


def test_changing_to_a_taken_or_invalid_access_key_is_refused(
    admin: Admin, other: Admin, app_id: str
) -> None:
    key = default_key(admin, app_id)
    other.post("/v1/apps", {"name": "theirs", "access_key": "Taken0001"})
    taken = admin.patch(f"/v1/keys/{key}", {"access_key": "Taken0001"})
    assert taken.status == 409 and taken.body["code"] == "Conflict", taken.body
    for bad in ("short", "x" * 33, "", "bad-key-1"):
        reply = admin.patch(f"/v1/keys/{key}", {"access_key": bad})
        assert reply.status == 400 and "access_key" in reply.body["message"], (bad, reply.body)
    assert admin.get(f"/v1/keys/{key}").status == 200
    assert other.get("/v1/keys/Taken0001").body["app_id"] != app_id


def test_reset_secret_gives_a_different_secret(admin: Admin, app_id: str) -> None:
    key = default_key(admin, app_id)
    before = admin.get(f"/v1/keys/{key}?reveal=true").body["secret"]
    reset = admin.post(f"/v1/keys/{key}/reset-secret")
    assert reset.status == 200, reset.body
    assert reset.body["access_key"] == key
    assert len(reset.body["secret"]) >= 43 and reset.body["secret"] != before
    assert admin.get(f"/v1/keys/{key}?reveal=true").body["secret"] == reset.body["secret"]
    assert admin.post("/v1/keys/NoSuchKey1/reset-secret").status == 404


def test_delete_default_pair_is_refused_even_when_disabled(admin: Admin, app_id: str) -> None:
    key = default_key(admin, app_id)
    admin.patch(f"/v1/keys/{key}", {"enabled": False})
    reply = admin.delete(f"/v1/keys/{key}")
    assert reply.status == 409 and reply.body["code"] == "Conflict", reply.body
    assert "default" in reply.body["message"]
    assert admin.get(f"/v1/keys/{key}").status == 200


def test_delete_enabled_pair_is_refused(admin: Admin, app_id: str) -> None:
    key = admin.post(f"/v1/apps/{app_id}/keys", {}).body["access_key"]
    reply = admin.delete(f"/v1/keys/{key}")
    assert reply.status == 409 and "disable" in reply.body["message"], reply.body
    assert admin.get(f"/v1/keys/{key}").status == 200


def test_delete_disabled_non_default_pair_frees_its_slot(admin: Admin, app_id: str) -> None:
    from chalicelib.storage.models import AccountModel

    key = admin.post(f"/v1/apps/{app_id}/keys", {}).body["access_key"]
    assert AccountModel.get("default").key_count == 2
    admin.patch(f"/v1/keys/{key}", {"enabled": False})
    reply = admin.delete(f"/v1/keys/{key}")
    assert reply.status == 204 and reply.body is None
    assert admin.get(f"/v1/keys/{key}").status == 404
    assert AccountModel.get("default").key_count == 1
    assert [k["access_key"] for k in admin.get(f"/v1/apps/{app_id}").body["keys"]] == [
        default_key(admin, app_id)
    ]
    assert admin.delete(f"/v1/keys/{key}").status == 404
    # The freed access key can be used again.
    assert admin.post(f"/v1/apps/{app_id}/keys", {"access_key": key}).status == 201
