"""The authorizer's line per call: a decision line that is also a valid CloudWatch EMF
document (CONTRACT.md 4). What the handler writes for real calls:
tests/api/test_telemetry_lines.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain import verification as rules
from chalicelib.domain.call_context import CallContext
from chalicelib.domain.records import CallRecord
from chalicelib.http import telemetry
from chalicelib.services.call_verification import Outcome

REQUEST = rules.CallRequest(
    method="GET",
    path="/prod/demo/hello",
    resource="/demo/hello",
    headers={},
    query=(),
    source_ip="198.51.100.1",
    request_id="req-1",
    gateway_id="abcdef1234",
)
RECORD = CallRecord(
    request_id="req-1",
    time="2026-12-03T12:00:00.000Z",
    method="GET",
    path="/prod/demo/hello",
    source_ip="198.51.100.1",
    stage="RELEASE",
    result="INVALID_SIGNATURE",
    auth_method="signature",
    access_key="DemoKey01",
    app_id="app-1",
    api_id="api-1",
)


def line_of(*arguments: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(telemetry.decision_line(*arguments))
    return parsed


def assert_valid_emf(line: dict[str, Any]) -> None:
    """What CloudWatch Logs requires to extract the metrics (the EMF specification)."""
    meta = line["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 1_700_000_000_000
    for directive in meta["CloudWatchMetrics"]:
        assert directive["Namespace"]
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            assert all(isinstance(line[name], str) and line[name] for name in dimension_set)
        for metric in directive["Metrics"]:
            assert isinstance(line[metric["Name"]], int | float), metric["Name"]
            assert metric["Unit"] in {"Count", "Milliseconds"}


def test_line_holds_the_decision_fields_and_metrics_by_verdict_and_gateway() -> None:
    line = line_of(REQUEST, "INVALID_SIGNATURE", RECORD, 3.14159, False, 1_764_763_200_000)
    assert_valid_emf(line)
    assert {k: line[k] for k in ("request_id", "verdict", "access_key", "app_id", "api_id")} == {
        "request_id": "req-1",
        "verdict": "INVALID_SIGNATURE",
        "access_key": "DemoKey01",
        "app_id": "app-1",
        "api_id": "api-1",
    }
    assert (line["gateway"], line["stage"], line["latency_ms"]) == ("abcdef1234", "RELEASE", 3.14)
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "apiauth"
    assert directive["Dimensions"] == [["verdict"], ["gateway", "verdict"]]
    assert [m["Name"] for m in directive["Metrics"]] == ["calls", "latency_ms"]
    assert "cold_start" not in line


def test_cold_start_is_a_metric_of_the_first_line_only(capsys: pytest.CaptureFixture[str]) -> None:
    telemetry._state["cold"] = True
    outcome = Outcome("INVALID_SIGNATURE", CallContext(request_id="req-1"), record=RECORD)
    telemetry.log_decision(REQUEST, outcome, 0.0)
    telemetry.log_decision(REQUEST, outcome, 0.0)
    first, second = (json.loads(text) for text in capsys.readouterr().out.splitlines())
    assert_valid_emf(first)
    assert first["cold_start"] == 1
    assert first["_aws"]["CloudWatchMetrics"][1] == {
        "Namespace": "apiauth",
        "Dimensions": [["function"]],
        "Metrics": [{"Name": "cold_start", "Unit": "Count"}],
    }
    assert "cold_start" not in second and len(second["_aws"]["CloudWatchMetrics"]) == 1


def test_namespace_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(telemetry.NAMESPACE_VARIABLE, "prod-stack")
    line = line_of(REQUEST, "success", RECORD, 1.0, True, 1_764_763_200_000)
    assert {d["Namespace"] for d in line["_aws"]["CloudWatchMetrics"]} == {"prod-stack"}


def test_a_caller_chosen_access_key_is_cut_and_a_missing_gateway_named() -> None:
    long_key = RECORD._replace(access_key="K" * 5000)
    request = REQUEST._replace(gateway_id="")
    line = line_of(request, "INVALID_KEY", long_key, 1.0, False, 1_764_763_200_000)
    assert len(line["access_key"]) < 200
    assert line["gateway"] == "none"
    assert_valid_emf(line)


def test_a_call_left_to_the_body_check_is_logged_as_deferred(
    capsys: pytest.CaptureFixture[str],
) -> None:
    telemetry.log_decision(REQUEST, Outcome("success", CallContext.deferred("req-1")), 0.0)
    line = json.loads(capsys.readouterr().out)
    assert line["verdict"] == "deferred" and line["app_id"] == ""
    assert_valid_emf(line)
