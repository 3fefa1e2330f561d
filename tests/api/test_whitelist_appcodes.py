"""AppCodes (/v1/apps/{app_id}/appcodes, /v1/appcodes/{id}) and IP whitelists."""

from __future__ import annotations

import json

import pytest

from tests.support.admin import Admin


@pytest.fixture
def app_id(admin: Admin) -> str:
    return str(admin.post("/v1/apps", {"name": "shop"}).body["app_id"])


def test_appcode_is_shown_once_listed_by_id_and_deleted(admin: Admin, app_id: str) -> None:
    from chalicelib.storage.models import AppCodeModel

    created = admin.post(f"/v1/apps/{app_id}/appcodes")
    assert created.status == 201, created.body
    appcode_id, code = created.body["appcode_id"], created.body["appcode"]
    assert appcode_id and len(code) >= 32
    second = admin.post(f"/v1/apps/{app_id}/appcodes").body
    assert second["appcode"] != code and second["appcode_id"] != appcode_id

    app = admin.get(f"/v1/apps/{app_id}").body
    assert {c["appcode_id"] for c in app["appcodes"]} == {appcode_id, second["appcode_id"]}
    assert code not in json.dumps(app) and second["appcode"] not in json.dumps(app)
    # Stored as a hash only.
    stored = json.dumps([i.serialize() for i in AppCodeModel.scan()])
    assert code not in stored

    assert admin.delete(f"/v1/appcodes/{appcode_id}").status == 204
    assert [c["appcode_id"] for c in admin.get(f"/v1/apps/{app_id}").body["appcodes"]] == [
        second["appcode_id"]
    ]
    again = admin.delete(f"/v1/appcodes/{appcode_id}")
    assert again.status == 404 and again.body["code"] == "NotFound"
    assert admin.post("/v1/apps/app-nope/appcodes").status == 404


def test_whitelist_is_replaced_whole_and_empty_means_any(admin: Admin, app_id: str) -> None:
    url = f"/v1/apps/{app_id}/whitelist"
    assert admin.get(url).body == {"app_id": app_id, "entries": []}
    first = ["192.168.1.10", "192.168.2.*", "10.0.0.0/8"]
    put = admin.put(url, {"entries": first})
    assert put.status == 200 and put.body["entries"] == first, put.body
    assert admin.get(url).body["entries"] == first
    assert admin.put(url, {"entries": ["172.16.0.0/12"]}).body["entries"] == ["172.16.0.0/12"]
    assert admin.get(url).body["entries"] == ["172.16.0.0/12"]
    assert admin.get(f"/v1/apps/{app_id}").body["whitelist"] == ["172.16.0.0/12"]
    assert admin.put(url, {"entries": []}).body["entries"] == []
    assert admin.get(url).body["entries"] == []
    assert admin.get("/v1/apps/app-nope/whitelist").status == 404
    assert admin.put("/v1/apps/app-nope/whitelist", {"entries": []}).status == 404


def test_whitelist_holds_at_most_50_entries(admin: Admin, app_id: str) -> None:
    url = f"/v1/apps/{app_id}/whitelist"
    fifty = [f"10.0.0.{i}" for i in range(50)]
    assert admin.put(url, {"entries": fifty}).status == 200
    refused = admin.put(url, {"entries": [*fifty, "10.0.1.1"]})
    assert refused.status == 400 and "50" in refused.body["message"], refused.body
    assert "entries" in refused.body["message"]
    assert admin.get(url).body["entries"] == fifty


@pytest.mark.parametrize("entry", ["::1", "2001:db8::/32", "fe80::1%eth0", "::ffff:10.0.0.1"])
def test_ipv6_entry_is_refused_with_a_clear_message(admin: Admin, app_id: str, entry: str) -> None:
    url = f"/v1/apps/{app_id}/whitelist"
    reply = admin.put(url, {"entries": ["10.0.0.1", entry]})
    assert reply.status == 400, reply.body
    assert reply.body["code"] == "ValidationError"
    assert "IPv6" in reply.body["message"] and "entries[1]" in reply.body["message"]
    assert entry in reply.body["message"]
    assert admin.get(url).body["entries"] == []


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "1.2.3",
        "256.1.1.1",
        "10.0.0.0/33",
        "10.0.0.1/8",
        "10.0.0.0/255.0.0.0",
        "a.b.c.d",
        "192.*.1.1",
        "*",
        "10.0.0.1 10.0.0.2",
        "example.com",
    ],
)
def test_malformed_entry_is_refused_naming_it(admin: Admin, app_id: str, entry: str) -> None:
    reply = admin.put(f"/v1/apps/{app_id}/whitelist", {"entries": [entry]})
    assert reply.status == 400, reply.body
    assert "entries[0]" in reply.body["message"]


@pytest.mark.parametrize("body", [{"entries": "10.0.0.1"}, {"entries": [1]}, {}, {"entries": None}])
def test_whitelist_body_must_be_a_list_of_strings(admin: Admin, app_id: str, body: object) -> None:
    reply = admin.put(f"/v1/apps/{app_id}/whitelist", body)
    assert reply.status == 400 and "entries" in reply.body["message"], reply.body
