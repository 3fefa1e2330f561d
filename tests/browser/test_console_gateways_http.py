"""The console's gateway page binds an HTTP API (API Gateway v2) and changes how its authorizer
answers, in a real Chromium, checked against the admin API."""

from __future__ import annotations

import uuid

import pytest

from tests.support.console import Console

pytestmark = pytest.mark.browser


def test_a_person_binds_an_http_api_and_switches_it_to_policy_answers(console: Console) -> None:
    page, run = console.page, console.run
    console.sign_in()
    console.open("gateways")
    page.wait_for_selector("main h1")
    gateway_id = f"http{uuid.uuid4().hex[:8]}"
    form = page.locator("main form.toolbar")
    answer = form.locator("select[name=simple_responses]")
    assert not answer.is_visible()  # REST APIs always take a policy
    form.locator("input").nth(0).fill(gateway_id)
    form.locator("input").nth(1).fill("default")
    form.locator("select[name=type]").select_option("http")
    assert answer.is_visible()
    form.locator("button[type=submit]").click()
    row = page.locator("tr", has_text=gateway_id)
    row.wait_for()
    assert "HTTP API (simple responses)" in row.inner_text()
    bound = run.ok(run.get(f"/v1/gateways/{gateway_id}"))
    assert (bound["type"], bound["simple_responses"]) == ("http", True)

    row.get_by_role("button", name="Edit").click()
    page.locator("dialog[open] select[name=simple_responses]").select_option("false")
    page.locator("dialog[open] button[type=submit]").click()
    page.locator("tr", has_text=gateway_id).filter(has_text="IAM policy").wait_for()
    console.shot("26-gateway-http-api")
    changed = run.ok(run.get(f"/v1/gateways/{gateway_id}"))
    assert (changed["type"], changed["simple_responses"]) == ("http", False)
    assert console.errors == []
