"""The accounts and tokens tables (AccountModel, TokenModel): accounts and their admin tokens.

A token is stored under the SHA-256 hash of its value. The account's key counter, though on
the account's item, is the key pairs' business: ``storage/keys.py`` keeps it.
"""

from __future__ import annotations

from chalicelib.domain.admin import Account, Page, Token
from chalicelib.domain.errors import Conflict
from chalicelib.storage import items, reads
from chalicelib.storage.models import AccountModel, TokenModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page
from chalicelib.storage.transactions import Transaction, Write


def get_account(account_id: str) -> Account | None:
    item = reads.get_item("accounts", account_id=account_id)
    return items.account_of(item) if item else None


def insert_account(account: Account) -> Write:
    def add(tx: Transaction) -> None:
        tx.save(
            AccountModel.from_raw_data(items.account_item(account)),
            condition=AccountModel.account_id.does_not_exist(),
        )

    return add


def find_token(token_hash: str) -> Token | None:
    item = reads.get_item("tokens", token_hash=token_hash)
    return items.token_of(item) if item else None


def insert_token(token: Token) -> Write:
    def add(tx: Transaction) -> None:
        tx.save(
            TokenModel.from_raw_data(items.token_item(token)),
            condition=TokenModel.token_hash.does_not_exist(),
            failure=Conflict("this token value is already registered"),
        )

    return add


def delete_token(token: Token) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(TokenModel(token.token_hash))

    return delete


def list_tokens(account_id: str, limit: int, cursor: str | None) -> Page[Token]:
    start = decode_cursor(
        cursor, {"account_id", "token_id", "token_hash"}, {"account_id": account_id}
    )
    arguments = reads.query("tokens", "by_account", {"account_id": account_id})
    found = query_page(arguments, start, limit, 1)
    return Page([items.token_of(item) for item in found.items], encode_cursor(found.last_key))


def token_of(account_id: str, token_id: str) -> Token | None:
    key = {"account_id": account_id, "token_id": token_id}
    found = reads.query_all(reads.query("tokens", "by_account", key))
    return items.token_of(found[0]) if found else None
