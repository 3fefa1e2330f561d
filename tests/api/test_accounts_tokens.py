"""/v1/accounts and /v1/tokens, and the Bearer-token check in front of every admin route."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.admin import Admin


def test_root_token_creates_an_account_whose_token_works(admin: Admin) -> None:
    created = admin.post("/v1/accounts", {"name": "acme"})
    assert created.status == 201, created.body
    assert set(created.body) == {"account_id", "name", "token"}
    assert created.body["name"] == "acme"
    fresh = Admin(admin.client, created.body["token"])
    assert fresh.get("/v1/apps").body == {"items": [], "next_cursor": None}
    listed = fresh.get("/v1/tokens")
    assert listed.status == 200
    # Shown once: no listing carries the value again.
    assert len(listed.body["items"]) == 1
    assert "token" not in listed.body["items"][0]
    assert created.body["token"] not in str(listed.body)
    assert listed.body["items"][0]["account_id"] == created.body["account_id"]


def test_only_the_root_token_creates_accounts(admin: Admin, other: Admin) -> None:
    refused = other.post("/v1/accounts", {"name": "nope"})
    assert refused.status == 403
    assert refused.body["code"] == "Forbidden" and refused.body["message"]
    # A token the root account makes through /v1/tokens is not root either.
    extra = Admin(admin.client, admin.post("/v1/tokens", {"name": "ci"}).body["token"])
    assert extra.post("/v1/accounts", {"name": "nope"}).status == 403
    assert admin.post("/v1/accounts", {"name": "yes"}).status == 201


def test_tokens_are_created_listed_without_values_and_revoked(admin: Admin) -> None:
    created = admin.post("/v1/tokens", {"name": "deploy"})
    assert created.status == 201, created.body
    value, token_id = created.body["token"], created.body["token_id"]
    assert created.body["name"] == "deploy" and created.body["is_root"] is False
    holder = Admin(admin.client, value)
    assert holder.get("/v1/apps").status == 200

    listed = admin.get("/v1/tokens").body["items"]
    assert {t["name"] for t in listed} == {"root", "deploy"}
    assert all("token" not in t for t in listed)
    assert value not in str(listed)

    assert admin.delete(f"/v1/tokens/{token_id}").status == 204
    refused = holder.get("/v1/apps")
    assert refused.status == 401
    assert refused.body["code"] and refused.body["message"]
    assert token_id not in {t["token_id"] for t in admin.get("/v1/tokens").body["items"]}
    again = admin.delete(f"/v1/tokens/{token_id}")
    assert again.status == 404 and again.body["code"] == "NotFound"


def test_a_token_holder_may_revoke_its_own_token(admin: Admin) -> None:
    created = admin.post("/v1/tokens", {"name": "self"}).body
    holder = Admin(admin.client, created["token"])
    assert holder.delete(f"/v1/tokens/{created['token_id']}").status == 204
    assert holder.get("/v1/tokens").status == 401


def test_token_listing_walks_pages(admin: Admin) -> None:
    for index in range(4):
        admin.post("/v1/tokens", {"name": f"t{index}"})
    seen: list[str] = []
    url = "/v1/tokens?limit=2"
    while True:
        page = admin.get(url)
        assert page.status == 200, page.body
        assert len(page.body["items"]) <= 2
        seen += [t["token_id"] for t in page.body["items"]]
        if page.body["next_cursor"] is None:
            break
        url = f"/v1/tokens?limit=2&cursor={page.body['next_cursor']}"
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "garbage",
        "Bearer",
        "Bearer ",
        "Bearer not-a-token",
        "Basic cm9vdDpyb290",
        "Token root-token-for-tests",
        "root-token-for-tests",
    ],
)
def test_garbage_authorization_header_is_401_with_json_body(
    client: Any, root_token: str, authorization: str
) -> None:
    for method, path in (("GET", "/v1/apps"), ("POST", "/v1/apps"), ("DELETE", "/v1/tokens/x")):
        response = client.http.request(
            method, path, headers={"Authorization": authorization}, body=b"{}"
        )
        assert response.status_code == 401, (method, path, response.body)
        body = json.loads(response.body)
        assert body["code"] == "Unauthenticated" and body["message"]


def test_missing_authorization_header_is_401_with_json_body(client: Any, root_token: str) -> None:
    response = client.http.request("GET", "/v1/apps")
    assert response.status_code == 401
    body = json.loads(response.body)
    assert body["code"] == "Unauthenticated" and body["message"]


def test_missing_authorization_header_is_401(client: Any, root_token: str) -> None:
    for method, path in (("GET", "/v1/apps"), ("POST", "/v1/tokens"), ("GET", "/v1/keys/k")):
        assert client.http.request(method, path).status_code == 401
