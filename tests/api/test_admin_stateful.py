"""A hypothesis state machine over the admin API with two accounts, in any order: create,
copy, disable, enable and delete apps; add, disable, enable, delete keys; reset secrets and
change access keys; authorize and revoke. After every step:

- nothing of one account is visible to the other (404, absent from its lists);
- each account's key counter equals its key pairs (so the 500 limit counts right), at most 500;
- a disabled app or key denies; an enabled one that the demo group is granted to is allowed;
- deleted objects are gone from every list; every app keeps its default key pair;
- a copy holds only its own account's grants.

Each example gets two new accounts in one moto world, so examples never see each other's
objects. The root account (``default``) owns the demo APIs and grants the group ``demo``.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from tests.support.admin import Admin, module_world
from tests.support.events import run, signed_event

DEMO_TARGET = "group#default#demo"


@dataclass
class Key:
    access_key: str
    secret: str
    enabled: bool = True
    is_default: bool = False


@dataclass
class App:
    app_id: str
    owner: str  # "a" or "b"
    enabled: bool = True
    default_key: str = ""
    keys: dict[str, Key] = field(default_factory=dict)
    # target -> (granting account, authorization id)
    grants: dict[str, tuple[str, str]] = field(default_factory=dict)


class AdminMachine(RuleBasedStateMachine):
    apps = Bundle("apps")

    def __init__(self) -> None:
        super().__init__()
        # A moto world per example: moto copies every table on each transaction, so a world
        # that grew over all examples would make each step slower than the last.
        self.world = ExitStack()
        self.root: Admin = self.world.enter_context(module_world())
        from chalicelib.services.bootstrap import register_demo

        register_demo()
        self.admins: dict[str, Admin] = {}
        self.account_ids: dict[str, str] = {}
        self.live: dict[str, App] = {}
        self.deleted_apps: list[App] = []
        self.deleted_keys: list[tuple[str, str]] = []  # (owner, access_key)
        self.revoked: list[tuple[str, str]] = []  # (granter, authorization id)

    def teardown(self) -> None:
        self.world.close()

    # -- setup ----------------------------------------------------------------------------

    @initialize(target=apps)
    def two_accounts_each_with_an_app_the_other_authorized(self) -> Any:
        for name in ("a", "b"):
            created = self.root.post("/v1/accounts", {"name": name})
            assert created.status == 201, created.body
            self.admins[name] = Admin(self.root.client, created.body["token"])
            self.account_ids[name] = created.body["account_id"]
        first = [self.create_app("a"), self.create_app("b")]
        self.authorize(first[0], "b")
        self.authorize(first[1], "a")
        return multiple(*first)

    def admin(self, owner: str) -> Admin:
        return self.root if owner == "root" else self.admins[owner]

    def _track(self, owner: str, body: dict[str, Any]) -> App:
        app = App(body["app_id"], owner, default_key=body["default_access_key"])
        [key] = body["keys"]
        app.keys[key["access_key"]] = Key(key["access_key"], key["secret"], is_default=True)
        for grant in body.get("authorizations", []):
            target = _target(grant)
            names = {i: n for n, i in self.account_ids.items()} | {"default": "root"}
            app.grants[target] = (names[grant["provider_account_id"]], grant["authorization_id"])
        self.live[app.app_id] = app
        return app

    # -- apps -----------------------------------------------------------------------------

    @rule(target=apps, owner=st.sampled_from(["a", "b"]))
    def create_app(self, owner: str) -> str:
        created = self.admin(owner).post("/v1/apps", {"name": f"app-{owner}"})
        assert created.status == 201, created.body
        return self._track(owner, created.body).app_id

    @rule(target=apps, source=apps)
    def copy_app(self, source: str) -> str:
        app = self.live.get(source)
        if app is None:
            assert self.root.post(f"/v1/apps/{source}/copy", {}).status == 404
            return source
        copied = self.admin(app.owner).post(f"/v1/apps/{source}/copy", {})
        assert copied.status == 201, copied.body
        copy = self._track(app.owner, copied.body)
        own = {t: g for t, g in app.grants.items() if g[0] == app.owner}
        assert set(copy.grants) == set(own), (copy.grants, app.grants)
        return copy.app_id

    @rule(app_id=apps, enabled=st.booleans())
    def set_app_enabled(self, app_id: str, enabled: bool) -> None:
        app = self.live.get(app_id)
        if app is None:
            return
        reply = self.admin(app.owner).patch(f"/v1/apps/{app_id}", {"enabled": enabled})
        assert reply.status == 200 and reply.body["enabled"] is enabled, reply.body
        app.enabled = enabled

    @rule(app_id=apps)
    def delete_app(self, app_id: str) -> None:
        app = self.live.get(app_id)
        if app is None:
            assert self.root.delete(f"/v1/apps/{app_id}").status == 404
            return
        reply = self.admin(app.owner).delete(f"/v1/apps/{app_id}")
        if app.enabled:
            assert reply.status == 409, reply.body
            return
        assert reply.status == 204, reply.body
        del self.live[app_id]
        self.deleted_apps.append(app)
        for key in app.keys:
            self.deleted_keys.append((app.owner, key))
        for granter, authorization_id in app.grants.values():
            self.revoked.append((granter, authorization_id))

    # -- keys -----------------------------------------------------------------------------

    @rule(app_id=apps)
    def add_key(self, app_id: str) -> None:
        app = self.live.get(app_id)
        if app is None:
            return
        added = self.admin(app.owner).post(f"/v1/apps/{app_id}/keys", {})
        assert added.status == 201, added.body
        app.keys[added.body["access_key"]] = Key(added.body["access_key"], added.body["secret"])

    def _some_key(self, app_id: str, pick: int) -> tuple[App, Key] | None:
        app = self.live.get(app_id)
        if app is None or not app.keys:
            return None
        keys = sorted(app.keys)
        return app, app.keys[keys[pick % len(keys)]]

    @rule(app_id=apps, pick=st.integers(0, 3), enabled=st.booleans())
    def set_key_enabled(self, app_id: str, pick: int, enabled: bool) -> None:
        found = self._some_key(app_id, pick)
        if found is None:
            return
        app, key = found
        reply = self.admin(app.owner).patch(f"/v1/keys/{key.access_key}", {"enabled": enabled})
        assert reply.status == 200 and reply.body["enabled"] is enabled, reply.body
        key.enabled = enabled

    @rule(app_id=apps, pick=st.integers(0, 3))
    def delete_key(self, app_id: str, pick: int) -> None:
        found = self._some_key(app_id, pick)
        if found is None:
            return
        app, key = found
        reply = self.admin(app.owner).delete(f"/v1/keys/{key.access_key}")
        if key.is_default or key.enabled:
            assert reply.status == 409, reply.body
            return
        assert reply.status == 204, reply.body
        del app.keys[key.access_key]
        self.deleted_keys.append((app.owner, key.access_key))

    @rule(app_id=apps, pick=st.integers(0, 3))
    def reset_secret(self, app_id: str, pick: int) -> None:
        found = self._some_key(app_id, pick)
        if found is None:
            return
        app, key = found
        reply = self.admin(app.owner).post(f"/v1/keys/{key.access_key}/reset-secret")
        assert reply.status == 200, reply.body
        assert reply.body["secret"] != key.secret
        key.secret = reply.body["secret"]

    @rule(app_id=apps, pick=st.integers(0, 3))
    def change_access_key(self, app_id: str, pick: int) -> None:
        found = self._some_key(app_id, pick)
        if found is None:
            return
        app, key = found
        new_value = "St" + key.access_key[:6] + f"{len(self.deleted_keys):04d}x"
        while new_value in app.keys:
            new_value += "y"
        reply = self.admin(app.owner).patch(f"/v1/keys/{key.access_key}", {"access_key": new_value})
        assert reply.status == 200, reply.body
        del app.keys[key.access_key]
        self.deleted_keys.append((app.owner, key.access_key))
        app.keys[new_value] = Key(new_value, reply.body["secret"], key.enabled, key.is_default)
        if key.is_default:
            app.default_key = new_value

    # -- authorizations -------------------------------------------------------------------

    @rule(app_id=apps, granter=st.sampled_from(["root", "a", "b"]))
    def authorize(self, app_id: str, granter: str) -> None:
        app = self.live.get(app_id)
        if app is None:
            return
        body: dict[str, Any] = {"app_id": app_id}
        if granter == "root":
            body["group"], target = "demo", DEMO_TARGET
        else:
            body["all"], target = True, f"all#{self.account_ids[granter]}"
        reply = self.admin(granter).post("/v1/authorizations", body)
        if target in app.grants:
            assert reply.status == 409, reply.body
            return
        assert reply.status == 201, reply.body
        assert set(reply.body) >= {"authorization_id", "app_id"} and "app_name" not in reply.body
        app.grants[target] = (granter, reply.body["authorization_id"])

    @rule(app_id=apps, pick=st.integers(0, 3))
    def revoke(self, app_id: str, pick: int) -> None:
        app = self.live.get(app_id)
        if app is None or not app.grants:
            return
        target = sorted(app.grants)[pick % len(app.grants)]
        granter, authorization_id = app.grants[target]
        outsider = "b" if granter != "b" else "a"
        assert self.admin(outsider).delete(f"/v1/authorizations/{authorization_id}").status == 404
        reply = self.admin(granter).delete(f"/v1/authorizations/{authorization_id}")
        assert reply.status == 204, reply.body
        del app.grants[target]
        self.revoked.append((granter, authorization_id))

    # -- invariants -----------------------------------------------------------------------

    @precondition(lambda self: bool(self.admins))
    @invariant()
    def each_account_sees_exactly_its_own_apps(self) -> None:
        from chalicelib.storage.models import AccountModel

        for owner, admin in self.admins.items():
            listed = admin.get("/v1/apps?limit=200").body["items"]
            own = {a.app_id for a in self.live.values() if a.owner == owner}
            assert {a["app_id"] for a in listed} == own
            for app in listed:
                assert app["account_id"] == self.account_ids[owner]
            keys = sum(len(a.keys) for a in self.live.values() if a.owner == owner)
            count = int(AccountModel.get(self.account_ids[owner]).key_count or 0)
            assert count == keys <= 500

    @precondition(lambda self: bool(self.admins))
    @invariant()
    def nothing_of_one_account_is_visible_to_the_other(self) -> None:
        for app in self.live.values():
            outsider = self.admins["b" if app.owner == "a" else "a"]
            assert outsider.get(f"/v1/apps/{app.app_id}").status == 404
            for access_key in app.keys:
                assert outsider.get(f"/v1/keys/{access_key}").status == 404

    @precondition(lambda self: bool(self.admins))
    @invariant()
    def deleted_objects_are_gone_and_default_keys_survive(self) -> None:
        for app in self.deleted_apps:
            assert self.admin(app.owner).get(f"/v1/apps/{app.app_id}").status == 404
        for owner, access_key in self.deleted_keys:
            assert self.admin(owner).get(f"/v1/keys/{access_key}").status == 404
        for granter in ("root", "a", "b"):
            if granter != "root" and granter not in self.admins:
                continue
            listed = self.admin(granter).get("/v1/authorizations?limit=200").body["items"]
            ids = {g["authorization_id"] for g in listed}
            assert not ids & {i for who, i in self.revoked if who == granter}
        for app in self.live.values():
            shown = self.admin(app.owner).get(f"/v1/apps/{app.app_id}").body
            defaults = [k for k in shown["keys"] if k["is_default"]]
            assert [k["access_key"] for k in defaults] == [app.default_key]
            assert {k["access_key"] for k in shown["keys"]} == set(app.keys)
            assert {_target(g) for g in shown["authorizations"]} == set(app.grants)

    @precondition(lambda self: bool(self.live))
    @invariant()
    def a_disabled_app_or_key_denies(self) -> None:
        for app in self.live.values():
            for key in app.keys.values():
                creds = {"access_key": key.access_key, "secret": key.secret}
                result = run(
                    signed_event(creds, gateway_id="local")
                )  # where register_demo puts the demo
                verdict = result["context"].get("error_code", "ALLOWED")
                if not app.enabled or not key.enabled:
                    assert verdict in {"KEY_DISABLED", "APP_DISABLED"}, verdict
                elif DEMO_TARGET in app.grants:
                    assert verdict == "ALLOWED", verdict
                else:
                    assert verdict == "NOT_AUTHORIZED", verdict


def _target(grant: dict[str, Any]) -> str:
    if grant["all"]:
        return f"all#{grant['provider_account_id']}"
    if grant["group"]:
        return f"group#{grant['provider_account_id']}#{grant['group']}"
    return f"api#{grant['api_id']}"


AdminMachine.TestCase.settings = settings(
    max_examples=5,
    stateful_step_count=8,
    # Each step costs real (moto) requests: report the failing run as found, unshrunk.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TestAdminStateMachine = AdminMachine.TestCase
