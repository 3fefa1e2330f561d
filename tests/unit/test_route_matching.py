"""The catch-all route's matching: method or ANY, ``{name}`` one segment, ``{name+}`` the rest,
the most specific registered API first."""

from __future__ import annotations

import pytest

from chalicelib.domain.objects import Route
from chalicelib.domain.route_matching import RouteTemplate, match_route

TEMPLATES = [
    RouteTemplate(method, path, Route(name, "acc", None))
    for name, method, path in (
        ("by-id", "GET", "/orders/{id}"),
        ("special", "GET", "/orders/special"),
        ("any-by-id", "ANY", "/orders/{id}"),
        ("items", "GET", "/orders/{id}/items"),
        ("rest", "ANY", "/orders/{proxy+}"),
        ("everything", "ANY", "/{proxy+}"),
        ("root", "GET", "/"),
    )
]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/orders/1", "by-id"),  # exact method over ANY
        ("get", "/orders/1", "by-id"),
        ("POST", "/orders/1", "any-by-id"),
        ("GET", "/orders/special", "special"),  # a literal over {id}
        ("GET", "/orders/1/items", "items"),  # a full match over {proxy+}
        ("GET", "/orders/1/items/2", "rest"),
        ("DELETE", "/orders/1/notes", "rest"),  # the longer greedy prefix
        ("GET", "/invoices/1", "everything"),
        ("GET", "/", "root"),
        ("GET", "/orders", "everything"),
        ("GET", "/orders/", "everything"),  # an empty segment is no {id}, no {proxy+}
    ],
)
def test_the_most_specific_template_wins(method: str, path: str, expected: str) -> None:
    found = match_route(method, path, TEMPLATES)
    assert found is not None and found.api_id == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/orders"), ("POST", "/"), ("GET", "/orders//"), ("GET", "")],
)
def test_no_template_no_route(method: str, path: str) -> None:
    narrow = [t for t in TEMPLATES if t.route.api_id not in ("everything", "rest")]
    assert match_route(method, path, narrow) is None


def test_a_greedy_variable_needs_at_least_one_segment() -> None:
    only = [RouteTemplate("ANY", "/files/{path+}", Route("files", "acc", None))]
    assert match_route("GET", "/files", only) is None
    assert match_route("GET", "/files/a/b.txt", only) is not None


def test_nothing_registered_matches_nothing() -> None:
    assert match_route("GET", "/orders/1", []) is None


@pytest.mark.parametrize(
    "path",
    [
        "/orders/../admin",
        "/orders/./1",
        "/orders/1/..",
        "/orders/%2e%2e/admin",
        "/orders/%2E./admin",
        "/orders/.%2e",
        "/..",
    ],
)
def test_a_path_with_a_dot_segment_matches_no_template(path: str) -> None:
    # "/public/{proxy+}" would take "/public/../admin", which a backend resolves to "/admin".
    assert match_route("GET", path, TEMPLATES) is None


def test_dots_inside_a_segment_are_no_dot_segment() -> None:
    found = match_route("GET", "/orders/v1.2..3", TEMPLATES)
    assert found is not None and found.api_id == "by-id"
