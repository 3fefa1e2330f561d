"""The appcodes table (AppCodeModel): an app's AppCodes, stored under their hash."""

from __future__ import annotations

from chalicelib.domain.admin import AppCode
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.storage import items, reads
from chalicelib.storage.models import AppCodeModel
from chalicelib.storage.transactions import Transaction, Write

# Never who holds it: a code is a credential, and its holder another account's business.
CODE_TAKEN = "that AppCode is already in use; choose another or omit it"


def appcodes_of(app_id: str) -> list[AppCode]:
    found = reads.query_all(reads.query("appcodes", "by_app", {"app_id": app_id}))
    return [items.appcode_of(item) for item in found]


def appcode_of(account_id: str, appcode_id: str) -> AppCode | None:
    arguments = reads.query("appcodes", "by_id", {"appcode_id": appcode_id})
    for code in map(items.appcode_of, reads.query_all(arguments)):
        if code.account_id == account_id:
            return code
    return None


def insert_appcode(code: AppCode) -> Write:
    def add(tx: Transaction) -> None:
        item = AppCodeModel.from_raw_data(items.appcode_item(code))
        tx.save(
            item, condition=AppCodeModel.code_hash.does_not_exist(), failure=Conflict(CODE_TAKEN)
        )

    return add


def replace_appcode(old: AppCode, new: AppCode) -> Write:
    """``new`` in place of ``old``: under its new hash (which must be free) if the code
    changed, else in place; the old one must still be there."""

    def replace(tx: Transaction) -> None:
        item = AppCodeModel.from_raw_data(items.appcode_item(new))
        gone = NotFound(f"appcode {old.appcode_id} not found")  # deleted meanwhile
        if new.code_hash == old.code_hash:
            tx.save(item, condition=AppCodeModel.code_hash.exists(), failure=gone)
            return
        tx.save(
            item, condition=AppCodeModel.code_hash.does_not_exist(), failure=Conflict(CODE_TAKEN)
        )
        tx.delete(
            AppCodeModel(old.code_hash), condition=AppCodeModel.code_hash.exists(), failure=gone
        )

    return replace


def delete_appcode(code: AppCode) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(AppCodeModel(code.code_hash))

    return delete
