"""The authorizer's context as the string map API Gateway passes on (CONTRACT.md 3.3)."""

from __future__ import annotations

from chalicelib.domain.call_context import CallContext
from chalicelib.domain.records import RecordRef

ALLOWED = CallContext(
    app_id="app-1",
    access_key="",
    auth_method="appcode",
    account_id="acc-c",
    provider_account_id="acc-p",
    api_id="api-1",
    stage="RELEASE",
    extension="{}",
    request_id="req-1",
    record_id="r#req-1",
)


def test_an_allowed_call_carries_every_key_the_contract_names_even_empty_ones() -> None:
    assert ALLOWED.to_map() == {
        "app_id": "app-1",
        "access_key": "",
        "auth_method": "appcode",
        "account_id": "acc-c",
        "provider_account_id": "acc-p",
        "api_id": "api-1",
        "stage": "RELEASE",
        "extension": "{}",
        "request_id": "req-1",
        "record_id": "r#req-1",
    }


def test_the_signed_calls_keys_are_there_only_when_set() -> None:
    signed = ALLOWED._replace(auth_method="signature", secret="previous", content_md5="abc==")
    values = signed.to_map()
    assert values["secret"] == "previous" and values["content_md5"] == "abc=="
    assert "body_check" not in values and "retry_after" not in values


def test_a_denial_carries_its_request_id_and_a_limits_retry_after_only() -> None:
    assert CallContext(request_id="req-2").to_map() == {"request_id": "req-2"}
    limited = CallContext(request_id="req-3", retry_after=7).to_map()
    assert limited == {"request_id": "req-3", "retry_after": "7"}
    assert CallContext().to_map() == {}


def test_a_deferred_call_names_the_body_check() -> None:
    deferred = CallContext.deferred("req-4")
    assert deferred.to_map() == {"request_id": "req-4", "body_check": "form"}
    assert deferred.from_request_authorizer and not deferred.allowed


def test_the_map_reads_back_to_the_same_context() -> None:
    for context in (
        ALLOWED,
        ALLOWED._replace(secret="current", content_md5="x"),
        CallContext(request_id="r", retry_after=3),
        CallContext.deferred("r"),
    ):
        assert CallContext.from_map(context.to_map()) == context


def test_reading_ignores_other_entries_and_values_that_are_not_strings() -> None:
    read = CallContext.from_map(
        {"principalId": "app-1", "app_id": 5, "status": "403", "retry_after": "soon"}
    )
    assert read == CallContext()
    assert not read.from_request_authorizer
    assert CallContext.from_map({"retry_after": "12"}).retry_after == 12


def test_a_route_shows_the_context_without_our_bookkeeping() -> None:
    shown = ALLOWED._replace(body_check="form").public()
    assert "record_id" not in shown and "body_check" not in shown
    assert shown["request_id"] == "req-1" and shown["access_key"] == ""


def test_the_record_is_seen_by_the_apis_owner_and_the_apps_owner_once_each() -> None:
    assert ALLOWED.record_ref == RecordRef(("acc-p", "acc-c"), "r#req-1")
    own = ALLOWED._replace(provider_account_id="acc-c")
    assert own.record_ref == RecordRef(("acc-c",), "r#req-1")
    assert CallContext(record_id="x").record_ref == RecordRef((), "x")
