"""Accounts and admin tokens."""

from __future__ import annotations

from chalicelib.http.schemas.common import Answer, Name, Strict, Time, examples


class CreateAccount(Strict):
    model_config = examples({"name": "acme"})

    name: Name


class CreateToken(Strict):
    model_config = examples({"name": "ci"})

    name: Name


class TokenView(Answer):
    token_id: str
    name: str
    account_id: str
    is_root: bool
    created_at: Time


class TokenCreated(TokenView):
    token: str


class TokenList(Answer):
    items: list[TokenView]
    next_cursor: str | None


class AccountCreated(Answer):
    account_id: str
    name: str
    token: str
