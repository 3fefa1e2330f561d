"""Issue 19, part B, in a real Chromium: errors a person can read in the page's language, a
restart of the server, the Back button and a phone's width, names where ids were, the records
chart, and the console's address that ``make run`` prints. English on a wide screen and
Chinese on a 390 px one."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from aliyun_api_gateway import ApiGatewayClient

from tests.support.console import Console
from tests.support.local_server import HTTP_TIMEOUT, free_port, running_local

pytestmark = pytest.mark.browser

VIEWS = [pytest.param("en", 1280, id="en-wide"), pytest.param("zh-CN", 390, id="zh-narrow")]
CJK = re.compile(r"[\u4e00-\u9fff]")
# What a person should never have to read: a pattern, pydantic's words, a bare status.
RAW = re.compile(r"\^\[|\$'|pattern|String should|Input should|^\d{3}\b|NotFound|Conflict")


def _view(console: Console, lang: str, width: int, token: str | None = None) -> None:
    console.page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
    console.sign_in(token)
    console.page.select_option("#lang", lang)
    console.page.wait_for_function("(lang) => document.documentElement.lang === lang", arg=lang)


def _readable(text: str, lang: str) -> None:
    assert text.strip(), "an empty message"
    assert not RAW.search(text), text
    if lang == "zh-CN":
        assert CJK.search(text), f"not in Chinese: {text}"
    else:
        assert not CJK.search(text), text


def _escape(page: Any) -> None:
    """Escape closes the dialog and takes its history step back out (before the next visit)."""
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog[open]", state="detached")
    page.wait_for_function("() => !(history.state && history.state.dialogId)")


def _shot(console: Console, name: str, lang: str, width: int) -> None:
    console.shot(f"i19b-{name}-{lang}-{width}")


def _is_seen(page: Any, selector: str) -> bool:
    """The element is what a person sees (and could click) at its own centre: nothing covers it."""
    return bool(
        page.evaluate(
            """(selector) => {
                const element = [...document.querySelectorAll(selector)].pop();
                const box = element.getBoundingClientRect();
                const x = box.left + box.width / 2;
                const hit = document.elementFromPoint(x, box.top + box.height / 2);
                return element.contains(hit);
            }""",
            selector,
        )
    )


# -- 3. Errors a person can read ------------------------------------------------------------


@pytest.mark.parametrize(("lang", "width"), VIEWS)
def test_every_error_a_person_causes_reads_as_a_sentence_in_the_pages_language(
    console: Console, lang: str, width: int
) -> None:
    page, run = console.page, console.run
    _view(console, lang, width)

    # A 400 found as you type (the server's rule, in words: no pattern).
    page.click("#create-app")
    page.fill("#app-name", f"errors-{uuid.uuid4().hex[:6]}")
    page.fill("#app-access-key", "short!")
    error = page.locator("#app-access-key-error")
    page.wait_for_function("() => document.querySelector('#app-access-key-error').textContent")
    _readable(error.inner_text(), lang)
    assert "8" in error.inner_text() and "32" in error.inner_text()

    # A 409 from the server: a sentence naming the key, shown above the open dialog.
    page.fill("#app-access-key", run.demo_access_key)
    page.click("#create-app-form button[type=submit]")
    toast = page.locator(".toast-error").last
    toast.wait_for()
    assert run.demo_access_key in toast.inner_text()
    _readable(toast.inner_text().replace(run.demo_access_key, ""), lang)
    assert page.locator("dialog[open]").count() == 1
    assert _is_seen(page, ".toast-error"), "the error toast is under the dialog's backdrop"
    _shot(console, "409-toast-over-dialog", lang, width)
    _escape(page)

    # A 400 the server names by field (from after to), on the records page.
    console.open("records")
    page.wait_for_selector("#chart svg")
    page.fill("#filter-from", "2026-01-02T00:00:00")
    page.fill("#filter-to", "2026-01-01T00:00:00")
    page.click("#apply-filters")
    page.wait_for_function("() => document.querySelector('#filter-from-error').textContent")
    _readable(page.locator("#filter-from-error").inner_text(), lang)
    assert page.locator("#filter-from").get_attribute("aria-invalid") == "true"
    _shot(console, "400-from-after-to", lang, width)

    # A 404: an app that is not there.
    console.open("apps/app-no-such-app")
    notice = page.locator("main .notice")
    notice.wait_for()
    assert "app-no-such-app" in notice.inner_text()
    _readable(notice.inner_text().replace("app-no-such-app", ""), lang)
    _shot(console, "404-app", lang, width)

    # A 503 with Retry-After (what the API answers when DynamoDB keeps failing).
    page.route(
        re.compile(r".*/v1/apis(\?.*)?$"),
        lambda route: route.fulfill(
            status=503,
            headers={"Retry-After": "7", "Content-Type": "application/json"},
            body='{"code": "ServiceUnavailable", "message": "storage is unavailable"}',
        ),
    )
    console.open("apis")
    notice = page.locator("main .notice")
    notice.wait_for()
    assert "7" in notice.inner_text()
    _readable(notice.inner_text(), lang)
    _shot(console, "503-retry-after", lang, width)
    page.unroute(re.compile(r".*/v1/apis(\?.*)?$"))


@pytest.mark.parametrize(("lang", "width"), VIEWS)
def test_a_restart_of_the_server_tells_a_signed_in_person_to_use_its_new_token(
    console: Console, lang: str, width: int
) -> None:
    port = free_port()
    first_token = f"restart-first-{uuid.uuid4().hex}"
    with running_local(port=port, APIAUTH_ROOT_TOKEN=first_token) as first:
        view = Console(console.page, first)
        _view(view, lang, width, first_token)
    # `make run` again: the same address, all data gone, a new root token.
    second_token = f"restart-second-{uuid.uuid4().hex}"
    with running_local(port=port, APIAUTH_ROOT_TOKEN=second_token) as second:
        view = Console(console.page, second)
        console.page.click("nav a[href='#/apis']")
        reason = console.page.locator("#signin-reason")
        reason.wait_for()
        _readable(reason.inner_text(), lang)
        assert "make run" in reason.inner_text()
        # The root token cannot be revoked: refused, it means a restart, said without doubt.
        assert "401" not in reason.inner_text()
        _shot(view, "restarted", lang, width)
        console.page.fill("#token", second_token)
        console.page.click("form button[type=submit]")
        console.page.wait_for_selector("#create-app")


# -- 6. Navigation and layout ---------------------------------------------------------------


@pytest.mark.parametrize(("lang", "width"), VIEWS)
def test_back_closes_a_dialog_and_nothing_overflows_or_wraps_on_a_phone(
    console: Console, lang: str, width: int
) -> None:
    page, run = console.page, console.run
    app = run.new_app(name=f"a-rather-long-application-name-{uuid.uuid4().hex[:10]}")
    _view(console, lang, width)

    # Back closes the dialog and stays on the page.
    console.open("apis")
    page.click("#authorize-open")
    page.wait_for_selector("#authorize-form")
    _shot(console, "authorize-dialog", lang, width)
    # The dialog fits the screen: nothing scrolls sideways.
    overflow = page.evaluate(
        "() => { const d = document.querySelector('dialog[open]');"
        " return [d.scrollWidth, d.clientWidth, d.getBoundingClientRect().right, innerWidth]; }"
    )
    assert overflow[0] <= overflow[1] and overflow[2] <= overflow[3], overflow
    page.go_back()
    page.wait_for_selector("dialog[open]", state="detached")
    assert page.url.endswith("#/apis")
    assert page.locator("#create-api").is_visible()

    # The group filter learns a group registered a moment ago, without a reload.
    console.open("apis")
    page.wait_for_selector("#filter-group")
    group = f"g{uuid.uuid4().hex[:8]}"
    page.click("#create-api")
    dialog = page.locator("dialog[open]")
    dialog.locator("input").nth(0).fill(f"api {group}")
    dialog.locator("input[placeholder='/orders/{id}']").fill(f"/{group}/items")
    dialog.locator("input").nth(2).fill(group)
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector(f"#filter-group option[value='{group}']", state="attached")
    page.select_option("#filter-group", group)
    page.wait_for_function(
        "(group) => document.querySelector('main tbody').rows.length === 1"
        " && document.querySelector('main tbody').textContent.includes(group)",
        arg=group,
    )

    # A dialog that ends by going to another page stays there: a copied app's secret, shown
    # once, on the copy's page.
    console.open("apps")
    page.locator(f"tr:has(a[href='#/apps/{app.app_id}']) .row-actions button").first.click()
    page.locator("dialog[open] form button[type=submit]").click()
    page.wait_for_selector("dialog[open] .once-value")
    page.wait_for_function(
        "(id) => location.hash.startsWith('#/apps/app-') && !location.hash.endsWith(id)",
        arg=app.app_id,
    )
    page.wait_for_timeout(300)  # a step taken back by mistake would close it now
    assert page.locator("dialog[open] .once-value").count() == 3
    page.locator("dialog[open] .actions .btn-primary").click()
    page.wait_for_selector("dialog[open]", state="detached")

    # The app's page: the masked secret on one line, every status badge on one line.
    console.open(f"apps/{app.app_id}")
    page.wait_for_selector(f"code.secret[data-access-key='{app.access_key}']")
    _shot(console, "app-page", lang, width)
    lines = page.evaluate(
        """() => [...document.querySelectorAll('code.secret, .badge')].map((element) => {
            const height = parseFloat(getComputedStyle(element).lineHeight) || 20;
            return [element.textContent, element.getBoundingClientRect().height / height];
        })"""
    )
    assert lines and all(ratio < 1.6 for _, ratio in lines), lines
    console.open("apps")
    page.wait_for_selector("main tbody .badge")
    badges = page.evaluate(
        """() => [...document.querySelectorAll('.badge')].map((element) => {
            const height = parseFloat(getComputedStyle(element).lineHeight) || 20;
            return [element.textContent, element.getBoundingClientRect().height / height];
        })"""
    )
    assert all(ratio < 1.6 for _, ratio in badges), badges
    _shot(console, "apps", lang, width)


# -- 7. Names, not ids, in the records and the audit ----------------------------------------


@pytest.mark.parametrize(("lang", "width"), VIEWS)
def test_records_and_the_audit_name_the_app_api_key_pair_and_token(
    console: Console, lang: str, width: int
) -> None:
    page, run = console.page, console.run
    name = f"named-{uuid.uuid4().hex[:6]}"
    app = run.new_app(name=name)
    run.ok(run.patch(f"/v1/keys/{app.access_key}", {"name": "pair-one"}))
    client = ApiGatewayClient(run.base_url, app.access_key, app.secret, timeout=HTTP_TIMEOUT)
    assert client.request("GET", "/demo/hello").status == 200
    _view(console, lang, width)

    console.open(f"records?app_id={app.app_id}")
    row = page.locator("#records tr[data-result=success]").first
    row.wait_for()
    assert row.locator(".col-app .named-name").inner_text() == name
    assert row.locator(".col-app .named-name").get_attribute("title") == app.app_id
    assert row.locator(".col-key .named-name").inner_text() == "pair-one"
    assert row.locator(".col-key .named-name").get_attribute("title") == app.access_key
    assert row.locator(".col-api .named-name").get_attribute("title") == run.api_id("demo-hello")
    _shot(console, "records-names", lang, width)
    row.click()  # the whole record: each id named, and copied with one click
    page.locator("#record-detail dd[data-field=app_id] button").click()
    page.wait_for_function(
        "(id) => navigator.clipboard.readText().then((text) => text === id)", arg=app.app_id
    )
    assert name in page.locator("#record-detail dd[data-field=app_id]").inner_text()
    assert "pair-one" in page.locator("#record-detail dd[data-field=access_key]").inner_text()
    _escape(page)

    console.open("audit")
    created = page.locator(f"main tbody tr:has(.col-object [data-id='{app.app_id}'])").last
    created.wait_for()
    assert created.locator(".col-object .named-name").inner_text() == name
    token = created.locator(".col-token .named-name")
    assert token.inner_text() and token.get_attribute("title")
    _shot(console, "audit-names", lang, width)


# -- 8. The records chart -------------------------------------------------------------------


def _calls(run: Any) -> tuple[str, int]:
    app = run.new_app()
    good = ApiGatewayClient(run.base_url, app.access_key, app.secret, timeout=HTTP_TIMEOUT)
    bad = ApiGatewayClient(run.base_url, app.access_key, "x" * 40, timeout=HTTP_TIMEOUT)
    for _ in range(2):
        assert good.request("GET", "/demo/hello").status == 200
    assert bad.request("GET", "/demo/hello").get_header("X-Ca-Error-Code") == "INVALID_SIGNATURE"
    return app.app_id, 3


@pytest.mark.parametrize(("lang", "width"), VIEWS)
def test_the_records_chart_dates_its_axis_shows_empty_buckets_and_filters_on_a_click(
    console: Console, lang: str, width: int
) -> None:
    page, run = console.page, console.run
    app_id, _ = _calls(run)
    _view(console, lang, width)

    # A range across midnight, per minute: every bucket drawn (empty ones too), dates on the axis.
    day = datetime.now() - timedelta(days=3)
    start = day.replace(hour=23, minute=30, second=0, microsecond=0)
    console.open("records")
    page.wait_for_selector("#chart svg")
    page.fill("#filter-from", start.strftime("%Y-%m-%dT%H:%M:%S"))
    page.fill("#filter-to", (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("#apply-filters")
    page.wait_for_function(
        "(start) => { const bar = document.querySelector('#chart .bar');"
        " return bar && bar.getAttribute('data-time') === new Date(start).toISOString(); }",
        arg=start.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    assert page.locator("#chart .bar").count() == page.locator("#chart .bar.empty").count()
    assert page.locator("#chart .bar.empty .empty-mark").count() > 50
    ticks = page.eval_on_selector_all("#chart text.tick", "all => all.map((t) => t.textContent)")
    next_day = start + timedelta(days=1)
    days = {f"{start.month:02d}", f"{start.day:02d}", f"{next_day.day:02d}"}
    dated = [tick for tick in ticks if re.search(r"\d+[/\-.月]\d+", tick) and ":" in tick]
    assert len(dated) >= 2, ticks  # the first label and the one after midnight
    assert any(d in " ".join(dated) for d in days), ticks
    _shot(console, "chart-across-midnight", lang, width)

    # The last hour for this app: a click on the failure part of a bar lists those calls.
    console.open(f"records?app_id={app_id}")
    failure = "#chart rect[data-result=INVALID_SIGNATURE]"
    for _ in range(30):
        if page.locator(failure).count():
            break
        page.click("#refresh-records")
        page.wait_for_timeout(300)
    _shot(console, "chart-before-click", lang, width)
    page.locator(failure).first.click()
    page.wait_for_selector("#chart-pick button")
    expected = int(page.locator(failure).first.get_attribute("data-count") or 0)
    assert expected >= 1
    page.wait_for_function(
        "(n) => document.querySelectorAll('#records tbody tr[data-result=INVALID_SIGNATURE]')"
        ".length === n && !document.querySelector('#records tr[data-result=success]')",
        arg=expected,
    )
    assert page.locator("#filter-result").input_value() == "INVALID_SIGNATURE"
    assert page.locator("#chart .bar.picked").count() == 1
    _readable(page.locator("#chart-pick").inner_text().replace("INVALID_SIGNATURE", ""), lang)
    _shot(console, "chart-clicked", lang, width)
    page.click("#clear-pick")
    page.wait_for_selector("#records tr[data-result=success]")


# -- The first five minutes -----------------------------------------------------------------


def test_the_console_address_make_run_prints_signs_in_and_drops_the_token(
    console: Console,
) -> None:
    page, run = console.page, console.run
    printed = [line for line in run.output if line.startswith("console: ")]
    assert len(printed) == 1, run.output
    address = printed[0].removeprefix("console: ")
    assert address == f"{run.base_url}/console#token={run.token}"
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(address)
    page.wait_for_selector("#create-app")
    assert run.token not in page.url
    assert all(run.token not in url for url in requests)  # a fragment is never sent
    # /console/ and //console: the same page, and every call to this origin alone.
    for path in ("/console/", "//console"):
        requests.clear()
        page.goto(f"{run.base_url}{path}#/apis")
        page.wait_for_selector("#create-api")
        assert requests and all(url.startswith(run.base_url + "/") for url in requests), requests
        assert not any("//v1" in url.split("://", 1)[1] for url in requests), requests
