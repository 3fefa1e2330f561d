"""GET /v1/apps/{app_id} names the other accounts' APIs its grants cover, with their call URLs
(issue 19, item 2): the app's owner cannot list another account's APIs, yet must know where
to call."""

from __future__ import annotations

from tests.support.admin import Admin


def _provider(admin: Admin, name: str) -> Admin:
    created = admin.post("/v1/accounts", {"name": name}).body
    gateway = {
        "gateway_id": f"gw-{name}",
        "account_id": created["account_id"],
        "base_url": f"https://{name}.example.com/prod/",
    }
    assert admin.post("/v1/gateways", gateway).status == 201
    return Admin(admin.client, created["token"])


def test_an_app_shows_the_apis_another_account_granted_and_where_to_call_them(
    admin: Admin,
) -> None:
    app_id = admin.post("/v1/apps", {"name": "caller"}).body["app_id"]
    provider = _provider(admin, "partner")
    api = {"method": "GET", "group": "orders"}
    one = provider.post("/v1/apis", {**api, "name": "one", "path": "/orders"}).body
    two = provider.post("/v1/apis", {**api, "name": "two", "path": "/orders/{id}"}).body
    other = provider.post("/v1/apis", {"name": "other", "method": "GET", "path": "/x"}).body
    by_api = provider.post("/v1/authorizations", {"app_id": app_id, "api_id": other["api_id"]})
    by_group = provider.post("/v1/authorizations", {"app_id": app_id, "group": "orders"})
    # The owner's own grant on its own API is not repeated there (the owner lists its APIs).
    own_api = admin.post("/v1/apis", {"name": "mine", "method": "GET", "path": "/mine"}).body
    admin.post("/v1/authorizations", {"app_id": app_id, "api_id": own_api["api_id"]})

    detail = admin.get(f"/v1/apps/{app_id}").body
    shown = {(a["authorization_id"], a["name"], a["call_url"]) for a in detail["granted_apis"]}
    assert shown == {
        (by_api.body["authorization_id"], "other", "https://partner.example.com/prod/x"),
        (by_group.body["authorization_id"], "one", "https://partner.example.com/prod/orders"),
        (by_group.body["authorization_id"], "two", "https://partner.example.com/prod/orders/{id}"),
    }
    assert {a["api_id"] for a in detail["granted_apis"]} == {
        one["api_id"],
        two["api_id"],
        other["api_id"],
    }


def test_an_app_without_grants_of_other_accounts_shows_none(admin: Admin) -> None:
    app_id = admin.post("/v1/apps", {"name": "alone"}).body["app_id"]
    admin.post("/v1/authorizations", {"app_id": app_id, "all": True})
    assert admin.get(f"/v1/apps/{app_id}").body["granted_apis"] == []
