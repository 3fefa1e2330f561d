"""The console's record search by request id, in a real Chromium against the local run: a
refusal is found at once; an allowed call, which has no lookup entry, is looked for among the
successes newest first, and the console goes on reading by itself until it is found."""

from __future__ import annotations

import pytest

from tests.support.console import Console

pytestmark = pytest.mark.browser

NEWER = 120  # more successes after the call than one page of reads holds (2 x 50)


def test_a_person_finds_an_allowed_call_by_its_request_id_past_the_first_pages(
    console: Console,
) -> None:
    page, run = console.page, console.run
    app = run.new_app()
    client = run.client(app)
    wanted = client.request("GET", "/demo/hello")
    assert wanted.status == 200
    request_id = wanted.get_header("X-Ca-Request-Id")
    assert request_id
    for _ in range(NEWER):
        assert client.request("GET", "/demo/hello").status == 200
    first = run.ok(run.get(f"/v1/call-records?request_id={request_id}"))
    assert first["items"] == [] and first["next_cursor"], "the call is past the first page"

    console.sign_in()
    page.click("nav a[href='#/records']")
    page.fill("#filter-request", request_id)
    page.click("#apply-filters")
    page.wait_for_selector("#records tr[data-result=success]")
    rows = page.locator("#records tbody tr")
    assert rows.count() == 1
    assert page.locator("#request-id-further").count() == 0
    rows.first.click()
    detail = page.locator("#record-detail")
    detail.wait_for()
    assert request_id in detail.inner_text()
    console.shot("27-record-found-by-request-id")
    page.keyboard.press("Escape")

    # One that no call had: said so, with the way to read further back.
    page.fill("#filter-request", "req-never-made")
    page.click("#apply-filters")
    page.wait_for_selector("#records .empty, #request-id-further")
    assert page.locator("#records tbody tr[data-result]").count() == 0
