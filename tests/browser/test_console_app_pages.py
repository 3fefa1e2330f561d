"""The app, apps and APIs pages as a paying customer reads them (issue 19, items 1, 2, 4, 5,
7 for grants and 9; issue 22's "what expires within 14 days"), in English and Chinese, wide
and at 390 px, in a real Chromium against the real local run.

Screenshots go to ``$APIAUTH_SHOTS`` (default ``.artifacts/console/app-pages``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aliyun_api_gateway import ApiGatewayClient

from tests.support.console import SHOTS, Console
from tests.support.local_server import HTTP_TIMEOUT, LocalRun

pytestmark = pytest.mark.browser

SHOT_DIR = Path(os.environ.get("APIAUTH_SHOTS", str(SHOTS / "app-pages")))
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
KEY_PAIRS = 500  # the account's limit: the scale a paying customer may reach


def _in(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class World:
    app_id: str
    app_name: str
    access_key: str
    soon_key: str
    grant_id: str  # the account's own grant (per_day 1000, two calls made), ends in 7 days
    foreign_grant_id: str  # made by another account on its own API
    foreign_gateway_id: str  # that account's gateway: the root lists it, and may not use it


@pytest.fixture(scope="module")
def world(console_server: LocalRun) -> Iterator[World]:
    run = console_server
    name = f"Usage-Shop-{uuid.uuid4().hex[:6]}"
    created = run.ok(run.post("/v1/apps", {"name": name, "tags": {"env": "prod"}}), 201)
    app_id, access_key = created["app_id"], created["keys"][0]["access_key"]
    secret = created["keys"][0]["secret"]
    grant = run.ok(
        run.post(
            "/v1/authorizations",
            {
                "app_id": app_id,
                "group": "demo",
                "expires_at": _in(7),
                "limits": {"per_day": 1000, "per_minute": 100},
            },
        ),
        201,
    )
    client = ApiGatewayClient(run.base_url, access_key, secret, timeout=HTTP_TIMEOUT)
    assert [client.request("GET", "/demo/hello").status for _ in range(2)] == [200, 200]
    soon = run.ok(
        run.post(f"/v1/apps/{app_id}/keys", {"name": "ci-soon", "expires_at": _in(3)}), 201
    )
    run.ok(run.post(f"/v1/apps/{app_id}/keys", {"name": "later", "expires_at": _in(60)}), 201)
    run.ok(run.post(f"/v1/apps/{app_id}/appcodes", {"expires_at": _in(5)}), 201)

    # Another account, on its own gateway and API, authorizes this app (a cross-account grant).
    provider = run.ok(run.post("/v1/accounts", {"name": f"provider-{uuid.uuid4().hex[:6]}"}), 201)
    gateway_id = f"gw{uuid.uuid4().hex[:8]}"
    run.ok(
        run.post(
            "/v1/gateways",
            {
                "gateway_id": gateway_id,
                "account_id": provider["account_id"],
                "base_url": "https://partner.example.com/prod",
            },
        ),
        201,
    )
    api = run.ok(
        run.post(
            "/v1/apis",
            {"name": "partner-orders", "method": "GET", "path": "/orders"},
            token=provider["token"],
        ),
        201,
    )
    foreign = run.ok(
        run.post(
            "/v1/authorizations",
            {"app_id": app_id, "api_id": api["api_id"]},
            token=provider["token"],
        ),
        201,
    )
    yield World(
        app_id,
        name,
        access_key,
        soon["access_key"],
        grant["authorization_id"],
        foreign["authorization_id"],
        gateway_id,
    )
    # The local run is shared by the whole browser suite: the root sees every gateway, and
    # another account's gateway must not be offered to the next module's "Register API".
    path = f"/v1/authorizations/{foreign['authorization_id']}"
    run.ok(run.delete(path, token=provider["token"]), 204)
    run.ok(run.delete(f"/v1/apis/{api['api_id']}", token=provider["token"]), 204)
    run.ok(run.delete(f"/v1/gateways/{gateway_id}"), 204)


def _shot(console: Console, name: str) -> None:
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.page.screenshot(path=str(SHOT_DIR / f"{name}.png"), full_page=True)


def _shot_of(console: Console, selector: str, name: str) -> None:
    """One part of the page, to look at closely (a 390 px page is too long to read whole)."""
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.page.locator(selector).screenshot(path=str(SHOT_DIR / f"{name}.png"))


def _open_as(console: Console, language: str, viewport: dict[str, int]) -> None:
    console.page.set_viewport_size(viewport)
    console.sign_in()
    if language != "en":
        console.page.select_option("#lang", language)
        console.page.wait_for_function("(l) => document.documentElement.lang === l", arg=language)


def _no_sideways_scroll(console: Console) -> None:
    width = console.page.evaluate("document.documentElement.scrollWidth")
    viewport = console.page.evaluate("window.innerWidth")
    assert width <= viewport, f"{width}px of content in a {viewport}px window"


def _grant_row(console: Console, authorization_id: str) -> Any:
    return console.page.locator(f'tr[data-authorization-id="{authorization_id}"]')


CASES = [("en", WIDE, "en-wide"), ("zh-CN", NARROW, "zh-CN-390")]
WORDS = {
    "en": {"per_day": "Per day", "resets": "resets", "left": "left"},
    "zh-CN": {"per_day": "每天", "resets": "重置", "left": "剩余"},
}


@pytest.mark.parametrize(("language", "viewport", "label"), CASES, ids=[c[2] for c in CASES])
def test_each_limit_window_shows_its_use_with_a_bar_and_when_it_resets(
    console: Console, world: World, language: str, viewport: dict[str, int], label: str
) -> None:
    _open_as(console, language, viewport)
    console.open(f"apps/{world.app_id}")
    console.page.wait_for_selector("#authorizations")
    _shot(console, f"app-usage-{label}")
    row = _grant_row(console, world.grant_id)
    day = row.locator('meter[data-window="per_day"]')
    day.wait_for()
    assert day.get_attribute("max") == "1000" and day.get_attribute("value") == "2"
    text = row.locator('[data-window="per_day"].usage-text').inner_text()
    words = WORDS[language]
    assert words["per_day"] in text and "2 / 1,000" in text
    assert words["left"] in text and words["resets"] in text
    assert "per_day" not in row.inner_text()  # never the raw window key
    _shot_of(console, "#authorizations", f"app-usage-{label}-grants")
    _no_sideways_scroll(console)

    # The APIs page shows the same use on the grants the account made.
    console.open("apis")
    apis_day = _grant_row(console, world.grant_id).locator('meter[data-window="per_day"]')
    apis_day.wait_for()
    assert apis_day.get_attribute("value") == "2"
    _shot(console, f"apis-usage-{label}")
    _shot_of(console, f'tr[data-authorization-id="{world.grant_id}"]', f"apis-usage-{label}-row")
    _no_sideways_scroll(console)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_grant_another_account_made_offers_no_edit_or_revoke(
    console: Console, world: World, language: str
) -> None:
    _open_as(console, language, WIDE)
    console.open(f"apps/{world.app_id}")
    foreign = _grant_row(console, world.foreign_grant_id)
    foreign.wait_for()
    own = _grant_row(console, world.grant_id)
    assert own.locator("button.grant-edit").count() == 1
    assert own.locator("button.grant-revoke").count() == 1
    assert foreign.locator("button:not(.btn-icon)").count() == 0  # only copy buttons
    assert foreign.locator(".grant-owner-note").inner_text()
    # The caller sees where to call: the provider's API and its call URL.
    assert "https://partner.example.com/prod/orders" in foreign.inner_text()
    # ... and so does the summary "Copy all" puts on the clipboard.
    console.page.click("#copy-all")
    console.page.wait_for_function(
        "(u) => navigator.clipboard.readText().then((text) => text.includes(u))",
        arg="GET https://partner.example.com/prod/orders",
    )
    _shot(console, f"app-foreign-grant-{language}")


def test_500_key_pairs_page_and_search_in_under_a_second(console: Console) -> None:
    run = console.run
    account = run.ok(run.post("/v1/accounts", {"name": f"scale-{uuid.uuid4().hex[:6]}"}), 201)
    token = account["token"]
    app = run.ok(run.post("/v1/apps", {"name": "scale"}, token=token), 201)
    default_key = app["keys"][0]["access_key"]
    for index in range(KEY_PAIRS - 1):
        pair = {"name": f"pair-{index:03d}"}
        run.ok(run.post(f"/v1/apps/{app['app_id']}/keys", pair, token=token), 201)
    console.sign_in(token)
    console.open(f"apps/{app['app_id']}")
    rows = console.page.locator("#keys tbody tr[data-access-key]")
    rows.first.wait_for()
    _shot(console, "keys-500-first-page")
    shown = rows.count()
    assert 0 < shown <= 50
    assert rows.first.get_attribute("data-access-key") == default_key  # the default pair first
    assert str(KEY_PAIRS) in console.page.locator("#keys-count").inner_text()
    render_ms = console.page.evaluate(
        "performance.getEntriesByName('apiauth:keys-render').map((e) => e.duration)"
    )
    assert render_ms and max(render_ms) < 1000, render_ms
    assert console.page.evaluate("document.documentElement.scrollHeight") < 10_000

    # Next page: the browser's time from the click to the drawn rows.
    elapsed = console.page.evaluate(
        """async () => {
            const t0 = performance.now();
            document.querySelector('#keys-next').click();
            await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
            return performance.now() - t0;
        }"""
    )
    assert elapsed < 1000, elapsed
    print(f"500 key pairs: first draw {max(render_ms):.1f} ms, next page {elapsed:.1f} ms")
    assert rows.first.get_attribute("data-access-key") != default_key

    # Search by name, then by access key (any case).
    console.page.fill("#key-search", "PAIR-123")
    console.page.wait_for_function(
        "() => document.querySelectorAll('#keys tbody tr[data-access-key]').length === 1"
    )
    assert "pair-123" in rows.first.inner_text()
    console.page.fill("#key-search", default_key.lower())
    console.page.wait_for_function(
        "(k) => document.querySelector('#keys tbody tr[data-access-key]')?.dataset.accessKey === k",
        arg=default_key,
    )
    console.page.fill("#key-search", "no-such-pair")
    console.page.wait_for_selector("#keys td.empty")
    _shot(console, "keys-500-no-match")

    # In Chinese at 390 px: the search and the pager fit, and say where you are.
    console.page.set_viewport_size(NARROW)
    console.page.select_option("#lang", "zh-CN")
    console.page.wait_for_selector("#keys-count:has-text('共 500 个')")
    _shot(console, "keys-500-zh-CN-390")
    _shot_of(console, "#keys .key-tools", "keys-500-zh-CN-390-search")
    _shot_of(console, "#keys .pager", "keys-500-zh-CN-390-pager")
    assert "/ 50" in console.page.locator("#keys .pager").inner_text()  # 10 cards a page
    _no_sideways_scroll(console)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_app_search_ignores_case_and_says_when_nothing_matches(
    console: Console, world: World, language: str
) -> None:
    page = console.page
    _open_as(console, language, WIDE)
    page.fill("#search-name", world.app_name.lower())
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector(f'a[href="#/apps/{world.app_id}"]')
    # Tags read as they are entered: key=value.
    row = page.locator(f'tr:has(a[href="#/apps/{world.app_id}"])')
    assert "env=prod" in row.locator(".chip").first.inner_text()
    page.fill("#search-name", "")
    page.fill("#search-tag", "env=prod")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector(f'a[href="#/apps/{world.app_id}"]')
    # The other notation is refused in words, on the field, without asking the server.
    page.fill("#search-tag", "env:prod")
    page.click("form[role=search] button[type=submit]")
    error = page.locator("#search-tag-error")
    error.wait_for()
    assert "env=prod" in error.inner_text() and "regex" not in error.inner_text().lower()
    assert "pattern" not in error.inner_text()
    _shot(console, f"apps-tag-error-{language}")
    page.fill("#search-tag", "")
    page.fill("#search-name", f"no-such-app-{uuid.uuid4().hex[:6]}")
    page.click("form[role=search] button[type=submit]")
    empty = page.locator("main td.empty")
    empty.wait_for()
    expected = {"en": "No app matches", "zh-CN": "没有匹配"}[language]
    assert expected in empty.inner_text()
    _shot(console, f"apps-no-match-{language}")


def test_tags_entered_without_equals_are_refused_in_words(console: Console) -> None:
    console.sign_in()
    console.page.click("#create-app")
    console.page.fill("#app-name", "tagged")
    console.page.fill("#app-tags", "env=prod\nteam")
    console.page.click("#create-app-form button[type=submit]")
    error = console.page.locator("#app-tags-error")
    error.wait_for()
    assert "2" in error.inner_text() and "key=value" in error.inner_text()


def test_grants_name_their_app_with_the_id_on_hover(console: Console, world: World) -> None:
    _open_as(console, "en", WIDE)
    console.open("apis")
    row = _grant_row(console, world.grant_id)
    row.wait_for()
    app_cell = row.locator(".named").first
    assert app_cell.inner_text().startswith(world.app_name)
    assert app_cell.get_attribute("title") == world.app_id
    app_cell.get_by_role("button").click()
    console.page.wait_for_selector(".toast")
    assert console.clipboard() == world.app_id


def test_register_api_offers_only_the_viewers_own_gateways(
    console: Console, world: World
) -> None:
    # The root token lists every account's gateways; registering an API on another's is a 404.
    _open_as(console, "en", WIDE)
    console.open("apis")
    console.page.click("#create-api")
    console.page.wait_for_selector("dialog form button[type=submit]")
    offered = console.page.locator("dialog select option").all_inner_texts()
    filters = console.page.locator("#filter-gateway option").all_inner_texts()
    assert "GET" in offered, offered  # the dialog is drawn
    assert not any(world.foreign_gateway_id in o for o in offered + filters), offered + filters


@pytest.mark.parametrize(("language", "viewport", "label"), CASES, ids=[c[2] for c in CASES])
def test_what_expires_within_14_days_is_marked_and_listed(
    console: Console, world: World, language: str, viewport: dict[str, int], label: str
) -> None:
    page = console.page
    _open_as(console, language, viewport)
    panel = page.locator("#expiring")
    panel.wait_for()
    page.wait_for_selector(f'#expiring a[href="#/apps/{world.app_id}"]')
    _shot(console, f"apps-expiring-{label}")
    _shot_of(console, "#expiring", f"apps-expiring-{label}-panel")
    mine = panel.locator(f'[data-app-id="{world.app_id}"]')
    kinds = sorted(mine.nth(i).get_attribute("data-kind") or "" for i in range(mine.count()))
    assert kinds == ["appcode", "grant", "key"]  # the pair expiring in 60 days is not listed
    assert "ci-soon" in panel.inner_text()
    # The app's row in the list says it too.
    row_mark = page.locator(f'tr:has(a[href="#/apps/{world.app_id}"]) .expiry')
    row_mark.wait_for()
    assert row_mark.inner_text().startswith("3")
    _no_sideways_scroll(console)

    page.click(f'#expiring a[href="#/apps/{world.app_id}"] >> nth=0')
    page.wait_for_selector("#keys")
    soon = page.locator(f'tr[data-access-key="{world.soon_key}"] .expiry')
    soon.wait_for()
    assert page.locator(f'tr[data-access-key="{world.access_key}"] .expiry').count() == 0
    assert page.locator("#appcodes .expiry").count() == 1
    assert _grant_row(console, world.grant_id).locator(".expiry").count() == 1
    days = {"en": "3 days", "zh-CN": "3 天"}[language]
    assert days in soon.inner_text()
    _shot(console, f"app-expiring-{label}")
    _shot_of(console, "#keys", f"app-expiring-{label}-keys")
    _no_sideways_scroll(console)
