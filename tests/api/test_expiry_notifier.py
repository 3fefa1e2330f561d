"""The expiry notifier against moto's EventBridge, read back as an operator's consumer would:
a rule on the bus for ``source: apiauth`` sending to an SQS queue (CONTRACT.md 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain import expiry
from chalicelib.domain.clock import format_time, utc_now
from tests.support.admin import Admin

BUS = "apiauth-notices"


def subscribe(bus: str) -> str:
    """A rule for apiauth's events on ``bus`` with an SQS queue as its target; the queue's URL."""
    from chalicelib.storage import clients

    session = clients._session()
    events = session.create_client("events", region_name="us-east-1")
    sqs = session.create_client("sqs", region_name="us-east-1")
    if bus != "default":
        events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"{bus}-consumer")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="apiauth-notices", EventBusName=bus, EventPattern=json.dumps({"source": ["apiauth"]})
    )
    events.put_targets(
        Rule="apiauth-notices", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}]
    )
    return str(queue_url)


def received(queue_url: str) -> list[dict[str, Any]]:
    from chalicelib.storage import clients

    sqs = clients._session().create_client("sqs", region_name="us-east-1")
    found: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def bus(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("APIAUTH_EVENT_BUS", BUS)
    monkeypatch.setenv("APIAUTH_UNUSED_DAYS", "1")
    yield subscribe(BUS)


def test_each_kind_is_told_once_per_threshold_and_never_with_a_secret(
    admin: Admin, demo: dict[str, str], bus: str
) -> None:
    from chalicelib.services.expiry_notifier import notify

    now = utc_now()
    secrets = {admin.token, demo["secret"]}
    app = admin.post("/v1/apps", {"name": "expiring"}).body
    secrets.add(app["keys"][0]["secret"])
    key = admin.post(
        f"/v1/apps/{app['app_id']}/keys", {"expires_at": format_time(now + timedelta(days=12))}
    ).body
    secrets.add(key["secret"])
    code = admin.post(
        f"/v1/apps/{app['app_id']}/appcodes",
        {"expires_at": format_time(now + timedelta(days=2, hours=12))},
    ).body
    secrets.add(code["appcode"])
    reset = admin.post(
        f"/v1/keys/{app['keys'][0]['access_key']}/reset-secret", {"grace_seconds": 6 * 86400}
    ).body
    secrets.add(reset["secret"])
    grant = admin.post(
        "/v1/authorizations",
        {"app_id": app["app_id"], "all": True, "expires_at": format_time(now + timedelta(days=9))},
    )
    assert grant.status == 201, grant.body
    in_ten_days = format_time(now + timedelta(days=10))
    key_grant = admin.post(
        "/v1/authorizations",
        {"access_key": key["access_key"], "all": True, "expires_at": in_ten_days},
    )
    assert key_grant.status == 201, key_grant.body

    later = now + timedelta(days=2)  # every key pair made above is now unused for a day
    first = notify(later)
    events = received(bus)
    assert len(events) == len(first.sent) == first.due
    kinds = {e["detail-type"] for e in events}
    assert kinds == set(expiry.DETAIL_TYPES)
    assert all(e["source"] == "apiauth" for e in events)
    by_kind = {(e["detail-type"], json.dumps(e["detail"], sort_keys=True)): e for e in events}
    assert len(by_kind) == len(events), "a notice was sent twice"
    text = json.dumps(events)
    assert not [s for s in secrets if s in text], "a secret, token or AppCode in an event"

    def one(kind: str) -> dict[str, Any]:
        [detail] = [
            e["detail"]
            for e in events
            if e["detail-type"] == kind and e["detail"]["app_id"] == app["app_id"]
        ]
        return dict(detail)

    assert one("Key Pair Expiring") == {
        "account_id": "default",
        "app_id": app["app_id"],
        "access_key": key["access_key"],
        "expires_at": key["expires_at"],
        "threshold_days": 14,
    }
    assert one("AppCode Expiring")["appcode_id"] == code["appcode_id"]
    assert one("AppCode Expiring")["threshold_days"] == 1
    assert one("Rotation Grace Ending")["access_key"] == app["keys"][0]["access_key"]
    granted = {
        e["detail"]["authorization_id"]: e["detail"]
        for e in events
        if e["detail-type"] == "Authorization Expiring"
    }
    assert "access_key" not in granted[grant.body["authorization_id"]]
    assert granted[key_grant.body["authorization_id"]]["access_key"] == key["access_key"]
    unused = [e["detail"]["access_key"] for e in events if e["detail-type"] == "Key Pair Unused"]
    assert {app["keys"][0]["access_key"], key["access_key"], demo["access_key"]} <= set(unused)

    # A new access key for the same pair is not a new pair: nothing is told again.
    renamed = admin.patch(f"/v1/keys/{key['access_key']}", {"access_key": "ExpiringKey02"})
    assert renamed.status == 200, renamed.body
    key["access_key"] = "ExpiringKey02"
    again = notify(later + timedelta(hours=1))
    assert again.due == first.due and again.sent == [] and received(bus) == []

    # A day before the key pair's end: its 1-day notice, once.
    last_day = now + timedelta(days=11, hours=12)
    told = notify(last_day)
    late = received(bus)
    assert [
        (e["detail-type"], e["detail"].get("threshold_days"))
        for e in late
        if e["detail"].get("access_key") == key["access_key"]
    ] == [("Key Pair Expiring", 1)]
    assert len(late) == len(told.sent)
    assert notify(last_day).sent == []


def test_the_notices_go_to_the_eventbridge_that_aws_endpoint_url_names(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No in-process mock here: only the standard endpoint variable leads the client to moto."""
    from chalicelib.storage import clients, event_bus

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("APIAUTH_EVENT_BUS", "default")
    clients.reset_clients()
    try:
        queue = subscribe("default")
        notice = expiry.Notice(expiry.KEY_PAIR_UNUSED, {"access_key": "Endpoint01"}, "m", utc_now())
        assert event_bus.put([notice]) == [notice]
        [event] = received(queue)
        assert event["detail"] == {"access_key": "Endpoint01"}
    finally:
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        clients.reset_clients()
