"""Issue 21 in a real Chromium: a provider authorizes another account's access key from the
authorize dialog (which says whether it got an app id or an access key); the caller finds the
grant on its key pair, gives the pair its own whitelist and a custom secret, and brings its
own AppCode and changes it. Checked against real signed calls; English and Chinese."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aliyun_api_gateway import ApiGatewayRequest

from tests.support.console import Console
from tests.support.local_server import LocalRun, TestApp, send

pytestmark = pytest.mark.browser

CUSTOM_SECRET = "browser-custom-secret_0123456789ab"


def _verdict(run: LocalRun, access_key: str, secret: str) -> str:
    pair = TestApp("", access_key, secret, {})
    response = send(run.client(pair).sign(ApiGatewayRequest("GET", "/demo/hello")))
    return response.get_header("X-Ca-Error-Code") or str(response.status)


def _appcode_verdict(run: LocalRun, code: str) -> int:
    reply = run.get("/demo/hello", auth=False, headers={"Authorization": f"APPCODE {code}"})
    return reply.status


@pytest.fixture
def partner(console: Console) -> dict[str, Any]:
    run = console.run
    account = run.ok(run.post("/v1/accounts", {"name": f"jd-{uuid.uuid4().hex[:6]}"}), 201)
    token = account["token"]
    app = run.ok(run.post("/v1/apps", {"name": "customer-system"}, token=token), 201)
    second = run.ok(run.post(f"/v1/apps/{app['app_id']}/keys", {"name": "ci"}, token=token), 201)
    return {
        "token": token,
        "app_id": app["app_id"],
        "key": app["keys"][0]["access_key"],
        "secret": app["keys"][0]["secret"],
        "second": (second["access_key"], second["secret"]),
    }


def _sign_in_as(console: Console, token: str) -> None:
    """Sign out, then in with another account's token."""
    console.page.click("#signout")
    console.page.wait_for_selector("#token")
    console.sign_in(token)


def _authorize_key(console: Console, access_key: str, kind_text: str, shot: str) -> None:
    page = console.page
    page.click("nav a[href='#/apis']")
    page.click("#authorize-open")
    page.check("#target-group")
    page.select_option("#grant-group", "demo")
    page.check("#appsource-other")
    page.fill("#grant-other-app", "app-0123456789abcdef")
    page.wait_for_selector("#grantee-kind:has-text('app-0123456789abcdef')")
    page.fill("#grant-other-app", access_key)
    page.wait_for_selector(f"#grantee-kind:has-text('{kind_text}')")
    console.shot(shot)
    page.click("#authorize-form button[type=submit]")
    page.wait_for_selector(f"td code:has-text('{access_key}')")


def test_a_provider_authorizes_a_callers_access_key_and_the_caller_manages_its_pair(
    console: Console, partner: dict[str, Any]
) -> None:
    page, run = console.page, console.run
    key, secret = partner["key"], partner["secret"]
    assert _verdict(run, key, secret) == "NOT_AUTHORIZED"

    # The provider (root) authorizes the access key the caller sent it.
    console.sign_in()
    _authorize_key(console, key, "An access key", "i21-01-authorize-dialog-access-key-en")
    console.shot("i21-02-granted-to-a-key-pair-en")
    [grant] = run.ok(run.get(f"/v1/authorizations?access_key={key}"))["items"]
    assert grant["group"] == "demo" and grant["app_id"] == partner["app_id"]
    assert _verdict(run, key, secret) == "200"
    assert _verdict(run, *partner["second"]) == "NOT_AUTHORIZED"

    # The caller finds the grant beside its key pair, in the pair's own dialog.
    _sign_in_as(console, partner["token"])
    console.open(f"apps/{partner['app_id']}")
    page.wait_for_selector(f"#authorizations td:has-text('key pair {key} only')")
    page.locator(f'tr[data-access-key="{key}"] button.key-settings').click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#key-grants td:has-text('demo')").wait_for()
    # Its own whitelist and a custom secret; a weak secret is refused as you type.
    dialog.locator("#key-custom-secret").fill("too-short")
    page.wait_for_selector("#key-custom-secret-error:has-text('32 to 64 letters')")
    console.shot("i21-03-key-pair-dialog-en")
    dialog.locator("#key-custom-secret").fill(CUSTOM_SECRET)
    dialog.locator("#key-secret-form button[type=submit]").click()
    page.wait_for_selector(".toast:has-text('Secret changed')")
    page.wait_for_function("() => !document.querySelector('dialog[open]')")
    assert _verdict(run, key, CUSTOM_SECRET) == "200"
    assert _verdict(run, key, secret) == "INVALID_SIGNATURE"

    page.locator(f'tr[data-access-key="{key}"] button.key-settings').click()
    page.fill("#key-whitelist", "10.0.0.0/8")
    page.click("#save-key-whitelist")
    page.wait_for_selector(".toast:has-text('Whitelist saved')")
    assert run.ok(run.get(f"/v1/keys/{key}/whitelist", token=partner["token"]))["entries"] == [
        "10.0.0.0/8"
    ]
    assert _verdict(run, key, CUSTOM_SECRET) == "IP_NOT_ALLOWED"  # the local caller: 127.0.0.1
    page.fill("#key-whitelist", "::1")
    page.click("#save-key-whitelist")
    page.wait_for_selector("#key-whitelist-error:has-text('IPv6')")
    page.keyboard.press("Escape")

    # A custom AppCode, then changed: the new one works, the old one stops.
    run.ok(run.post("/v1/authorizations", {"app_id": partner["app_id"], "group": "demo"}), 201)
    page.reload()
    page.get_by_role("button", name="Create AppCode").click()
    code = "browser-appcode-" + uuid.uuid4().hex
    page.fill("#appcode-custom", code)
    page.locator("dialog[open] button[type=submit]").click()
    page.wait_for_selector(f"dialog[open] .once-value:has-text('{code}')")
    page.click("dialog[open] .actions .btn-primary")
    assert _appcode_verdict(run, code) == 200
    page.locator("button.change-appcode").click()
    new_code = "browser-appcode-changed-" + uuid.uuid4().hex
    page.fill("#appcode-new", new_code)
    console.shot("i21-04-change-appcode-en")
    page.locator("dialog[open] .btn-danger").click()
    page.wait_for_selector(".toast:has-text('AppCode changed')")
    assert _appcode_verdict(run, new_code) == 200
    assert _appcode_verdict(run, code) == 403
    console.shot("i21-05-app-page-en")


def test_the_key_pair_dialog_and_the_authorize_dialog_in_chinese(
    console: Console, partner: dict[str, Any]
) -> None:
    page, run = console.page, console.run
    console.sign_in()
    page.select_option("#lang", "zh-CN")
    _authorize_key(console, partner["key"], "这是 AccessKey", "i21-06-authorize-dialog-zh-CN")
    assert _verdict(run, partner["key"], partner["secret"]) == "200"

    _sign_in_as(console, partner["token"])
    console.open(f"apps/{partner['app_id']}")
    page.wait_for_selector(f"#authorizations td:has-text('仅密钥对 {partner['key']}')")
    page.locator(f'tr[data-access-key="{partner["key"]}"] button.key-settings').click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#key-grants td:has-text('demo')").wait_for()
    assert "该密钥对的授权" in dialog.inner_text() and "自定义 Secret" in dialog.inner_text()
    console.shot("i21-07-key-pair-dialog-zh-CN")
    page.keyboard.press("Escape")
    page.click("#add-key")
    assert "自定义 Secret" in page.locator("dialog[open]").inner_text()
    console.shot("i21-08-add-key-pair-zh-CN")
    page.select_option("#lang", "en")


def test_a_new_app_brings_its_own_secret(console: Console) -> None:
    page, run = console.page, console.run
    console.sign_in()
    page.click("#create-app")
    page.fill("#app-name", f"own-secret-{uuid.uuid4().hex[:6]}")
    page.fill("#app-secret", "weak")
    page.wait_for_selector("#app-secret-error:has-text('32 to 64 letters')")
    page.fill("#app-secret", CUSTOM_SECRET)
    console.shot("i21-09-create-app-custom-secret-en")
    page.click("#create-app-form button[type=submit]")
    page.wait_for_selector("dialog[open] .once-value")
    shown = page.locator("dialog[open] .once-value")
    app_id, access_key, secret = (shown.nth(i).inner_text() for i in range(3))
    assert secret == CUSTOM_SECRET
    run.ok(run.post("/v1/authorizations", {"app_id": app_id, "group": "demo"}), 201)
    assert _verdict(run, access_key, CUSTOM_SECRET) == "200"
