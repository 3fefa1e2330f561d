"""What the expiry notifier reads and remembers: Queries over existing indexes, never a Scan.

Every account (the accounts' ``all`` index), its apps (``by_account``), each app's key pairs
and AppCodes (``by_app``), the authorizations it granted (``by_provider``); and the notices
table, which remembers each notice sent (``domain/expiry.py`` names its marker). Nothing here
is on the call path: the authorizer writes none of these tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from chalicelib.config import settings
from chalicelib.domain.clock import format_time
from chalicelib.domain.expiry import Notice
from chalicelib.domain.objects import App, AppCode, Authorization, KeyPair
from chalicelib.storage import clients, items, reads

_BATCH_WRITE = 25  # BatchWriteItem's limit


def account_ids() -> Iterator[str]:
    query = reads.query("accounts", "all", {"listed": items.ACCOUNTS_LISTED})
    query["ProjectionExpression"] = "account_id"
    for item in reads.query_all(query):
        yield item["account_id"]["S"]


def apps_of(account_id: str) -> list[App]:
    found = reads.query_all(reads.query("apps", "by_account", {"account_id": account_id}))
    return [items.app_of(item) for item in found]


def key_pairs_of(app_id: str) -> list[KeyPair]:
    found = reads.query_all(reads.query("keys", "by_app", {"app_id": app_id}))
    return [items.key_of(item) for item in found]


def appcodes_of(app_id: str) -> list[AppCode]:
    found = reads.query_all(reads.query("appcodes", "by_app", {"app_id": app_id}))
    return [items.appcode_of(item) for item in found]


def authorizations_granted_by(account_id: str) -> list[Authorization]:
    key = {"provider_account_id": account_id}
    found = reads.query_all(reads.query("authorizations", "by_provider", key))
    return [items.authorization_of(item) for item in found]


def already_sent(markers: Iterable[str]) -> set[str]:
    """The markers among these that the notices table remembers."""
    keys = [{"marker": {"S": marker}} for marker in dict.fromkeys(markers)]
    return {item["marker"]["S"] for item in reads.batch_get("notices", keys, "marker")}


def remember_sent(notices: Iterable[Notice], now: datetime) -> None:
    table = settings().table_name("notices")
    puts = [
        {
            "PutRequest": {
                "Item": {
                    "marker": {"S": notice.marker},
                    "sent_at": {"S": format_time(now)},
                    "forget_at": {"N": str(int(notice.forget_after.timestamp()))},
                }
            }
        }
        for notice in notices
    ]
    while puts:
        batch, puts = puts[:_BATCH_WRITE], puts[_BATCH_WRITE:]
        request = {table: batch}
        while request:
            response = clients.dynamodb().batch_write_item(RequestItems=request)
            request = response.get("UnprocessedItems") or {}
