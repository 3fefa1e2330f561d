"""Accounts and their admin tokens. Tokens are stored as SHA-256 hashes, shown once."""

from __future__ import annotations

import hashlib
import secrets

from chalicelib.domain.admin import Account, IssuedToken, NewAccount, Page, Token
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from chalicelib.domain.principal import Principal
from chalicelib.services.audit import audit_event
from chalicelib.storage import accounts as store
from chalicelib.storage.audit import record
from chalicelib.storage.transactions import write

DEFAULT_ACCOUNT = "default"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "aat_" + secrets.token_urlsafe(32)


def authenticate(token: str) -> Principal:
    if not token:
        raise NotAuthenticated("send Authorization: Bearer <admin token>")
    found = store.find_token(hash_token(token))
    if found is None:
        raise NotAuthenticated("the admin token is not valid (revoked or mistyped)")
    return Principal(found.account_id, found.token_id, found.is_root)


def ensure_account(account_id: str, name: str) -> Account:
    account = store.get_account(account_id)
    if account is None:  # the bootstrap's account, on its own (no audit event)
        account = Account(account_id, name, format_time(utc_now()))
        write(store.insert_account(account))
    return account


def _token(account_id: str, name: str, value: str, is_root: bool = False) -> Token:
    return Token(
        token_hash=hash_token(value),
        token_id="tok-" + secrets.token_hex(6),
        account_id=account_id,
        name=name,
        is_root=is_root,
        created_at=format_time(utc_now()),
    )


def register_token(
    account_id: str, name: str, token: str | None = None, is_root: bool = False
) -> IssuedToken:
    """Store a token (a given one, e.g. APIAUTH_ROOT_TOKEN, or a new one); return it once.

    The bootstrap's way in (no caller to audit); admin calls go through ``create_token``.
    A given root token already stored for this account is the same root token, not a clash.
    """
    value = token or new_token()
    stored = _token(account_id, name, value, is_root)
    try:
        write(store.insert_token(stored))  # no caller to audit
    except Conflict:
        if is_root and token is not None:
            existing = store.find_token(hash_token(value))
            if existing and existing.account_id == account_id and existing.is_root:
                return IssuedToken(existing, value)
        raise
    return IssuedToken(stored, value)


def create_account(principal: Principal, name: str) -> NewAccount:
    if not principal.is_root:
        raise Forbidden("only the root token may create accounts")
    account = Account("acc-" + secrets.token_hex(6), name, format_time(utc_now()))
    value = new_token()
    write(
        store.insert_account(account),
        store.insert_token(_token(account.account_id, "initial", value)),
        record(audit_event(principal, "account.create", account.account_id, {"name": name})),
    )
    return {"account_id": account.account_id, "name": name, "token": value}


def create_token(principal: Principal, name: str) -> IssuedToken:
    value = new_token()
    token = _token(principal.account_id, name, value)
    write(
        store.insert_token(token),
        record(audit_event(principal, "token.create", token.token_id, {"name": name})),
    )
    return IssuedToken(token, value)


def list_tokens(principal: Principal, limit: int, cursor: str | None) -> Page[Token]:
    return store.list_tokens(principal.account_id, limit, cursor)


def revoke_token(principal: Principal, token_id: str) -> None:
    token = store.token_of(principal.account_id, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found")
    if token.is_root:
        raise Conflict("the root token cannot be revoked through the API")
    write(
        store.delete_token(token),
        record(audit_event(principal, "token.delete", token_id, {"name": token.name})),
    )
