"""Issue 21 end to end, with the real Alibaba signing client against the local run: a provider
account authorizes another account's access key (JD Cloud's flow), a key pair's own whitelist,
a custom AppSecret and a changed AppCode (Alibaba's). The verdicts are the unit matrix's; here
what only real clients over HTTP show."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aliyun_api_gateway import ApiGatewayRequest, ApiGatewayResponse

from tests.support.local_server import LocalRun, TestApp, send

pytestmark = pytest.mark.e2e

HELLO = "/demo/hello"
CUSTOM_SECRET = "e2e-custom-secret_" + "0123456789abcdef"  # 34 characters


def hello(local: LocalRun, access_key: str, secret: str) -> ApiGatewayResponse:
    pair = TestApp("", access_key, secret, {})
    return send(local.client(pair).sign(ApiGatewayRequest("GET", HELLO)))


def verdict(response: ApiGatewayResponse) -> str:
    return response.get_header("X-Ca-Error-Code") or str(response.status)


def appcode_call(local: LocalRun, code: str) -> str:
    from aliyun_api_gateway import SignedRequest

    request = SignedRequest(
        method="GET",
        url=local.base_url + HELLO,
        headers={"Authorization": f"APPCODE {code}"},
        body=None,
        canonical_resource=HELLO,
        string_to_sign="",
    )
    return verdict(send(request))


@pytest.fixture
def partner(local: LocalRun) -> dict[str, Any]:
    """Another account's app with two key pairs; the caller's token to manage it."""
    account = local.ok(local.post("/v1/accounts", {"name": f"partner-{uuid.uuid4().hex[:6]}"}), 201)
    token = account["token"]
    app = local.ok(local.post("/v1/apps", {"name": "partner"}, token=token), 201)
    second = local.ok(local.post(f"/v1/apps/{app['app_id']}/keys", {}, token=token), 201)
    return {
        "token": token,
        "app_id": app["app_id"],
        "first": (app["keys"][0]["access_key"], app["keys"][0]["secret"]),
        "second": (second["access_key"], second["secret"]),
    }


def test_a_provider_authorizes_another_accounts_access_key_and_it_survives_a_new_key(
    local: LocalRun, partner: dict[str, Any]
) -> None:
    token = partner["token"]
    first_key, first_secret = partner["first"]
    assert verdict(hello(local, first_key, first_secret)) == "NOT_AUTHORIZED"
    # The caller hands the provider its access key; the provider (root) authorizes it.
    grant = local.ok(
        local.post("/v1/authorizations", {"access_key": first_key, "group": "demo"}), 201
    )
    assert grant["access_key"] == first_key and grant["app_id"] == partner["app_id"]

    assert verdict(hello(local, first_key, first_secret)) == "200"
    assert verdict(hello(local, *partner["second"])) == "NOT_AUTHORIZED"

    # The caller changes its access key: the grant follows the pair.
    changed = local.ok(
        local.patch(
            f"/v1/keys/{first_key}", {"access_key": "E2eMoved" + uuid.uuid4().hex[:8]}, token=token
        )
    )
    new_key, new_secret = changed["access_key"], changed["secret"]
    assert verdict(hello(local, new_key, new_secret)) == "200"
    assert verdict(hello(local, first_key, first_secret)) == "INVALID_KEY"
    [seen] = local.ok(local.get(f"/v1/authorizations?access_key={new_key}"))["items"]
    assert seen["authorization_id"] == grant["authorization_id"]


def test_a_key_pairs_own_whitelist_refuses_a_call_the_apps_allows(
    local: LocalRun, partner: dict[str, Any]
) -> None:
    token = partner["token"]
    local.ok(local.post("/v1/authorizations", {"app_id": partner["app_id"], "group": "demo"}), 201)
    app_list = {"entries": ["127.0.0.1"]}
    local.ok(local.put(f"/v1/apps/{partner['app_id']}/whitelist", app_list, token=token))
    first_key, first_secret = partner["first"]
    assert verdict(hello(local, first_key, first_secret)) == "200"
    local.ok(local.put(f"/v1/keys/{first_key}/whitelist", {"entries": ["10.0.0.0/8"]}, token=token))
    assert verdict(hello(local, first_key, first_secret)) == "IP_NOT_ALLOWED"
    assert verdict(hello(local, *partner["second"])) == "200"


def test_a_custom_secret_and_a_changed_appcode_verify_and_the_old_values_do_not(
    local: LocalRun,
) -> None:
    app = local.new_app()
    old_secret = app.secret
    local.ok(local.patch(f"/v1/keys/{app.access_key}", {"secret": CUSTOM_SECRET}))
    assert verdict(hello(local, app.access_key, CUSTOM_SECRET)) == "200"
    assert verdict(hello(local, app.access_key, old_secret)) == "INVALID_SIGNATURE"

    code = "e2e-appcode-" + uuid.uuid4().hex  # 44 characters
    created = local.ok(local.post(f"/v1/apps/{app.app_id}/appcodes", {"appcode": code}), 201)
    assert appcode_call(local, code) == "200"
    new_code = "e2e-appcode-changed-" + uuid.uuid4().hex
    local.ok(local.patch(f"/v1/appcodes/{created['appcode_id']}", {"appcode": new_code}))
    assert appcode_call(local, new_code) == "200"
    assert appcode_call(local, code) == "INVALID_APPCODE"
