"""The console in a real Chromium, as a person uses it: every step through the page, checked
against what the API and a real signing client see."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from aliyun_api_gateway import ApiGatewayClient, ApiGatewayRequest

from tests.support.console import Console
from tests.support.local_server import HTTP_TIMEOUT, send

pytestmark = pytest.mark.browser


def _row(console: Console, access_key: str) -> Any:
    return console.page.locator(f'tr[data-access-key="{access_key}"]')


def _more(console: Console, access_key: str) -> Any:
    """The key pair's row with its "More" menu open (rename, reset, change key, delete)."""
    row = _row(console, access_key)
    row.locator("details.more-actions > summary").click()
    row.locator("details.more-actions[open] .menu").wait_for()
    return row


def _refresh_until(console: Console, selector: str, attempts: int = 30) -> None:
    """The stats come from the record stream (a poller locally, ~0.3 s behind): refresh."""
    for _ in range(attempts):
        if console.page.locator(selector).count():
            return
        console.page.click("#refresh-records")
        console.page.wait_for_timeout(300)
    raise AssertionError(f"{selector} never appeared")


def _shown_once(console: Console) -> list[str]:
    dialog = console.page.locator("dialog[open]")
    shown = dialog.locator(".once-value")
    return [shown.nth(i).inner_text() for i in range(shown.count())]


def test_a_person_manages_an_app_and_reads_its_calls(console: Console) -> None:
    page, run = console.page, console.run
    console.open()
    page.wait_for_selector("#token")
    console.shot("01-sign-in")
    console.sign_in()
    console.shot("02-apps")

    # Create an app; the form checks the access key as you type, in words (the API's rule).
    name = f"shop-{uuid.uuid4().hex[:6]}"
    page.click("#create-app")
    page.fill("#app-name", name)
    page.fill("#app-access-key", "short!")
    page.wait_for_selector("#app-access-key-error:has-text('8 to 32 letters')")
    console.shot("03-create-app-checked-as-you-type")
    page.fill("#app-access-key", "")
    page.fill("#app-tags", "env=test")
    page.click("#create-app-form button[type=submit]")
    page.wait_for_selector("dialog[open] .once-value")
    app_id, access_key, secret = _shown_once(console)
    assert page.locator("dialog[open] .warning").inner_text().startswith("Copy it now")
    console.shot("04-app-created-secret-shown-once")
    page.click("dialog[open] .actions .btn-primary")

    # Its details page: the secret is hidden until the eye is clicked (an audited reveal).
    page.click(f"a:has-text('{name}')")
    page.wait_for_selector(f'tr[data-access-key="{access_key}"]')
    secret_cell = _row(console, access_key).locator("code.secret")
    assert secret not in secret_cell.inner_text()
    _row(console, access_key).locator("button.reveal").click()
    page.wait_for_selector(f"code.secret:has-text('{secret}')")
    console.shot("05-app-details-secret-revealed")
    _row(console, access_key).get_by_role("button", name="Copy secret").click()
    page.wait_for_selector(".toast:has-text('Copied')")
    assert console.clipboard() == secret
    page.click("#copy-all")
    # A function, not a string: the page's CSP (no unsafe-eval) refuses string predicates.
    page.wait_for_function(
        "(id) => navigator.clipboard.readText().then((text) => text.includes(id))", arg=app_id
    )
    summary = console.clipboard()
    assert access_key in summary and secret in summary and "Call URLs" in summary

    # A key pair's actions fit one line at 1280 px, inside the table with the secret shown;
    # the rarer ones are under "More".
    tops, right, table_right = _row(console, access_key).evaluate(
        "(row) => { const cell = row.querySelector('td.row-actions');"
        " return [[...cell.querySelectorAll(':scope > .btn, :scope > details')]"
        ".map((e) => Math.round(e.getBoundingClientRect().top)),"
        " cell.lastElementChild.getBoundingClientRect().right,"
        " row.closest('.table-wrap').getBoundingClientRect().right]; }"
    )
    assert len(tops) == 4 and len(set(tops)) == 1, tops
    assert right <= table_right, (right, table_right)

    # The default pair cannot be deleted, and the button says why.
    default_delete = _more(console, access_key).get_by_role("button", name="Delete")
    console.shot("05b-key-pair-more-menu")
    assert default_delete.get_attribute("aria-disabled") == "true"
    assert "default key pair cannot be deleted" in (default_delete.get_attribute("title") or "")

    # Add a key pair, disable it, delete it.
    page.click("#add-key")
    page.fill("#key-name", "second")
    page.click("dialog[open] button[type=submit]")
    page.wait_for_selector("dialog[open] .once-value")
    second_key, second_secret = _shown_once(console)[:2]
    assert second_secret
    page.click("dialog[open] .actions .btn-primary")
    second = _row(console, second_key)
    second.get_by_role("button", name="Disable").click()
    page.wait_for_selector(f'tr[data-access-key="{second_key}"] .badge-off')
    console.shot("06-second-key-pair-disabled")
    second = _more(console, second_key)
    assert second.get_by_role("button", name="Delete").get_attribute("aria-disabled") is None
    second.get_by_role("button", name="Delete").click()
    page.locator("dialog[open] .btn-danger").click()
    page.wait_for_selector(f'tr[data-access-key="{second_key}"]', state="detached")
    keys = run.ok(run.get(f"/v1/apps/{app_id}"))["keys"]
    assert [key["access_key"] for key in keys] == [access_key]

    # A bad whitelist: the API's message lands on the line it is about.
    page.fill("#whitelist", "127.0.0.1\n2001:db8::1\n10.0.0.0/8")
    page.click("#save-whitelist")
    bad = page.locator(".line-marks li.bad")
    bad.wait_for()
    assert bad.get_attribute("data-line") == "2"
    assert "IPv6 is not supported" in bad.inner_text()
    assert page.locator("#whitelist-error").inner_text().startswith("Line 2:")
    console.shot("07-whitelist-error-on-its-line")
    page.fill("#whitelist", "127.0.0.1")
    page.click("#save-whitelist")
    page.wait_for_selector(".toast:has-text('Whitelist saved')")
    assert run.ok(run.get(f"/v1/apps/{app_id}/whitelist"))["entries"] == ["127.0.0.1"]

    # Authorize the app for the demo group, all stages, no end.
    page.click("#authorize-app")
    page.check("#target-group")
    page.select_option("#grant-group", "demo")
    assert page.locator("#grant-my-app").input_value() == app_id
    console.shot("08-authorize-dialog")
    page.click("#authorize-form button[type=submit]")
    page.wait_for_selector("#authorizations td:has-text('Group: demo')")
    assert page.locator("#authorizations").inner_text().count(f"{run.base_url}/demo/") == 2
    console.shot("09-app-authorized")

    # A real client calls with the pair; another call, signed with a wrong secret, is refused.
    client = ApiGatewayClient(run.base_url, access_key, secret, timeout=HTTP_TIMEOUT)
    assert client.request("GET", "/demo/hello").status == 200
    wrong = ApiGatewayClient(run.base_url, access_key, "not-the-secret", timeout=HTTP_TIMEOUT)
    denied = wrong.request("GET", "/demo/hello")
    assert denied.get_header("X-Ca-Error-Code") == "INVALID_SIGNATURE"

    # The records table and the chart show them.
    page.click("nav a[href='#/records']")
    page.fill("#filter-app", app_id)
    page.click("#apply-filters")
    page.wait_for_selector("#records tr[data-result=success]")
    page.wait_for_selector("#records tr[data-result=INVALID_SIGNATURE]")
    both = "#chart rect[data-result=success] ~ rect[data-result=INVALID_SIGNATURE]"
    _refresh_until(console, both)
    console.shot("10-records-and-chart")

    # Find the denied call by its code and open the whole record.
    page.select_option("#filter-result", "INVALID_SIGNATURE")
    page.click("#apply-filters")
    page.wait_for_selector("#records tr[data-result=success]", state="detached")
    assert page.locator("#records tr[data-result=INVALID_SIGNATURE]").count() == 1
    page.locator("#records tr[data-result=INVALID_SIGNATURE]").first.click()
    detail = page.locator("#record-detail")
    detail.wait_for()
    assert access_key in detail.inner_text() and "/demo/hello" in detail.inner_text()
    console.shot("11-denied-call-record")
    page.keyboard.press("Escape")

    # Sign out: back to sign-in, no token left in the tab.
    page.click("#signout")
    page.wait_for_selector("#signin-reason")
    assert page.evaluate("sessionStorage.getItem('apiauth.token')") is None
    console.shot("12-signed-out")


def test_api_data_is_shown_as_text_never_as_html(console: Console) -> None:
    run = console.run
    hostile = "<img src=x onerror=alert(1)>"
    created = run.ok(run.post("/v1/apps", {"name": hostile, "tags": {"t": "<b>x</b>"}}), 201)
    console.sign_in()
    console.page.fill("#search-name", "<img")
    console.page.click("form[role=search] button[type=submit]")
    # Only the hostile app matches the name searched for.
    console.page.wait_for_function("() => document.querySelectorAll('main tbody tr').length === 1")
    link = console.page.locator(f'a[href="#/apps/{created["app_id"]}"]')
    link.wait_for()
    assert link.inner_text() == hostile
    assert console.page.locator("main img").count() == 0
    assert console.page.locator("main b").count() == 0
    console.shot("13-hostile-name-as-text")
    link.click()
    console.page.wait_for_selector("#keys")
    assert console.page.locator("h1").inner_text().startswith(hostile)
    assert console.page.locator("main img").count() == 0  # and no alert: the fixture checks


def test_chinese_on_a_narrow_screen(console: Console) -> None:
    run = console.run
    app = run.new_app(name="订单服务", tags={"env": "prod"})
    console.page.set_viewport_size({"width": 390, "height": 844})
    console.sign_in()
    console.page.select_option("#lang", "zh-CN")
    console.page.wait_for_selector("h1:has-text('应用')")
    assert console.page.evaluate("document.documentElement.lang") == "zh-CN"
    console.shot("14-apps-zh-CN-narrow")
    console.open(f"apps/{app.app_id}")
    console.page.wait_for_selector("#keys h2:has-text('密钥对')")
    console.shot("15-app-details-zh-CN-narrow")
    # The whitelist's line-check pane shows its whole hint, none of it cut off.
    clipped = console.page.evaluate(
        "() => { const m = document.querySelector('.line-marks');"
        " return [m.scrollHeight, m.clientHeight]; }"
    )
    assert clipped[0] <= clipped[1], clipped
    console.open("records")
    console.page.wait_for_selector("#chart svg")
    console.shot("16-records-zh-CN-narrow")
    # The choice is kept; English is one switch away.
    console.page.select_option("#lang", "en")
    console.page.wait_for_selector("h1:has-text('Call records')")


def test_a_refused_token_sends_you_back_to_sign_in_with_the_reason(console: Console) -> None:
    run = console.run
    created = run.ok(run.post("/v1/tokens", {"name": f"browser-{uuid.uuid4().hex[:6]}"}), 201)
    console.sign_in(created["token"])
    run.ok(run.delete(f"/v1/tokens/{created['token_id']}"), 204)
    console.open("apis")
    reason = console.page.locator("#signin-reason")
    reason.wait_for()
    assert "401" in reason.inner_text()
    console.shot("17-token-refused")
    console.page.fill("#token", "aat_not-a-token")
    console.page.click("form button[type=submit]")
    console.page.wait_for_selector("#token-error:has-text('401')")


def test_the_debugger_matches_the_server_and_marks_the_first_difference(
    console: Console,
) -> None:
    run = console.run
    app = run.new_app()
    wrong_secret = "a-wrong-secret-typed-by-hand"
    signed = ApiGatewayClient(run.base_url, app.access_key, wrong_secret).sign(
        ApiGatewayRequest(method="GET", path="/demo/hello", query={"b": "2", "a": "1"})
    )
    denied = send(signed)
    message = denied.get_header("X-Ca-Error-Message") or ""
    assert message.startswith("Invalid Signature, Server StringToSign:")

    console.open("debugger")
    page = console.page
    page.wait_for_selector("#dbg-headers")
    page.fill("#dbg-path", "/demo/hello")
    page.fill("#dbg-query", "b=2&a=1")
    page.fill("#dbg-headers", "\n".join(f"{k}: {v}" for k, v in signed.headers.items()))
    page.fill("#dbg-secret", wrong_secret)
    page.fill("#dbg-server", message)
    page.fill("#dbg-sent", signed.headers["X-Ca-Signature"])
    page.wait_for_selector("#dbg-verdict:has-text('identical')")
    # WebCrypto in the page computes what the client computed.
    assert page.locator("#dbg-signature").inner_text() == signed.headers["X-Ca-Signature"]
    assert page.locator("#dbg-output .ok").count() == 2

    page.fill("#dbg-path", "/demo/hellO")
    page.wait_for_selector("#dbg-verdict:has-text('First difference')")
    assert page.locator("mark.diff").first.inner_text() == "O"
    assert re.search(r"line \d+", page.locator("#dbg-verdict").inner_text())
    console.shot("18-signature-debugger")


def test_apis_authorizing_another_accounts_app_rotating_keys_appcodes_and_tokens(
    console: Console,
) -> None:
    page, run = console.page, console.run
    # A caller in another account, known to us only by its app id.
    other_account = run.ok(
        run.post("/v1/accounts", {"name": f"caller-{uuid.uuid4().hex[:6]}"}), 201
    )
    caller = run.ok(run.post("/v1/apps", {"name": "partner"}, token=other_account["token"]), 201)
    mine = run.new_app(group=None, name=f"rotate-{uuid.uuid4().hex[:6]}")
    console.sign_in()

    # Register an API in a new group, then authorize the other account's app for the group.
    group = f"g{uuid.uuid4().hex[:6]}"
    page.click("nav a[href='#/apis']")
    page.click("#create-api")
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("orders")
    dialog.get_by_label("Method").select_option("POST")
    dialog.get_by_label("Path").fill(f"/{group}/orders/{{id}}")
    dialog.get_by_label("Group").fill(group)
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector(f"td:has-text('/{group}/orders/{{id}}')")
    page.click("#authorize-open")
    page.check("#target-group")
    page.select_option("#grant-group", group)
    page.check("#appsource-other")
    page.fill("#grant-other-app", caller["app_id"])
    page.uncheck("#stage-TEST")
    page.fill("#grant-until", "2030-01-01T00:00")
    console.shot("19-authorize-another-accounts-app")
    page.click("#authorize-form button[type=submit]")
    page.wait_for_selector(f"td:has-text('{caller['app_id']}')")
    console.shot("20-apis-and-granted-authorizations")
    grants = run.ok(run.get(f"/v1/authorizations?app_id={caller['app_id']}"))["items"]
    assert [(g["group"], g["stages"]) for g in grants] == [(group, ["PRE", "RELEASE"])]
    assert grants[0]["expires_at"].startswith("20")
    # Changing it: done where the server has PATCH, else the dialog says it is not available.
    page.locator("tr", has_text=caller["app_id"]).get_by_role("button", name="Edit").click()
    page.uncheck("#edit-stage-PRE")
    page.locator("dialog[open] button[type=submit]").click()
    page.wait_for_function(
        "() => !document.querySelector('dialog[open]')"
        " || document.querySelector('dialog[open] [role=alert]').textContent !== ''"
    )
    stages = run.ok(run.get(f"/v1/authorizations?app_id={caller['app_id']}"))["items"][0]["stages"]
    if page.locator("dialog[open]").count():
        assert "not available on this server" in page.locator("dialog[open]").inner_text()
        assert stages == ["PRE", "RELEASE"]
        page.keyboard.press("Escape")
    else:
        assert stages == ["RELEASE"]

    # Reset the secret (shown once), then change the access key: the new pair signs calls.
    run.ok(run.post("/v1/authorizations", {"app_id": mine.app_id, "group": "demo"}), 201)
    console.open(f"apps/{mine.app_id}")
    row = _more(console, mine.access_key)
    row.get_by_role("button", name="Reset secret").click()
    page.locator("dialog[open] .btn-danger").click()
    page.wait_for_selector("dialog[open] .once-value")
    _, new_secret = _shown_once(console)[:2]
    assert new_secret != mine.secret
    page.click("dialog[open] .actions .btn-primary")
    _more(console, mine.access_key).get_by_role("button", name="Change access key").click()
    new_key = f"Key{uuid.uuid4().hex[:12]}"
    page.locator("dialog[open] input").fill(new_key)
    page.locator("dialog[open] .btn-danger").click()
    page.wait_for_selector("dialog[open] .once-value")
    shown_key, newest_secret = _shown_once(console)[:2]
    assert shown_key == new_key
    console.shot("21-new-access-key-and-secret-shown-once")
    page.click("dialog[open] .actions .btn-primary")
    page.wait_for_selector(f'tr[data-access-key="{new_key}"]')
    client = ApiGatewayClient(run.base_url, new_key, newest_secret, timeout=HTTP_TIMEOUT)
    assert client.request("GET", "/demo/hello").status == 200

    # An AppCode: shown once, then deleted.
    page.get_by_role("button", name="Create AppCode").click()
    # The server takes an optional expiry: the dialog asks for it first; none here.
    page.locator("dialog[open] .btn-primary").click()
    page.wait_for_selector("dialog[open] .once-value")
    appcode_id, appcode = _shown_once(console)[:2]
    assert appcode
    page.click("dialog[open] .actions .btn-primary")
    page.wait_for_selector(f"td:has-text('{appcode_id}')")
    page.locator("tr", has_text=appcode_id).get_by_role("button", name="Delete").click()
    page.locator("dialog[open] .btn-danger").click()
    page.wait_for_selector(f"td:has-text('{appcode_id}')", state="detached")

    # Disable the app, then delete it (the button is available only now).
    page.click("#toggle-app")
    page.wait_for_selector("h1 .badge-off")
    page.locator(".head-actions").get_by_role("button", name="Delete").click()
    page.locator("dialog[open] .btn-danger").click()
    page.wait_for_selector("#create-app")
    assert run.get(f"/v1/apps/{mine.app_id}").status == 404

    # Tokens: a new one shown once, then revoked.
    page.click("nav a[href='#/tokens']")
    page.fill("#token-name", "ci-script")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_selector("dialog[open] .once-value")
    token_id, token = _shown_once(console)[:2]
    assert run.get("/v1/apps", token=token).status == 200
    page.click("dialog[open] .actions .btn-primary")
    console.shot("22-tokens")
    page.locator("tr", has_text=token_id).get_by_role("button", name="Revoke").click()
    page.locator("dialog[open] .btn-danger").click()
    page.wait_for_selector(f"td:has-text('{token_id}')", state="detached")
    assert run.get("/v1/apps", token=token).status == 401

    # Pages for endpoints other branches add: shown, or "not available on this server".
    for route, name in (
        ("audit", "23-audit"),
        ("gateways", "24-gateways"),
        ("accounts", "25-accounts"),
    ):
        page.click(f"nav a[href='#/{route}']")
        page.wait_for_selector("main h1")
        page.wait_for_timeout(300)
        console.shot(name)


VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "alibaba-signature.json"
SIGN_IN_PAGE = """async (vector) => {
  const signing = await import('./console/signing.js');
  const headers = new Map(Object.entries(vector.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const form = (headers.get('content-type') || '').startsWith('application/x-www-form-urlencoded')
    ? vector.body : '';
  const text = signing.stringToSign({
    method: vector.method, path: vector.path, query: vector.query || '', form, headers,
  });
  const method = headers.get('x-ca-signature-method') || 'HmacSHA256';
  return [text, vector.secret ? await signing.sign(text, vector.secret, method) : null];
}"""


def test_the_debugger_signs_the_shared_vectors_like_the_server(console: Console) -> None:
    if not VECTORS.exists():
        pytest.skip(f"shared signature vectors not found at {VECTORS}")
    console.open("debugger")
    console.page.wait_for_selector("#dbg-output pre")
    for vector in json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]:
        text, signature = console.page.evaluate(SIGN_IN_PAGE, vector)
        if "string_to_sign" in vector:
            assert text == vector["string_to_sign"], vector["name"]
        if "signature" in vector:
            assert signature == vector["signature"], vector["name"]
