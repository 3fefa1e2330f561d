"""No secret, admin token or AppCode leaks: read everything the end-to-end suite saw.

Runs after every other test (marker ``after_e2e``). Every answer the suite received is kept
(``local_server.EXCHANGES`` in tests/support), and so is every line each local run printed. A
secret value is allowed only in a field named for it (``secret``, ``token``, ``appcode``) of
the answer that creates or reveals it, and in the start-up lines that print the root token and
the demo key pair (CONTRACT.md 1); anywhere else (another answer, a header, an error message, a
log line, a call record) it is a leak.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from aliyun_api_gateway import SignedRequest

from tests.support.local_server import (
    EXCHANGES,
    FIGURES,
    ROOT_TOKEN,
    RUNS,
    Exchange,
    LocalRun,
    TestApp,
    send,
)

pytestmark = pytest.mark.e2e
SECRET_FIELDS = {"secret", "token", "appcode"}
# The answers that create or reveal a secret value: (method, path pattern).
REVEALING = [
    ("POST", r"/v1/accounts"),
    ("POST", r"/v1/tokens"),
    ("POST", r"/v1/apps"),
    ("POST", r"/v1/apps/[^/]+/copy"),
    ("POST", r"/v1/apps/[^/]+/keys"),
    ("POST", r"/v1/apps/[^/]+/appcodes"),
    ("POST", r"/v1/keys/[^/]+/reset-secret"),
    ("PATCH", r"/v1/keys/[^/?]+"),  # a new access key comes with a new secret
    ("GET", r"/v1/keys/[^/?]+\?(.*&)?reveal=true(&.*)?"),
]
STARTUP = re.compile(
    r"^(admin token|console: |demo app:|  curl |  \.venv/bin/python -m devtools\.sign_call )"
)


def secret_fields(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name in SECRET_FIELDS and isinstance(item, str) and len(item) >= 16:
                yield item
            else:
                yield from secret_fields(item)
    elif isinstance(value, list):
        for item in value:
            yield from secret_fields(item)


def parsed(exchange: Exchange) -> Any:
    try:
        return json.loads(exchange.body)
    except ValueError:
        return None


def reveals(exchange: Exchange) -> bool:
    # Only the reveal reads its query; any other query string changes nothing shown.
    path = exchange.path if exchange.method == "GET" else exchange.path.split("?", 1)[0]
    return exchange.status < 300 and any(
        exchange.method == method and re.fullmatch(pattern, path)
        for method, pattern in REVEALING
    )


def known_secrets(runs: list[LocalRun]) -> set[str]:
    found = {ROOT_TOKEN}
    for run in runs:
        found |= {run.token, run.demo_secret}
    for exchange in EXCHANGES:
        found |= set(secret_fields(parsed(exchange)))
    return found


def all_call_records(run: LocalRun, token: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(200):
        reply = run.get(f"/v1/call-records?limit=200{cursor}", token=token)
        if reply.status == 401:  # a token revoked by the test that made it
            break
        page = run.ok(reply)
        records += page["items"]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    return records


def test_every_operation_that_shows_a_secret_end_to_end(local: LocalRun) -> None:
    """Walk each secret-bearing operation once, with calls that use (and misuse) the values,
    so the check below sees every kind of secret in flight."""
    app = local.new_app()
    key = local.ok(local.post(f"/v1/apps/{app.app_id}/keys", {"name": "second"}), 201)
    revealed = local.ok(local.get(f"/v1/keys/{key['access_key']}?reveal=true"))
    assert revealed["secret"] == key["secret"]
    reset = local.ok(local.post(f"/v1/keys/{app.access_key}/reset-secret"))
    renamed = local.ok(local.patch(f"/v1/keys/{key['access_key']}", {"access_key": "LogsKey01"}))
    rotated = TestApp(app.app_id, app.access_key, reset["secret"], app.created)
    assert local.client(rotated).request("GET", "/demo/hello").status == 200
    stale = local.client(app).request("GET", "/demo/hello")  # the old secret: refused
    assert stale.get_header("X-Ca-Error-Code") == "INVALID_SIGNATURE"
    moved = TestApp(app.app_id, "LogsKey01", renamed["secret"], app.created)
    assert local.client(moved).request("POST", "/demo/echo", json_body={"a": 1}).status == 200
    code = local.ok(local.post(f"/v1/apps/{app.app_id}/appcodes"), 201)
    simple = SignedRequest(
        method="GET",
        url=local.base_url + "/demo/hello",
        headers={"Authorization": f"APPCODE {code['appcode']}"},
        body=None,
        canonical_resource="/demo/hello",
        string_to_sign="",
    )
    assert send(simple).status == 200
    wrong = replace(simple, headers={"Authorization": f"APPCODE {code['appcode']}x"})
    assert send(wrong).status == 403
    token = local.ok(local.post("/v1/tokens", {"name": "logs"}), 201)
    assert local.get("/v1/apps?limit=1", token=token["token"]).status == 200
    assert local.get("/v1/apps?limit=1", token=token["token"] + "x").status == 401
    local.ok(local.post(f"/v1/apps/{app.app_id}/copy", {}), 201)
    local.ok(local.delete(f"/v1/tokens/{token['token_id']}"), 204)
    assert local.get("/v1/apps?limit=1", token=token["token"]).status == 401


@pytest.mark.after_e2e
def test_no_secret_token_or_appcode_appears_anywhere_but_where_it_is_shown(
    local: LocalRun,
) -> None:
    tokens = {local.token} | {
        str(body["token"])
        for exchange in EXCHANGES
        if exchange.path == "/v1/accounts"
        and exchange.status == 201
        and isinstance(body := parsed(exchange), dict)
    }
    # Read the records before collecting: these reads are exchanges too.
    records = [record for token in sorted(tokens) for record in all_call_records(local, token)]
    secrets = known_secrets(RUNS)
    assert len(secrets) >= 8, "the suite should have seen many secrets; is the capture broken?"
    leaks: list[str] = []

    for exchange in EXCHANGES:
        allowed = set(secret_fields(parsed(exchange))) if reveals(exchange) else set()
        text = exchange.body.decode("utf-8", "replace")
        headers = " ".join(f"{k}: {v}" for k, v in exchange.headers)
        for secret in secrets:
            if secret in headers or (secret in text and secret not in allowed):
                leaks.append(f"{exchange.method} {exchange.path} -> {exchange.status}")
    for run in RUNS:
        for line in run.output:
            if STARTUP.match(line):
                continue
            leaks += [f"log line: {line[:120]}" for s in secrets if s in line]
    text = json.dumps(records)
    leaks += ["a call record" for s in secrets if s in text]

    lines = sum(len(run.output) for run in RUNS)
    # The authorizer's decision/EMF lines (chalicelib/http/telemetry.py) are among those read.
    decisions = sum('"message":"authorizer decision"' in line for r in RUNS for line in r.output)
    FIGURES.append(
        f"leak check: {len(secrets)} secrets, tokens and AppCodes looked for in "
        f"{len(EXCHANGES)} answers, {lines} log lines ({decisions} authorizer decision lines) "
        f"of {len(RUNS)} local runs and {len(records)} call records; {len(set(leaks))} leaks"
    )
    assert decisions, "no authorizer decision line in the local runs' output: is it written?"
    assert not leaks, "\n".join(sorted(set(leaks))[:30])
    assert records, "the signed calls above should have left call records"
