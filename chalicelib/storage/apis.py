"""The apis, routes and authorizations tables (ApiModel, RouteModel, AuthorizationModel).

An API's route item (``<gateway_id> <METHOD> <path>``) is what the authorizer looks a call up
by; it is written with the API, so a route is unique per gateway. An authorization is keyed
by app and target, so the authorizer fetches an app's three candidates in one batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.admin import Api, Authorization, Page
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.objects import Route
from chalicelib.domain.verification import route_key
from chalicelib.storage import items, reads
from chalicelib.storage.models import ApiModel, AuthorizationModel, RouteModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page
from chalicelib.storage.transactions import Transaction, Write, update_fields

UNBOUNDED_READS = 1_000_000


def _api_item(api: Api) -> ApiModel:
    return ApiModel.from_raw_data(items.api_item(api))


def _route_item(api: Api) -> RouteModel:
    key = route_key(api.gateway_id, api.method, api.path)
    route = Route(api.api_id, api.account_id, api.group)
    return RouteModel.from_raw_data(items.route_item(key, api.gateway_id, route))


def _route_taken(api: Api) -> Conflict:
    return Conflict(f"{api.method} {api.path} is already registered on gateway {api.gateway_id}")


def get_api(api_id: str) -> Api | None:
    item = reads.get_item("apis", api_id=api_id)
    return items.api_of(item) if item else None


def list_apis(account_id: str, limit: int, cursor: str | None) -> Page[Api]:
    start = decode_cursor(cursor, {"account_id", "api_id"}, {"account_id": account_id})
    arguments = reads.query("apis", "by_account", {"account_id": account_id})
    found = query_page(arguments, start, limit, 1)
    return Page([items.api_of(item) for item in found.items], encode_cursor(found.last_key))


def route_exists(gateway_id: str, method: str, path: str) -> bool:
    return reads.get_item("routes", route=route_key(gateway_id, method, path)) is not None


def insert_api(api: Api) -> Write:
    """The API and its route; the route must be free on its gateway."""

    def add(tx: Transaction) -> None:
        tx.save(_api_item(api), condition=ApiModel.api_id.does_not_exist())
        tx.save(
            _route_item(api),
            condition=RouteModel.route.does_not_exist(),
            failure=_route_taken(api),
        )

    return add


def replace_api(old: Api, new: Api) -> Write:
    """The API as changed; a moved route must be free, and the old one goes."""

    def save(tx: Transaction) -> None:
        old_route, new_route = _route_item(old), _route_item(new)
        tx.save(
            _api_item(new),
            condition=ApiModel.account_id == new.account_id,
            failure=NotFound(f"api {new.api_id} not found"),  # deleted meanwhile
        )
        if new_route.route == old_route.route:
            tx.save(new_route)
        else:
            tx.save(
                new_route, condition=RouteModel.route.does_not_exist(), failure=_route_taken(new)
            )
            tx.delete(old_route)

    return save


def delete_api(api: Api) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(ApiModel(api.api_id))
        tx.delete(_route_item(api))

    return delete


def _grant_item(grant: Authorization) -> AuthorizationModel:
    return AuthorizationModel.from_raw_data(items.authorization_item(grant))


def authorizations_of(app_id: str) -> list[Authorization]:
    """Every authorization of the app, whichever account granted it."""
    found = reads.query_all(reads.query("authorizations", None, {"app_id": app_id}))
    return [items.authorization_of(item) for item in found]


def authorizations_naming(provider_account_id: str, api_id: str) -> list[Authorization]:
    """The provider's authorizations for one API."""
    arguments = reads.query(
        "authorizations",
        "by_provider",
        {"provider_account_id": provider_account_id},
        {"api_id": api_id},
    )
    return [items.authorization_of(item) for item in reads.query_all(arguments)]


def granted_by(provider_account_id: str, authorization_id: str) -> Authorization | None:
    arguments = reads.query("authorizations", "by_id", {"authorization_id": authorization_id})
    for grant in map(items.authorization_of, reads.query_all(arguments)):
        if grant.provider_account_id == provider_account_id:
            return grant
    return None


def list_authorizations(
    provider_account_id: str,
    app_id: str | None,
    api_id: str | None,
    limit: int,
    cursor: str | None,
    key_id: str | None = None,
) -> Page[Authorization]:
    """What the provider granted, optionally to one app, one key pair or for one API."""
    start = decode_cursor(
        cursor,
        {"provider_account_id", "authorization_id", "app_id", "target"},
        {"provider_account_id": provider_account_id},
    )
    asked = (("app_id", app_id), ("api_id", api_id), ("key_id", key_id))
    where = {name: value for name, value in asked if value}
    arguments = reads.query(
        "authorizations", "by_provider", {"provider_account_id": provider_account_id}, where
    )
    # As many reads as it takes to fill the page, as the listing always did.
    found = query_page(arguments, start, limit, max_reads=UNBOUNDED_READS)
    return Page(
        [items.authorization_of(item) for item in found.items], encode_cursor(found.last_key)
    )


def insert_authorization(grant: Authorization, *, new_app: bool = False) -> Write:
    """A new authorization; the app must not hold one for the same target already (an app
    written in the same transaction, a copy, holds none: nothing to check)."""

    def add(tx: Transaction) -> None:
        if new_app:
            tx.save(_grant_item(grant))
            return
        tx.save(
            _grant_item(grant),
            condition=AuthorizationModel.target.does_not_exist(),
            failure=Conflict(
                f"this {'key pair' if grant.key_id else 'app'} is already authorized for that "
                "target; revoke the old authorization"
            ),
        )

    return add


def update_authorization(grant: Authorization, changes: Mapping[str, Any]) -> Write:
    """Set the fields in ``changes`` (Authorization's names and values); None removes one.
    The grant must still be its provider's."""
    model = AuthorizationModel(grant.app_id, grant.target)
    condition = AuthorizationModel.provider_account_id == grant.provider_account_id
    failure = NotFound(f"authorization {grant.authorization_id} not found")
    return update_fields(model, items.AUTHORIZATIONS, changes, condition, failure)


def delete_authorization(grant: Authorization) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(AuthorizationModel(grant.app_id, grant.target))

    return delete
