"""GET /v1/apps?name=: part of the name, in any case (issue 19, item 5)."""

from __future__ import annotations

from tests.support.admin import Admin


def _names(admin: Admin, query: str) -> list[str]:
    reply = admin.get(f"/v1/apps?{query}")
    assert reply.status == 200, reply.body
    return [app["name"] for app in reply.body["items"]]


def test_the_name_filter_ignores_case(admin: Admin) -> None:
    for name in ("Shop-Web", "SHOP-mobile", "billing", "Straße"):
        admin.post("/v1/apps", {"name": name})
    assert sorted(_names(admin, "name=shop")) == ["SHOP-mobile", "Shop-Web"]
    assert sorted(_names(admin, "name=SHOP-W")) == ["Shop-Web"]
    assert _names(admin, "name=STRASSE") == ["Straße"]  # casefold, not lower
    assert _names(admin, "name=nothing") == []


def test_every_match_is_reachable_page_by_page(admin: Admin) -> None:
    for index in range(5):
        admin.post("/v1/apps", {"name": f"{'Abc' if index % 2 else 'xyz'}-{index}"})
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        body = admin.get(f"/v1/apps?name=aBC&limit=1&cursor={cursor}").body
        seen += [app["name"] for app in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == ["Abc-1", "Abc-3"]
