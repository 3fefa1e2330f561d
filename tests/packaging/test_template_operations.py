"""Operations in the merge template (CONTRACT.md 4): JSON logs on every function, the alarms
and their topic, the dashboard, the expiry notifier's schedule and least-privilege role, and a
check that every reference in the template resolves. Runs everywhere, no package build; the
built template is cfn-linted by tests/packaging/test_package.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.packaging.test_template_tables import hand_written, merge_template

ROOT = Path(__file__).resolve().parents[2]
STACK = {"Ref": "AWS::StackName"}
TOPIC = [{"Ref": "AlarmTopic"}]
PSEUDO = {"AWS::StackName", "AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}


def chalice_functions() -> dict[str, str]:
    """Logical id -> name of every function `chalice package` generates for the app."""
    from app import app

    names = ["api_handler", *(f.name for f in app.pure_lambda_functions)]
    names += [source.name for source in app.event_sources]
    names += [a.name for a in app.builtin_auth_handlers]
    ids = {"api_handler": "APIHandler"}
    return {ids.get(n, "".join(p.title() for p in n.split("_"))): n for n in names}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = merge_template()["Resources"]
    return found


def alarms(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: r["Properties"]
        for name, r in resources.items()
        if r.get("Type") == "AWS::CloudWatch::Alarm"
    }


def test_every_function_logs_json(resources: dict[str, Any]) -> None:
    functions = chalice_functions()
    assert {"RequestAuthorizer", "ExpiryNotifier", "APIHandler", "AdminToken"} <= set(functions)
    for logical_id in functions:
        config = resources[logical_id]["Properties"].get("LoggingConfig")
        assert config == {"LogFormat": "JSON"}, logical_id


def test_the_issues_alarms_exist_with_their_thresholds_and_notify_the_one_topic(
    resources: dict[str, Any],
) -> None:
    found = alarms(resources)
    assert set(found) == {
        "AuthorizerErrorsAlarm",
        "AuthorizerThrottlesAlarm",
        "AuthorizerDurationAlarm",
        "AdminApi5xxAlarm",
        "DynamoDbThrottlesAlarm",
        "DenialSpikeAlarm",
    }
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == TOPIC and alarm["OKActions"] == TOPIC, name
        assert alarm["TreatMissingData"] == "notBreaching", name
    duration = found["AuthorizerDurationAlarm"]
    assert (duration["ExtendedStatistic"], duration["Threshold"]) == ("p99", 1000)
    assert duration["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "RequestAuthorizer"}}
    ]
    assert found["AuthorizerThrottlesAlarm"]["MetricName"] == "Throttles"
    assert found["AdminApi5xxAlarm"]["MetricName"] == "5XXError"
    assert {"Name": "ApiName", "Value": STACK} in found["AdminApi5xxAlarm"]["Dimensions"]
    assert resources["RestAPI"]["Properties"]["Name"] == STACK
    assert found["DenialSpikeAlarm"]["Threshold"] == {"Ref": "DenialSpikeThreshold"}
    topic = resources["AlarmTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    email = resources["AlarmTopicEmail"]
    assert email["Condition"] == "HasAlarmEmail"
    assert email["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }


def _metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    return [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]


def test_emf_alarms_read_the_metrics_the_authorizer_writes(resources: dict[str, Any]) -> None:
    """Namespace, names and dimensions as chalicelib/http/telemetry.py writes them."""
    from chalicelib.domain import verification as rules
    from chalicelib.http import telemetry

    env = resources["RequestAuthorizer"]["Properties"]["Environment"]["Variables"]
    assert env[telemetry.NAMESPACE_VARIABLE] == STACK
    request = rules.CallRequest("GET", "/", "/", {}, (), "", "r", "gw")
    text = telemetry.decision_line(request, "INVALID_SIGNATURE", None, 1.0, False, 0, True)
    line = json.loads(text)
    written = {
        (metric["Name"], tuple(dimensions))
        for directive in line["_aws"]["CloudWatchMetrics"]
        for dimensions in directive["Dimensions"]
        for metric in directive["Metrics"]
    }
    found = alarms(resources)
    denial = _metric_stats(found["DenialSpikeAlarm"])
    assert {d["Dimensions"][0]["Value"] for d in denial} == {"INVALID_SIGNATURE", "NONCE_USED"}
    errors = _metric_stats(found["AuthorizerErrorsAlarm"])
    for metric in [m for m in denial + errors if m["Namespace"] == STACK]:
        dimensions = tuple(d["Name"] for d in metric["Dimensions"])
        assert (metric["MetricName"], dimensions) in written, metric
    assert [m["Namespace"] for m in errors] == ["AWS/Lambda", STACK]


def test_the_throttle_alarm_watches_the_tables_on_the_call_path(
    resources: dict[str, Any],
) -> None:
    tables = {
        m["Dimensions"][0]["Value"]["Ref"]
        for m in _metric_stats(alarms(resources)["DynamoDbThrottlesAlarm"])
    }
    assert {"CallsTable", "CountersTable", "KeysTable", "AppsTable"} <= tables
    assert len(tables) <= 9  # an alarm's metric math takes 10 metrics at most, with the sum


def test_the_dashboard_is_json_and_shows_every_alarm(resources: dict[str, Any]) -> None:
    body = resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    dashboard = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    [status] = [w for w in dashboard["widgets"] if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(alarms(resources))
    assert set(re.findall(r"\$\{(\w+)\.Arn\}", body)) == set(alarms(resources))
    assert len(dashboard["widgets"]) >= 4


def test_the_notifier_runs_hourly_and_may_put_events_on_its_bus_only(
    resources: dict[str, Any],
) -> None:
    from chalice.app import Rate, ScheduledEventConfig

    from app import app

    [schedule] = [s for s in app.event_sources if s.name == "expiry_notifier"]
    assert isinstance(schedule, ScheduledEventConfig)
    assert isinstance(schedule.schedule_expression, Rate)
    assert schedule.schedule_expression.to_string() == "rate(1 hour)"
    env = resources["ExpiryNotifier"]["Properties"]["Environment"]["Variables"]
    assert env["APIAUTH_EVENT_BUS"] == {"Ref": "EventBusName"}
    statements = [
        s
        for policy in resources["ExpiryNotifierRole"]["Properties"]["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
    ]
    actions = {a for s in statements for a in s["Action"]}
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "events:PutEvents",
    }
    [put] = [s for s in statements if "events:PutEvents" in s["Action"]]
    assert put["Resource"]["Fn::Sub"].endswith(":event-bus/${EventBusName}")
    [writes] = [s for s in statements if "dynamodb:BatchWriteItem" in s["Action"]]
    assert writes["Resource"] == {"Fn::GetAtt": ["NoticesTable", "Arn"]}
    queried = [s for s in statements if s["Action"] == ["dynamodb:Query"]]
    assert all("/index/" in r["Fn::Sub"] for s in queried for r in s["Resource"])
    assert not [a for a in actions if a.endswith(("Scan", "PutItem", "UpdateItem"))]


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref":
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0])
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
            else:
                found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def test_every_reference_in_the_template_resolves(resources: dict[str, Any]) -> None:
    """What CloudFormation would refuse at deploy time: a Ref, GetAtt or Sub of a name that is
    neither a parameter, a pseudo parameter, a resource here nor one chalice generates."""
    template = merge_template()
    generated = set(chalice_functions()) | {"RestAPI"}
    generated |= {f"{name}Role" for name in chalice_functions()}
    known = set(template["Parameters"]) | PSEUDO | set(resources) | generated
    unknown = _references(template["Resources"]) | _references(template.get("Outputs", {}))
    assert not unknown - known, sorted(unknown - known)
    conditions = set(template["Conditions"])
    used = {r["Condition"] for r in hand_written()["Resources"].values() if "Condition" in r}
    assert used <= conditions


def test_deployment_guide_explains_every_alarm(resources: dict[str, Any]) -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    for name, alarm in alarms(resources).items():
        suffix = alarm["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        assert f"`{suffix}`" in guide, f"docs/deployment.md does not explain {name} ({suffix})"
