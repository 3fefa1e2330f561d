"""At most 500 key pairs per account, held by a conditional counter, also under concurrency."""

from __future__ import annotations

import threading
from typing import Any

from tests.support.admin import Admin


def set_key_count(account_id: str, value: int) -> None:
    from chalicelib.storage.models import AccountModel

    AccountModel(account_id).update(actions=[AccountModel.key_count.set(value)])


def key_count(account_id: str) -> int:
    from chalicelib.storage.models import AccountModel

    return int(AccountModel.get(account_id).key_count)


def test_the_500th_key_pair_is_allowed_and_the_501st_refused(admin: Admin, other: Admin) -> None:
    app = admin.post("/v1/apps", {"name": "busy"}).body
    app_id = app["app_id"]
    set_key_count("default", 499)
    assert admin.post(f"/v1/apps/{app_id}/keys", {}).status == 201
    assert key_count("default") == 500

    for reply in (
        admin.post(f"/v1/apps/{app_id}/keys", {"access_key": "OneTooMany1"}),
        admin.post("/v1/apps", {"name": "one more"}),
        admin.post(f"/v1/apps/{app_id}/copy", {}),
    ):
        assert reply.status == 409, reply.body
        assert reply.body["code"] == "LimitExceeded" and "500" in reply.body["message"]
    assert key_count("default") == 500
    assert admin.get("/v1/keys/OneTooMany1").status == 404
    assert [a["name"] for a in admin.get("/v1/apps").body["items"]] == ["busy"]

    # Another account has its own 500.
    assert other.post("/v1/apps", {"name": "free"}).status == 201

    # Deleting a pair frees a slot.
    spare = admin.get(f"/v1/apps/{app_id}").body["keys"]
    victim = next(k["access_key"] for k in spare if not k["is_default"])
    admin.patch(f"/v1/keys/{victim}", {"enabled": False})
    assert admin.delete(f"/v1/keys/{victim}").status == 204
    assert key_count("default") == 499
    assert admin.post(f"/v1/apps/{app_id}/keys", {}).status == 201


def test_deleting_an_app_gives_back_all_its_slots(admin: Admin) -> None:
    app_id = admin.post("/v1/apps", {"name": "big"}).body["app_id"]
    for _ in range(3):
        admin.post(f"/v1/apps/{app_id}/keys", {})
    set_key_count("default", 500)
    admin.patch(f"/v1/apps/{app_id}", {"enabled": False})
    assert admin.delete(f"/v1/apps/{app_id}").status == 204
    assert key_count("default") == 496


def test_concurrent_key_creation_stops_exactly_at_the_limit(moto_server: str) -> None:
    from chalicelib.domain.admin import NewApp
    from chalicelib.domain.errors import DomainError
    from chalicelib.domain.principal import Principal
    from chalicelib.http.errors import status_of
    from chalicelib.services import apps
    from chalicelib.services.accounts import ensure_account
    from chalicelib.storage.keys import keys_of
    from chalicelib.storage.models import AppModel

    assert AppModel.Meta.host == moto_server
    ensure_account("acc-busy", "busy")
    principal = Principal("acc-busy", "tok-test", False)
    app, _, _ = apps.create_app(principal, NewApp(name="busy"))
    set_key_count("acc-busy", 490)

    outcomes: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def create() -> None:
        start.wait(timeout=10)
        try:
            outcome: Any = apps.add_key(principal, app.app_id, None, None).key.access_key
        except DomainError as error:
            outcome = (status_of(error), error.code)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert not any(thread.is_alive() for thread in threads)

    created = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if not isinstance(o, str)]
    assert len(created) == 10, outcomes
    assert refused == [(409, "LimitExceeded")] * 10
    assert key_count("acc-busy") == 500
    assert len(keys_of(app.app_id)) == 11
