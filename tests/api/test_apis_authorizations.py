"""/v1/apis and /v1/authorizations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.admin import OTHER_GATEWAY, Admin

ALL_STAGES = ["TEST", "PRE", "RELEASE"]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def new_api(admin: Admin, path: str = "/orders/{id}", method: str = "GET", **extra: str) -> str:
    reply = admin.post("/v1/apis", {"name": "orders", "method": method, "path": path, **extra})
    assert reply.status == 201, reply.body
    return str(reply.body["api_id"])


def register(admin: Admin, method: str, path: str) -> int:
    return admin.post("/v1/apis", {"name": "n", "method": method, "path": path}).status


def new_app(admin: Admin, name: str = "caller") -> str:
    return str(admin.post("/v1/apps", {"name": name}).body["app_id"])


def test_api_is_created_listed_read_changed_and_deleted(admin: Admin) -> None:
    created = admin.post(
        "/v1/apis",
        {"name": "orders", "method": "GET", "path": "/orders/{id}", "group": "shop",
         "description": "one order"},
    )
    assert created.status == 201, created.body
    api = created.body
    assert (api["method"], api["path"], api["group"]) == ("GET", "/orders/{id}", "shop")
    assert api["account_id"] == "default" and api["description"] == "one order"
    assert TIME.match(api["created_at"]) and TIME.match(api["updated_at"])
    api_id = api["api_id"]
    assert [a["api_id"] for a in admin.get("/v1/apis").body["items"]] == [api_id]
    assert admin.get(f"/v1/apis/{api_id}").body == api

    patched = admin.patch(f"/v1/apis/{api_id}", {"path": "/v2/orders/{id}", "method": "PUT",
                                                  "name": "orders v2", "group": "shop2"})
    assert patched.status == 200, patched.body
    got = admin.get(f"/v1/apis/{api_id}").body
    assert (got["method"], got["path"], got["name"], got["group"]) == (
        "PUT", "/v2/orders/{id}", "orders v2", "shop2"
    )
    # The old method + path is free again; the new one is taken.
    assert register(admin, "GET", "/orders/{id}") == 201
    taken = admin.post("/v1/apis", {"name": "o", "method": "PUT", "path": "/v2/orders/{id}"})
    assert taken.status == 409, taken.body

    assert admin.delete(f"/v1/apis/{api_id}").status == 204
    assert admin.get(f"/v1/apis/{api_id}").status == 404
    assert admin.delete(f"/v1/apis/{api_id}").status == 404
    assert register(admin, "PUT", "/v2/orders/{id}") == 201


def test_same_method_and_path_twice_on_one_gateway_is_409(admin: Admin) -> None:
    new_api(admin)
    again = admin.post("/v1/apis", {"name": "dup", "method": "GET", "path": "/orders/{id}"})
    assert again.status == 409 and again.body["code"] == "Conflict", again.body
    assert "gateway local" in again.body["message"]
    # Another method on the same path is another API.
    assert register(admin, "POST", "/orders/{id}") == 201


def test_two_accounts_gateways_may_both_have_a_route(admin: Admin, other: Admin) -> None:
    mine = new_api(admin)
    theirs = new_api(other)
    assert admin.get(f"/v1/apis/{mine}").body["gateway_id"] == "local"
    assert other.get(f"/v1/apis/{theirs}").body["gateway_id"] == OTHER_GATEWAY
    assert [a["api_id"] for a in other.get("/v1/apis").body["items"]] == [theirs]


def test_patching_an_api_onto_a_taken_route_is_409_and_changes_nothing(admin: Admin) -> None:
    first = new_api(admin, "/a")
    second = new_api(admin, "/b")
    reply = admin.patch(f"/v1/apis/{second}", {"path": "/a"})
    assert reply.status == 409, reply.body
    assert admin.get(f"/v1/apis/{second}").body["path"] == "/b"
    assert admin.get(f"/v1/apis/{first}").body["path"] == "/a"
    assert register(admin, "GET", "/b") == 409


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("method", "FETCH"),
        ("method", "get "),
        ("method", ""),
        ("method", 1),
        ("path", "orders"),
        ("path", ""),
        ("path", "/orders?x=1"),
        ("path", "/a b"),
        ("path", "/" + "a" * 600),
        ("group", "has space"),
        ("group", ""),
        ("name", ""),
    ],
)
def test_bad_api_fields_are_400_naming_the_field(admin: Admin, field: str, value: object) -> None:
    body = {"name": "x", "method": "GET", "path": "/ok", field: value}
    reply = admin.post("/v1/apis", body)
    assert reply.status == 400 and field in reply.body["message"], reply.body
    api_id = new_api(admin, "/fine")
    patched = admin.patch(f"/v1/apis/{api_id}", {field: value})
    assert patched.status == 400 and field in patched.body["message"], patched.body


def test_authorize_by_api_group_and_all_with_default_stages(admin: Admin) -> None:
    app_id = new_app(admin)
    api_id = new_api(admin, group="shop")
    by_api = admin.post("/v1/authorizations", {"app_id": app_id, "api_id": api_id})
    assert by_api.status == 201, by_api.body
    assert by_api.body["api_id"] == api_id and by_api.body["stages"] == ALL_STAGES
    assert by_api.body["expires_at"] is None and by_api.body["all"] is False
    assert by_api.body["provider_account_id"] == "default"
    by_group = admin.post(
        "/v1/authorizations", {"app_id": app_id, "group": "shop", "stages": ["TEST", "PRE"]}
    )
    assert by_group.status == 201 and by_group.body["group"] == "shop"
    assert by_group.body["stages"] == ["TEST", "PRE"]
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    everything = admin.post(
        "/v1/authorizations", {"app_id": app_id, "all": True, "expires_at": later}
    )
    assert everything.status == 201 and everything.body["all"] is True
    assert everything.body["expires_at"] == later[:-1] + ".000Z"
    assert TIME.match(everything.body["created_at"])
    listed = admin.get(f"/v1/authorizations?app_id={app_id}").body["items"]
    assert {a["authorization_id"] for a in listed} == {
        by_api.body["authorization_id"],
        by_group.body["authorization_id"],
        everything.body["authorization_id"],
    }


@pytest.mark.parametrize(
    "target",
    [
        {},
        {"all": False},
        {"api_id": "API", "group": "shop"},
        {"api_id": "API", "all": True},
        {"group": "shop", "all": True},
        {"api_id": "API", "group": "shop", "all": True},
    ],
)
def test_exactly_one_of_api_id_group_or_all_is_required(
    admin: Admin, target: dict[str, object]
) -> None:
    app_id = new_app(admin)
    api_id = new_api(admin, group="shop")
    body = {"app_id": app_id, **{k: api_id if v == "API" else v for k, v in target.items()}}
    reply = admin.post("/v1/authorizations", body)
    assert reply.status == 400, reply.body
    assert "api_id" in reply.body["message"] and "group" in reply.body["message"]
    assert admin.get("/v1/authorizations").body["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"expires_at": "2020-01-01T00:00:00Z"},
        {"expires_at": "not a time"},
        {"expires_at": "9999-12-31T23:59:59-14:00"},
        {"stages": []},
        {"stages": ["PROD"]},
        {"stages": "TEST"},
        {"all": "maybe"},
    ],
)
def test_bad_authorization_fields_are_400(admin: Admin, body: dict[str, object]) -> None:
    app_id = new_app(admin)
    reply = admin.post("/v1/authorizations", {"app_id": app_id, "all": True, **body})
    assert reply.status == 400, reply.body
    assert next(iter(body)) in reply.body["message"]


def test_unknown_app_or_api_is_404(admin: Admin, other: Admin) -> None:
    app_id = new_app(admin)
    missing_app = admin.post("/v1/authorizations", {"app_id": "app-nope", "all": True})
    assert missing_app.status == 404 and missing_app.body["code"] == "NotFound"
    missing_api = admin.post("/v1/authorizations", {"app_id": app_id, "api_id": "api-nope"})
    assert missing_api.status == 404
    theirs = new_api(other, "/theirs")
    assert admin.post("/v1/authorizations", {"app_id": app_id, "api_id": theirs}).status == 404


def test_duplicate_authorization_is_409(admin: Admin) -> None:
    app_id = new_app(admin)
    api_id = new_api(admin)
    assert admin.post("/v1/authorizations", {"app_id": app_id, "api_id": api_id}).status == 201
    again = admin.post(
        "/v1/authorizations", {"app_id": app_id, "api_id": api_id, "stages": ["TEST"]}
    )
    assert again.status == 409 and again.body["code"] == "Conflict", again.body
    assert len(admin.get("/v1/authorizations").body["items"]) == 1


def test_an_account_authorizes_another_accounts_app_without_seeing_it(
    admin: Admin, other: Admin
) -> None:
    their_app = new_app(admin, "their app")
    their_secret_key = admin.get(f"/v1/apps/{their_app}").body["default_access_key"]
    my_api = new_api(other, "/partner/{id}")
    grant = other.post("/v1/authorizations", {"app_id": their_app, "api_id": my_api})
    assert grant.status == 201, grant.body
    assert grant.body["provider_account_id"] != "default"
    assert their_secret_key not in str(grant.body)
    hidden = other.get(f"/v1/apps/{their_app}")
    assert hidden.status == 404
    assert other.get(f"/v1/keys/{their_secret_key}").status == 404
    listed = other.get(f"/v1/authorizations?app_id={their_app}").body["items"]
    assert [a["authorization_id"] for a in listed] == [grant.body["authorization_id"]]
    # The app's owner sees the grant on its app, but cannot revoke what it did not grant.
    seen = admin.get(f"/v1/apps/{their_app}").body["authorizations"]
    assert [a["authorization_id"] for a in seen] == [grant.body["authorization_id"]]
    assert admin.get("/v1/authorizations").body["items"] == []
    refused = admin.delete(f"/v1/authorizations/{grant.body['authorization_id']}")
    assert refused.status == 404
    assert len(other.get("/v1/authorizations").body["items"]) == 1
    assert other.delete(f"/v1/authorizations/{grant.body['authorization_id']}").status == 204
    assert other.get("/v1/authorizations").body["items"] == []


def test_list_authorizations_filters_by_app_and_api_and_revoke(admin: Admin) -> None:
    app_a, app_b = new_app(admin, "a"), new_app(admin, "b")
    api_x, api_y = new_api(admin, "/x"), new_api(admin, "/y")
    grants = {}
    for app_id, api_id in ((app_a, api_x), (app_a, api_y), (app_b, api_x)):
        reply = admin.post("/v1/authorizations", {"app_id": app_id, "api_id": api_id})
        grants[(app_id, api_id)] = reply.body["authorization_id"]

    def listed(query: str) -> set[str]:
        reply = admin.get(f"/v1/authorizations?{query}")
        assert reply.status == 200, reply.body
        return {a["authorization_id"] for a in reply.body["items"]}

    assert listed(f"app_id={app_a}") == {grants[(app_a, api_x)], grants[(app_a, api_y)]}
    assert listed(f"api_id={api_x}") == {grants[(app_a, api_x)], grants[(app_b, api_x)]}
    assert listed(f"app_id={app_b}&api_id={api_x}") == {grants[(app_b, api_x)]}
    assert listed("app_id=app-nope") == set()
    first = admin.get("/v1/authorizations?limit=2").body
    rest = admin.get(f"/v1/authorizations?limit=2&cursor={first['next_cursor']}").body
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None

    revoked = grants[(app_a, api_y)]
    assert admin.delete(f"/v1/authorizations/{revoked}").status == 204
    assert revoked not in listed("")
    assert admin.delete(f"/v1/authorizations/{revoked}").status == 404
    # Deleting an API takes its authorizations with it.
    assert admin.delete(f"/v1/apis/{api_x}").status == 204
    assert listed("") == set()
    assert admin.get(f"/v1/apps/{app_a}").body["authorizations"] == []
