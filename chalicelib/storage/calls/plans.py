"""Which index partitions can hold what a listing asks for, and the Query that reads each.

By app (or an access key's app): that app's partition alone. By API: the API's and the
viewer's replays. Otherwise the viewer's success, failure and replay partitions that the
``result`` filter admits. The other filters, and on by_app / by_api the viewer itself, are a
FilterExpression.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from chalicelib.domain.verdicts import FAILURE, NONCE_USED, SUCCESS
from chalicelib.storage.calls.items import REPLAY, table

VIEWER_INDEXES = (("by_viewer", "viewer"), ("by_other_viewer", "other_viewer"))


class RecordFilter(NamedTuple):
    app_id: str | None = None
    api_id: str | None = None
    access_key: str | None = None
    result: str | None = None  # "success", "failure" or a verdict code
    request_id: str | None = None


class Plan(NamedTuple):
    """One partition to read: its index, partition attribute and value, the equality checks,
    and whether the viewer must be checked (a partition by app or API holds other accounts'
    calls too)."""

    index_name: str
    attribute: str
    value: str
    checks: dict[str, str]
    check_viewer: bool


def plans(viewer: str, filters: RecordFilter, key_app: str | None) -> list[Plan]:
    result = filters.result
    app = filters.app_id or key_app
    if filters.app_id and key_app and filters.app_id != key_app:
        return []  # the key is another app's: none of this app's calls used it
    checks = {
        "app_id": filters.app_id or "",
        "api_id": filters.api_id or "",
        "access_key": filters.access_key or "",
        "request_id": filters.request_id or "",
        "result": result if result not in (None, SUCCESS, FAILURE) else "",
        "outcome": result if result in (SUCCESS, FAILURE) else "",
    }
    if app:
        # An app's partition holds all its calls, other accounts' APIs' too: the viewer is
        # a check there.
        return [Plan("by_app", "idx_app", app, checks, True)]
    partitions = {
        None: (SUCCESS, FAILURE, REPLAY),
        SUCCESS: (SUCCESS,),
        FAILURE: (FAILURE, REPLAY),
        NONCE_USED: (REPLAY,),
    }.get(result, (FAILURE,))
    found: list[Plan] = []
    if filters.api_id and partitions != (REPLAY,):
        # An API's partition holds all its calls but replays, which come from the viewer's.
        found.append(Plan("by_api", "idx_api", filters.api_id, checks, True))
        partitions = tuple(p for p in partitions if p == REPLAY)
    for partition in partitions:
        for index, attribute in VIEWER_INDEXES:
            found.append(Plan(index, attribute, f"{viewer}#{partition}", checks, False))
    return found


def query_arguments(viewer: str, lowest: str, highest: str, plan: Plan) -> dict[str, Any]:
    """The Query over ``plan``'s partition between two sort keys, newest first."""
    names = {"#p": plan.attribute}
    values: dict[str, Any] = {
        ":p": {"S": plan.value},
        ":lo": {"S": lowest},
        ":hi": {"S": highest},
    }
    conditions = []
    for number, (name, wanted) in enumerate(plan.checks.items()):
        if not wanted:
            continue
        if name == "outcome":  # success or failure, from the result
            names["#result"] = "result"
            values[":success"] = {"S": SUCCESS}
            conditions.append("#result = :success" if wanted == SUCCESS else "#result <> :success")
            continue
        names[f"#f{number}"] = name
        values[f":f{number}"] = {"S": wanted}
        conditions.append(f"#f{number} = :f{number}")
    if plan.check_viewer:
        values[":v"] = {"S": viewer}
        conditions.append("(provider_account_id = :v OR caller_account_id = :v)")
    arguments: dict[str, Any] = {
        "TableName": table(),
        "IndexName": plan.index_name,
        "KeyConditionExpression": "#p = :p AND sk BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    if conditions:
        arguments["FilterExpression"] = " AND ".join(conditions)
    return arguments
