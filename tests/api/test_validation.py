"""No input gives a 500: garbage bodies, wrong types, odd queries and odd ids on every route.

One moto world per module (these requests mostly fail; the few that succeed do no harm).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.admin import Admin, module_world


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Admin, dict[str, str]]]:
    with module_world() as admin:
        created = admin.post("/v1/apps", {"name": "target"}).body
        api = admin.post("/v1/apis", {"name": "a", "method": "GET", "path": "/a"}).body
        ids = {
            "app_id": created["app_id"],
            "access_key": created["keys"][0]["access_key"],
            "api_id": api["api_id"],
            "appcode_id": admin.post(f"/v1/apps/{created['app_id']}/appcodes").body["appcode_id"],
            "authorization_id": admin.post(
                "/v1/authorizations", {"app_id": created["app_id"], "all": True}
            ).body["authorization_id"],
            "token_id": admin.post("/v1/tokens", {"name": "t"}).body["token_id"],
            "gateway_id": admin.post(
                "/v1/gateways", {"gateway_id": "gw-v", "account_id": "default"}
            ).body["gateway_id"],
        }
        yield admin, ids


def _operations() -> list[Any]:
    """Every admin route, with its request models resolved from their names."""
    import app  # noqa: F401 - registers the blueprints' routes
    from chalicelib.http import schemas
    from chalicelib.http.admin import OPERATIONS

    def model(name: str | None) -> Any:
        return getattr(schemas, name) if name else None

    return [op._replace(body=model(op.body), query=model(op.query)) for op in OPERATIONS]


OPERATIONS = _operations()
WRITES = [op for op in OPERATIONS if op.method in {"POST", "PATCH", "PUT"}]
MODEL_WRITES = [op for op in WRITES if op.body is not None]


def op_id(op: Any) -> str:
    return f"{op.method} {op.path}"


def assert_not_500(reply: Any, context: object) -> None:
    assert reply.status < 500, (context, reply.status, reply.body)
    if reply.status >= 400:
        assert isinstance(reply.body, dict), (context, reply.body)
        assert reply.body.get("code") and reply.body.get("message"), (context, reply.body)


NOT_AN_OBJECT = [
    "not json",
    "{",
    "{'single': 'quotes'}",
    "[]",
    "[1, 2]",
    '"text"',
    "123",
    "null",
    "true",
    "[" * 100_000 + "]" * 100_000,
    b"\xff\xfe\x00garbage",
    '{"a": 1}{"b": 2}',
]


def test_write_routes_are_all_covered() -> None:
    assert {op_id(op) for op in WRITES} >= {
        "POST /v1/accounts",
        "POST /v1/tokens",
        "POST /v1/apps",
        "PATCH /v1/apps/{app_id}",
        "POST /v1/apps/{app_id}/copy",
        "POST /v1/apps/{app_id}/keys",
        "POST /v1/apps/{app_id}/appcodes",
        "PUT /v1/apps/{app_id}/whitelist",
        "PATCH /v1/keys/{access_key}",
        "POST /v1/keys/{access_key}/reset-secret",
        "POST /v1/gateways",
        "PATCH /v1/gateways/{gateway_id}",
        "POST /v1/apis",
        "PATCH /v1/apis/{api_id}",
        "POST /v1/authorizations",
    }


@pytest.mark.parametrize("raw", NOT_AN_OBJECT, ids=lambda raw: repr(raw[:20]))
@pytest.mark.parametrize("op", WRITES, ids=op_id)
def test_body_that_is_not_a_json_object_is_400(
    world: tuple[Admin, dict[str, str]], op: Any, raw: str | bytes
) -> None:
    admin, ids = world
    reply = admin.call(op.method, op.path.format(**ids), raw)
    assert_not_500(reply, (op_id(op), raw[:20]))
    if op.body is not None:
        assert reply.status == 400, reply.body
        assert reply.body["code"] == "ValidationError" and reply.body["field"] == "body"


@pytest.mark.parametrize("op", MODEL_WRITES, ids=op_id)
def test_unknown_field_is_400_naming_it(world: tuple[Admin, dict[str, str]], op: Any) -> None:
    admin, ids = world
    reply = admin.call(op.method, op.path.format(**ids), {"bogus_field": 1})
    assert reply.status == 400, reply.body
    assert "bogus_field: Extra inputs are not permitted" in reply.body["message"]


WRONG_VALUES: list[Any] = [
    123,
    -1.5,
    True,
    [],
    ["x", 1],
    {},
    {"k": {"nested": 1}},
    None,
    "",
    "x" * 100_000,
    "名前😀\u202e",
    "\u0000\ud800",
    "9999-12-31T23:59:59-14:00",
]


@pytest.mark.parametrize(
    ("op", "field"),
    [(op, field) for op in MODEL_WRITES for field in op.body.model_fields],
    ids=lambda value: value if isinstance(value, str) else op_id(value),
)
def test_wrong_values_in_each_field_are_never_a_500(
    world: tuple[Admin, dict[str, str]], op: Any, field: str
) -> None:
    admin, ids = world
    for value in WRONG_VALUES:
        reply = admin.call(op.method, op.path.format(**ids), json.dumps({field: value}))
        assert_not_500(reply, (op_id(op), field, str(value)[:30]))
        if reply.status == 400:
            assert reply.body["code"] == "ValidationError"
            assert reply.body["field"] and reply.body["field"] in reply.body["message"]


def test_a_400_names_the_offending_field(world: tuple[Admin, dict[str, str]]) -> None:
    admin, ids = world
    reply = admin.post("/v1/apps", {"name": 5})
    assert reply.status == 400 and reply.body["field"] == "name"
    assert reply.body["message"].startswith("name:")
    missing = admin.post("/v1/apis", {"name": "x", "method": "GET"})
    assert missing.status == 400 and missing.body["field"] == "path"
    nested = admin.put(f"/v1/apps/{ids['app_id']}/whitelist", {"entries": ["1.2.3.4", 7]})
    assert nested.status == 400 and nested.body["field"] == "entries.1"
    enabled = admin.patch(f"/v1/apps/{ids['app_id']}", {"enabled": "yes"})
    assert enabled.status == 400 and enabled.body["field"] == "enabled"


READS = [op for op in OPERATIONS if op.method == "GET"]
ODD_QUERIES = [
    "limit=abc",
    "limit=0",
    "limit=201",
    "limit=99999999999999999999999",
    "cursor=%00",
    "cursor=" + "A" * 5000,
    "bogus=1",
    "reveal=maybe",
    "from=yesterday&to=%F0%9F%98%80",
    "bucket=week",
    "result=" + "x" * 3000,
    "name=%00&tag=%F0%9F%98%80:x",
    "app_id=" + "a" * 3000,
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=lambda q: q[:24])
@pytest.mark.parametrize("op", READS, ids=op_id)
def test_odd_query_parameters_are_never_a_500(
    world: tuple[Admin, dict[str, str]], op: Any, query: str
) -> None:
    admin, ids = world
    reply = admin.get(f"{op.path.format(**ids)}?{query}")
    assert_not_500(reply, (op_id(op), query[:30]))
    if query.startswith(("limit=", "bogus=")) and op.query is not None:
        assert reply.status == 400, reply.body


ID_ROUTES = [op for op in OPERATIONS if "{" in op.path]
ODD_IDS = ["%00", "%E5%90%8D%F0%9F%98%80", "a" * 3000, "..%2F..%2Fv1%2Fapps", "%20", "null"]


@pytest.mark.parametrize("odd", ODD_IDS, ids=lambda odd: odd[:16])
@pytest.mark.parametrize("op", ID_ROUTES, ids=op_id)
def test_odd_ids_in_the_path_are_404(
    world: tuple[Admin, dict[str, str]], op: Any, odd: str
) -> None:
    admin, _ = world
    names = {
        name: odd
        for name in (
            "app_id",
            "access_key",
            "api_id",
            "appcode_id",
            "authorization_id",
            "token_id",
            "gateway_id",
        )
    }
    body: dict[str, Any] = {"entries": []} if op.path.endswith("whitelist") else {}
    reply = admin.call(op.method, op.path.format(**names), body if op.body else None)
    assert_not_500(reply, (op_id(op), odd[:20]))
    assert reply.status == 404, reply.body


@pytest.mark.parametrize("authorization", [None, "Bearer aat_not-a-real-token"])
@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_every_admin_route_needs_a_valid_token(
    world: tuple[Admin, dict[str, str]], op: Any, authorization: str | None
) -> None:
    admin, ids = world
    headers = {} if authorization is None else {"Authorization": authorization}
    response = admin.client.http.request(
        op.method, op.path.format(**ids), headers=headers, body=b"{}"
    )
    assert response.status_code == 401, response.body
    if authorization is not None:
        assert json.loads(response.body)["code"] == "Unauthenticated"
