"""The authorizer's handler writes one decision/EMF line per call, with the call's fields and
never a secret or AppCode. The line's shape: tests/unit/test_telemetry.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.admin import Admin
from tests.support.events import GATEWAY_ID, base_event, run, signed_event


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = capsys.readouterr().out
    return [json.loads(text) for text in out.splitlines() if text.startswith('{"_aws"')]


def test_an_allowed_and_a_denied_call_each_write_their_decision_line(
    demo: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    allowed = run(signed_event(demo))
    run(signed_event(demo, secret="x" * 43))
    first, second = lines(capsys)
    assert first["request_id"] == base_event()["requestContext"]["requestId"]
    assert first["verdict"] == "success"
    assert first["access_key"] == demo["access_key"] and first["app_id"] == demo["app_id"]
    assert first["api_id"] == allowed["context"]["api_id"]
    assert (first["gateway"], first["stage"]) == (GATEWAY_ID, "RELEASE")
    assert first["latency_ms"] > 0 and first["calls"] == 1
    assert second["verdict"] == "INVALID_SIGNATURE" and second["app_id"] == demo["app_id"]
    assert demo["secret"] not in json.dumps([first, second])


def test_an_appcode_call_line_names_the_app_not_the_code(
    admin: Admin, demo: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = admin.post(f"/v1/apps/{demo['app_id']}/appcodes").body["appcode"]
    event = signed_event(demo)
    for name in [n for n in event["headers"] if n.lower().startswith("x-ca-")]:
        del event["headers"][name]
        del event["multiValueHeaders"][name]
    event["headers"]["Authorization"] = f"APPCODE {code}"
    event["multiValueHeaders"]["Authorization"] = [f"APPCODE {code}"]
    capsys.readouterr()
    assert run(event)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    [line] = lines(capsys)
    assert (line["verdict"], line["auth_method"], line["app_id"]) == (
        "success",
        "appcode",
        demo["app_id"],
    )
    assert code not in json.dumps(line)


def test_only_the_401_the_handler_raises_is_counted_as_unauthorized_401(
    demo: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Lambda counts the raise as an error; the error alarm takes these off (template)."""
    capsys.readouterr()
    with pytest.raises(Exception, match="^Unauthorized$"):
        run(base_event())
    unsigned = signed_event(demo)
    del unsigned["headers"]["X-Ca-Signature"]
    del unsigned["multiValueHeaders"]["X-Ca-Signature"]
    run(unsigned)  # a key without a signature: a 403, no raise
    raised, answered = lines(capsys)
    assert raised["verdict"] == answered["verdict"] == "MISSING_CREDENTIALS"
    assert raised["access_key"] == "" and raised["unauthorized_401"] == 1
    assert "unauthorized_401" not in answered


def test_an_http_api_call_writes_its_decision_line_too(
    root_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.http_api_events import HTTP_GATEWAY, bind_http_demo, signed_http_event
    from tests.support.http_api_events import run as run_http

    demo = bind_http_demo()
    event = signed_http_event(demo)
    capsys.readouterr()
    assert run_http(event)["isAuthorized"] is True
    [line] = lines(capsys)
    assert line["request_id"] == event["requestContext"]["requestId"]
    assert (line["verdict"], line["gateway"]) == ("success", HTTP_GATEWAY)
    assert line["app_id"] == demo["app_id"] and demo["secret"] not in json.dumps(line)


def test_an_http_api_call_without_credentials_is_no_401(
    root_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # An HTTP API's handler never raises (it answers isAuthorized false): counting the call
    # as unauthorized_401 would take a real error off the template's error alarm.
    from tests.support.http_api_events import bind_http_demo, http_event
    from tests.support.http_api_events import run as run_http

    bind_http_demo()
    capsys.readouterr()
    assert run_http(http_event())["isAuthorized"] is False
    [line] = lines(capsys)
    assert line["verdict"] == "MISSING_CREDENTIALS" and "unauthorized_401" not in line
