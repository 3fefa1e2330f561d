"""Accounts and their admin tokens. Tokens are stored as SHA-256 hashes, shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from chalicelib.services.audit import audit_event
from chalicelib.storage.models import AccountModel, TokenModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, page
from chalicelib.storage.transactions import atomic

DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True)
class Principal:
    account_id: str
    token_id: str
    is_root: bool


M = TypeVar("M", bound=Model)


def owned(model: type[M], key: str, principal: Principal, label: str) -> M:
    """The item if the caller's account owns it; another account's item is simply not found."""
    try:
        item = model.get(key)
    except DoesNotExist:
        item = None
    if item is None or getattr(item, "account_id", None) != principal.account_id:
        raise NotFound(f"{label} {key} not found")
    return item


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "aat_" + secrets.token_urlsafe(32)


def authenticate(token: str) -> Principal:
    if not token:
        raise NotAuthenticated("send Authorization: Bearer <admin token>")
    try:
        item = TokenModel.get(hash_token(token))
    except DoesNotExist:
        raise NotAuthenticated("the admin token is not valid (revoked or mistyped)") from None
    return Principal(item.account_id, item.token_id, bool(item.is_root))


def _token_view(item: TokenModel, token: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "token_id": item.token_id,
        "name": item.name,
        "account_id": item.account_id,
        "is_root": bool(item.is_root),
        "created_at": item.created_at,
    }
    if token is not None:
        view["token"] = token
    return view


def ensure_account(account_id: str, name: str) -> AccountModel:
    try:
        return AccountModel.get(account_id)
    except DoesNotExist:
        account = AccountModel(account_id, name=name, created_at=format_time(utc_now()))
        account.save(condition=AccountModel.account_id.does_not_exist())
        return account


def _token_item(account_id: str, name: str, value: str, is_root: bool = False) -> TokenModel:
    return TokenModel(
        hash_token(value),
        token_id="tok-" + secrets.token_hex(6),
        account_id=account_id,
        name=name,
        is_root=is_root,
        created_at=format_time(utc_now()),
    )


def register_token(
    account_id: str, name: str, token: str | None = None, is_root: bool = False
) -> dict[str, Any]:
    """Store a token (a given one, e.g. APIAUTH_ROOT_TOKEN, or a new one); return it once.

    The bootstrap's way in (no caller to audit); admin calls go through ``create_token``.
    """
    value = token or new_token()
    item = _token_item(account_id, name, value, is_root)
    try:
        item.save(condition=TokenModel.token_hash.does_not_exist())
    except PutError as error:
        if is_root and token is not None:
            existing = TokenModel.get(hash_token(value))
            if existing.account_id == account_id and existing.is_root:
                return _token_view(existing, value)
        raise Conflict("this token value is already registered") from error
    return _token_view(item, value)


def create_account(principal: Principal, name: str) -> dict[str, Any]:
    if not principal.is_root:
        raise Forbidden("only the root token may create accounts")
    account_id = "acc-" + secrets.token_hex(6)
    value = new_token()
    account = AccountModel(account_id, name=name, created_at=format_time(utc_now()))
    token = _token_item(account_id, "initial", value)
    with atomic() as tx:
        tx.save(account, condition=AccountModel.account_id.does_not_exist())
        tx.save(token, condition=TokenModel.token_hash.does_not_exist())
        tx.save(audit_event(principal, "account.create", account_id, {"name": name}))
    return {"account_id": account_id, "name": name, "token": value}


def create_token(principal: Principal, name: str) -> dict[str, Any]:
    value = new_token()
    item = _token_item(principal.account_id, name, value)
    with atomic() as tx:
        tx.save(item, condition=TokenModel.token_hash.does_not_exist())
        tx.save(audit_event(principal, "token.create", item.token_id, {"name": name}))
    return _token_view(item, value)


def list_tokens(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    start = decode_cursor(
        cursor, {"account_id", "token_id", "token_hash"}, {"account_id": principal.account_id}
    )
    results = TokenModel.by_account.query(
        principal.account_id, limit=limit, last_evaluated_key=start
    )
    items, last = page(results, limit)
    return {"items": [_token_view(i) for i in items], "next_cursor": encode_cursor(last)}


def revoke_token(principal: Principal, token_id: str) -> None:
    for item in TokenModel.by_account.query(principal.account_id, TokenModel.token_id == token_id):
        if item.is_root:
            raise Conflict("the root token cannot be revoked through the API")
        with atomic() as tx:
            tx.delete(item)
            tx.save(audit_event(principal, "token.delete", token_id, {"name": item.name}))
        return
    raise NotFound(f"token {token_id} not found")
