"""The appcodes table (AppCodeModel): an app's AppCodes, stored under their hash."""

from __future__ import annotations

from chalicelib.domain.admin import AppCode
from chalicelib.storage import items, reads
from chalicelib.storage.models import AppCodeModel
from chalicelib.storage.transactions import Transaction, Write


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
        tx.save(item, condition=AppCodeModel.code_hash.does_not_exist())

    return add


def delete_appcode(code: AppCode) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(AppCodeModel(code.code_hash))

    return delete
