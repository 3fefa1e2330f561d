"""The accounts and tokens tables (AccountModel, TokenModel): accounts and their admin tokens.

A token is stored under the SHA-256 hash of its value. The account's key counter, though on
the account's item, is the key pairs' business: ``storage/apps.py`` keeps it.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.domain.admin import Account, Page, Token
from chalicelib.domain.errors import Conflict
from chalicelib.storage.models import AccountModel, TokenModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, page
from chalicelib.storage.transactions import Transaction, Write


def _account(item: AccountModel) -> Account:
    return Account(item.account_id, item.name, item.created_at)


def _account_item(account: Account) -> AccountModel:
    return AccountModel(account.account_id, name=account.name, created_at=account.created_at)


def get_account(account_id: str) -> Account | None:
    try:
        return _account(AccountModel.get(account_id))
    except DoesNotExist:
        return None


def add_account_if_absent(account: Account) -> Account:
    """Stored on its own (the bootstrap's account, no audit event); a race is a storage error."""
    _account_item(account).save(condition=AccountModel.account_id.does_not_exist())
    return account


def insert_account(account: Account) -> Write:
    def add(tx: Transaction) -> None:
        tx.save(_account_item(account), condition=AccountModel.account_id.does_not_exist())

    return add


def _token(item: TokenModel) -> Token:
    return Token(
        token_hash=item.token_hash,
        token_id=item.token_id,
        account_id=item.account_id,
        name=item.name,
        is_root=bool(item.is_root),
        created_at=item.created_at,
    )


def _token_item(token: Token) -> TokenModel:
    return TokenModel(
        token.token_hash,
        token_id=token.token_id,
        account_id=token.account_id,
        name=token.name,
        is_root=token.is_root,
        created_at=token.created_at,
    )


def find_token(token_hash: str) -> Token | None:
    try:
        return _token(TokenModel.get(token_hash))
    except DoesNotExist:
        return None


def register_token(token: Token) -> None:
    """Stored on its own (the bootstrap's tokens, no caller to audit)."""
    try:
        _token_item(token).save(condition=TokenModel.token_hash.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("this token value is already registered") from error
        raise


def insert_token(token: Token) -> Write:
    def add(tx: Transaction) -> None:
        tx.save(_token_item(token), condition=TokenModel.token_hash.does_not_exist())

    return add


def delete_token(token: Token) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(TokenModel(token.token_hash))

    return delete


def list_tokens(account_id: str, limit: int, cursor: str | None) -> Page[Token]:
    start = decode_cursor(
        cursor, {"account_id", "token_id", "token_hash"}, {"account_id": account_id}
    )
    results = TokenModel.by_account.query(account_id, limit=limit, last_evaluated_key=start)
    items, last = page(results, limit)
    return Page([_token(item) for item in items], encode_cursor(last))


def token_of(account_id: str, token_id: str) -> Token | None:
    for item in TokenModel.by_account.query(account_id, TokenModel.token_id == token_id):
        return _token(item)
    return None
