"""schemathesis against the local run's own /openapi.json: every operation, the examples,
coverage and fuzzing phases, a fixed seed and a bounded number of examples.

No answer may be a 5xx, and every answer must be one the document declares (status code,
content type, schema, headers). It runs as an account of its own, so what it creates never
shows in the other end-to-end tests' listings of the account ``default``, and its path
parameters name real objects of that account (an app, a key, an API, an authorization, an
AppCode, a token), so the requests reach stored items, not only 404s.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.support.local_server import FIGURES, LocalRun, record_exchange

pytestmark = pytest.mark.e2e
SEED = 20261130
MAX_EXAMPLES = 10
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# Methods a route lacks, sent by the coverage phase; chalice local answers them 405 as API
# Gateway would, except TRACE/CONNECT, which Python's http.server answers 501 before any of
# our code runs (API Gateway never forwards them either).
UNEXPECTED_METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH"]


@dataclass
class Figures:
    operations: set[str] = field(default_factory=set)
    requests: int = 0
    per_phase: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        server_errors = sum(n for status, n in self.statuses.items() if status >= 500)
        return (
            f"schemathesis: {len(self.operations)} operations, {self.requests} requests, "
            f"{server_errors} 5xx, {len(self.failures)} non-conforming; requests by phase "
            + ", ".join(f"{p}: {n}" for p, n in sorted(self.per_phase.items()))
            + "; statuses "
            + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        )


def fuzz(base_url: str, token: str, parameters: dict[str, str]) -> Figures:
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import Status, events, from_schema

    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {token}"},
            "parameters": {f"path.{name}": value for name, value in parameters.items()},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True, "unexpected-methods": UNEXPECTED_METHODS},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "request-timeout": 15,
            # One worker: with two, CPython 3.11's ast module races (gh-106905, "AST
            # constructor recursion depth mismatch") and a phase of an operation is lost.
            "workers": 1,
        }
    )
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json", config=config)
    figures = Figures()
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            figures.failures.append(f"engine error: {event}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        figures.operations.add(recorder.label)
        for interaction in recorder.interactions.values():
            figures.requests += 1
            figures.per_phase[str(event.phase.value)] += 1
            response = interaction.response
            if response is not None:
                figures.statuses[response.status_code] += 1
                # Kept for the check that no secret leaks (test_logs), as the suite's own are.
                headers = [(k, v) for k, values in response.headers.items() for v in values]
                request = interaction.request
                record_exchange(
                    request.method, request.uri, response.status_code, headers, response.content
                )
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.status != Status.FAILURE:
                    continue
                case = recorder.cases.get(case_id)
                title = check.failure_info.failure.title if check.failure_info else ""
                curl = case.value.as_curl_command() if case else ""
                figures.failures.append(f"{check.name} {recorder.label}: {title}\n  {curl}")
    return figures


def real_objects(local: LocalRun, token: str) -> dict[str, str]:
    """Objects of the fuzzing account whose ids fill the paths, so requests reach real items
    (which the fuzzer may then change, disable, rename or delete: they are its own)."""
    app = local.ok(local.post("/v1/apps", {"name": "fuzzed"}, token=token), 201)
    key = local.ok(local.post(f"/v1/apps/{app['app_id']}/keys", {}, token=token), 201)
    api = local.ok(
        local.post(
            "/v1/apis", {"name": "fuzzed", "method": "GET", "path": "/fuzzed/{id}"}, token=token
        ),
        201,
    )
    grant = {"app_id": app["app_id"], "api_id": api["api_id"]}
    authorization = local.ok(local.post("/v1/authorizations", grant, token=token), 201)
    code = local.ok(local.post(f"/v1/apps/{app['app_id']}/appcodes", token=token), 201)
    spare = local.ok(local.post("/v1/tokens", {"name": "fuzzed"}, token=token), 201)
    return {
        "app_id": app["app_id"],
        "access_key": key["access_key"],
        "api_id": api["api_id"],
        "authorization_id": authorization["authorization_id"],
        "appcode_id": code["appcode_id"],
        "token_id": spare["token_id"],  # not the fuzzer's own: revoking it must not lock it out
        "gateway_id": api["gateway_id"],
    }


def test_admin_api_answers_every_fuzzed_request_as_its_document_says(local: LocalRun) -> None:
    account = local.ok(local.post("/v1/accounts", {"name": "schemathesis"}), 201)
    token = account["token"]
    # Its own gateway, so it registers APIs (and its fuzzed gateway calls are a non-root's).
    gateway = {"gateway_id": "fuzzgw", "account_id": account["account_id"]}
    local.ok(local.post("/v1/gateways", gateway), 201)
    parameters = real_objects(local, token)
    figures = fuzz(local.base_url, token, parameters)
    FIGURES.append(figures.summary())
    documented = {
        f"{method.upper()} {path}"
        for path, methods in local.get("/openapi.json", auth=False).body["paths"].items()
        for method in methods
    }
    assert figures.operations == documented
    assert not figures.failures, "\n".join(figures.failures[:20])
    assert not [status for status in figures.statuses if status >= 500], figures.summary()
