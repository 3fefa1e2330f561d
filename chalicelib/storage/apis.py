"""The apis, routes and authorizations tables (ApiModel, RouteModel, AuthorizationModel).

An API's route item (``<gateway_id> <METHOD> <path>``) is what the authorizer looks a call up
by; it is written with the API, so a route is unique per gateway. An authorization is keyed
by app and target, so the authorizer fetches an app's three candidates in one batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.admin import Api, Authorization, Page
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.verification import route_key
from chalicelib.storage.counters import limits_of
from chalicelib.storage.models import ApiModel, AuthorizationModel, RouteModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, page
from chalicelib.storage.transactions import Transaction, Write


def _api(item: ApiModel) -> Api:
    return Api(
        api_id=item.api_id,
        account_id=item.account_id,
        gateway_id=item.gateway_id,
        name=item.name,
        method=item.method,
        path=item.path,
        group=item.group,
        description=item.description or "",
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _api_item(api: Api) -> ApiModel:
    return ApiModel(
        api.api_id,
        account_id=api.account_id,
        gateway_id=api.gateway_id,
        name=api.name,
        method=api.method,
        path=api.path,
        group=api.group,
        description=api.description,
        created_at=api.created_at,
        updated_at=api.updated_at,
    )


def _route_item(api: Api) -> RouteModel:
    return RouteModel(
        route_key(api.gateway_id, api.method, api.path),
        gateway_id=api.gateway_id,
        api_id=api.api_id,
        account_id=api.account_id,
        group=api.group,
    )


def _route_taken(api: Api) -> Conflict:
    return Conflict(f"{api.method} {api.path} is already registered on gateway {api.gateway_id}")


def get_api(api_id: str) -> Api | None:
    try:
        return _api(ApiModel.get(api_id))
    except DoesNotExist:
        return None


def list_apis(account_id: str, limit: int, cursor: str | None) -> Page[Api]:
    start = decode_cursor(cursor, {"account_id", "api_id"}, {"account_id": account_id})
    results = ApiModel.by_account.query(account_id, limit=limit, last_evaluated_key=start)
    items, last = page(results, limit)
    return Page([_api(item) for item in items], encode_cursor(last))


def route_exists(gateway_id: str, method: str, path: str) -> bool:
    try:
        RouteModel.get(route_key(gateway_id, method, path))
    except DoesNotExist:
        return False
    return True


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


def _grant(item: AuthorizationModel) -> Authorization:
    return Authorization(
        app_id=item.app_id,
        target=item.target,
        authorization_id=item.authorization_id,
        provider_account_id=item.provider_account_id,
        app_account_id=item.app_account_id,
        api_id=item.api_id,
        group=item.group,
        stages=tuple(item.stages),
        expires_at=item.expires_at,
        limits=limits_of(item.limits),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _stored(name: str, value: Any) -> Any:
    """An Authorization field's value as its attribute holds it."""
    if name == "stages":
        return list(value)
    if name == "limits":
        return {limit.window: limit.limit for limit in value}
    return value


def _grant_item(grant: Authorization) -> AuthorizationModel:
    return AuthorizationModel(
        grant.app_id,
        grant.target,
        authorization_id=grant.authorization_id,
        provider_account_id=grant.provider_account_id,
        app_account_id=grant.app_account_id,
        api_id=grant.api_id,
        group=grant.group,
        stages=_stored("stages", grant.stages),
        expires_at=grant.expires_at,
        limits=_stored("limits", grant.limits),
        created_at=grant.created_at,
        updated_at=grant.updated_at,
    )


def authorizations_of(app_id: str) -> list[Authorization]:
    """Every authorization of the app, whichever account granted it."""
    return [_grant(item) for item in AuthorizationModel.query(app_id)]


def delete_authorizations_of(app_id: str) -> None:
    """One by one, outside any transaction: a retry of the app's delete finishes the rest."""
    for item in AuthorizationModel.query(app_id):
        item.delete()


def delete_authorizations_naming(provider_account_id: str, api_id: str) -> None:
    """The provider's authorizations for one API, one by one (the API is gone already)."""
    for item in AuthorizationModel.by_provider.query(
        provider_account_id, filter_condition=AuthorizationModel.api_id == api_id
    ):
        item.delete()


def granted_by(provider_account_id: str, authorization_id: str) -> Authorization | None:
    for item in AuthorizationModel.by_id.query(authorization_id):
        if item.provider_account_id == provider_account_id:
            return _grant(item)
    return None


def list_authorizations(
    provider_account_id: str,
    app_id: str | None,
    api_id: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Authorization]:
    """What the provider granted, optionally to one app or for one API."""
    start = decode_cursor(
        cursor,
        {"provider_account_id", "authorization_id", "app_id", "target"},
        {"provider_account_id": provider_account_id},
    )
    condition = None
    if app_id:
        condition = AuthorizationModel.app_id == app_id
    if api_id:
        api_condition = AuthorizationModel.api_id == api_id
        condition = api_condition if condition is None else condition & api_condition
    results = AuthorizationModel.by_provider.query(
        provider_account_id, filter_condition=condition, limit=limit, last_evaluated_key=start
    )
    items, last = page(results, limit)
    return Page([_grant(item) for item in items], encode_cursor(last))


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
                "this app is already authorized for that target; revoke the old authorization"
            ),
        )

    return add


def update_authorization(grant: Authorization, changes: Mapping[str, Any]) -> Write:
    """Set the fields in ``changes`` (Authorization's names and values); None removes one.
    The grant must still be its provider's."""

    def update(tx: Transaction) -> None:
        tx.update(
            _grant_item(grant),
            actions=[
                getattr(AuthorizationModel, name).set(_stored(name, value))
                if value is not None
                else getattr(AuthorizationModel, name).remove()
                for name, value in changes.items()
            ],
            condition=AuthorizationModel.provider_account_id == grant.provider_account_id,
            failure=NotFound(f"authorization {grant.authorization_id} not found"),
        )

    return update


def delete_authorization(grant: Authorization) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(AuthorizationModel(grant.app_id, grant.target))

    return delete
