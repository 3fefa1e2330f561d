"""/v1/gateways: the root token binds API Gateway REST APIs to accounts; APIs live on them."""

from __future__ import annotations

from tests.support.admin import OTHER_GATEWAY, Admin


def account_of(admin: Admin) -> str:
    return str(admin.get("/v1/tokens").body["items"][0]["account_id"])


def test_the_local_gateway_is_the_default_accounts_from_the_start(admin: Admin) -> None:
    [local] = admin.get("/v1/gateways").body["items"]
    assert local["gateway_id"] == "local" and local["account_id"] == "default"
    assert local["checks_bodies"] is True


def test_only_the_root_token_binds_changes_and_unbinds(admin: Admin, other: Admin) -> None:
    account = account_of(other)
    refused = other.post("/v1/gateways", {"gateway_id": "mine12345", "account_id": account})
    assert refused.status == 403 and refused.body["code"] == "Forbidden", refused.body
    assert other.patch(f"/v1/gateways/{OTHER_GATEWAY}", {"name": "x"}).status == 403
    assert other.delete(f"/v1/gateways/{OTHER_GATEWAY}").status == 403
    created = admin.post(
        "/v1/gateways",
        {
            "gateway_id": "a1b2c3d4e5",
            "account_id": account,
            "name": "orders",
            "base_url": "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod",
        },
    )
    assert created.status == 201, created.body
    assert created.body["checks_bodies"] is False  # only this deployment's own gateway
    again = admin.post("/v1/gateways", {"gateway_id": "a1b2c3d4e5", "account_id": "default"})
    assert again.status == 409, again.body
    renamed = admin.patch("/v1/gateways/a1b2c3d4e5", {"name": "orders eu"})
    assert renamed.status == 200 and renamed.body["name"] == "orders eu"
    assert admin.delete("/v1/gateways/a1b2c3d4e5").status == 204
    assert admin.get("/v1/gateways/a1b2c3d4e5").status == 404


def test_binding_to_an_unknown_account_is_404(admin: Admin) -> None:
    reply = admin.post("/v1/gateways", {"gateway_id": "gw1", "account_id": "acc-nobody"})
    assert reply.status == 404, reply.body


def test_root_lists_every_gateway_and_an_account_its_own(admin: Admin, other: Admin) -> None:
    every = {g["gateway_id"] for g in admin.get("/v1/gateways").body["items"]}
    assert every == {"local", OTHER_GATEWAY}
    assert [g["gateway_id"] for g in other.get("/v1/gateways").body["items"]] == [OTHER_GATEWAY]
    assert other.get("/v1/gateways/local").status == 404
    assert other.get(f"/v1/gateways/{OTHER_GATEWAY}").status == 200


def test_an_account_registers_apis_only_on_its_own_gateways(admin: Admin, other: Admin) -> None:
    body = {"name": "n", "method": "GET", "path": "/orders/{id}"}
    assert other.post("/v1/apis", body | {"gateway_id": "local"}).status == 404
    assert admin.post("/v1/apis", body | {"gateway_id": OTHER_GATEWAY}).status == 404
    assert admin.post("/v1/apis", body | {"gateway_id": "no-such-gateway"}).status == 404
    assert other.post("/v1/apis", body).status == 201  # its only gateway, implied
    assert admin.get("/v1/apis").body["items"] == []


def test_gateway_id_is_required_with_several_gateways_and_none_without(
    admin: Admin, other: Admin
) -> None:
    body = {"name": "n", "method": "GET", "path": "/x"}
    admin.post("/v1/gateways", {"gateway_id": "second", "account_id": account_of(other)})
    several = other.post("/v1/apis", body)
    assert several.status == 400 and several.body["field"] == "gateway_id", several.body
    assert other.post("/v1/apis", body | {"gateway_id": "second"}).status == 201
    lonely = admin.post("/v1/accounts", {"name": "no gateway"}).body
    reply = admin.call("POST", "/v1/apis", body, token=lonely["token"])
    assert reply.status == 400 and "POST /v1/gateways" in reply.body["message"], reply.body


def test_apis_show_their_gateway_and_call_url(admin: Admin, other: Admin) -> None:
    base = "https://zzz.execute-api.eu-west-1.amazonaws.com/prod/"
    admin.patch(f"/v1/gateways/{OTHER_GATEWAY}", {"base_url": base})
    api = other.post("/v1/apis", {"name": "n", "method": "GET", "path": "/orders/{id}"}).body
    assert api["gateway_id"] == OTHER_GATEWAY
    assert api["call_url"] == base.rstrip("/") + "/orders/{id}"
    cleared = admin.patch(f"/v1/gateways/{OTHER_GATEWAY}", {"base_url": None})
    assert cleared.status == 200 and cleared.body["base_url"] is None
    assert other.get(f"/v1/apis/{api['api_id']}").body["call_url"] is None


def test_a_gateway_with_apis_neither_changes_hands_nor_goes(admin: Admin, other: Admin) -> None:
    other.post("/v1/apis", {"name": "n", "method": "GET", "path": "/x"})
    moved = admin.patch(f"/v1/gateways/{OTHER_GATEWAY}", {"account_id": "default"})
    assert moved.status == 409, moved.body
    assert admin.delete(f"/v1/gateways/{OTHER_GATEWAY}").status == 409
    [api] = other.get("/v1/apis").body["items"]
    assert other.delete(f"/v1/apis/{api['api_id']}").status == 204
    moved = admin.patch(f"/v1/gateways/{OTHER_GATEWAY}", {"account_id": "default"})
    assert moved.status == 200 and moved.body["account_id"] == "default"
    assert other.get("/v1/gateways").body["items"] == []


def test_bad_gateway_fields_are_400_naming_the_field(admin: Admin) -> None:
    for body in (
        {"gateway_id": "has space", "account_id": "default"},
        {"gateway_id": "", "account_id": "default"},
        {"gateway_id": "g" * 65, "account_id": "default"},
        {"gateway_id": "ok", "account_id": "default", "base_url": "ftp://x"},
        {"gateway_id": "ok", "account_id": "default", "checks_bodies": True},
    ):
        reply = admin.post("/v1/gateways", body)
        assert reply.status == 400 and reply.body["code"] == "ValidationError", (body, reply.body)


def test_the_gateway_that_checks_bodies_cannot_become_an_http_api(admin: Admin) -> None:
    # Its form-bodied calls are deferred to the body check, which no HTTP API runs.
    [local] = [g for g in admin.get("/v1/gateways").body["items"] if g["checks_bodies"]]
    reply = admin.patch(f"/v1/gateways/{local['gateway_id']}", {"type": "http"})
    assert reply.status == 400 and reply.body["field"] == "type", reply.body
    assert admin.get(f"/v1/gateways/{local['gateway_id']}").body["type"] == "rest"
