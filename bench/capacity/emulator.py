"""TransactWriteItems for dynalite, which lacks it: a benchmark aid, not atomic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bench.capacity.meter import EMULATED
from bench.capacity.units import Item, item_size, write_units


class _Reply:
    """The bare minimum of an HTTP response that botocore's after-call path reads."""

    def __init__(self, status_code: int, body: Mapping[str, Any]) -> None:
        self.status_code = status_code
        self.content = json.dumps(body).encode()
        self.headers: dict[str, str] = {}


class TransactionEmulator:
    """TransactWriteItems for dynalite, which has none: each action is sent on its own, in
    order, with its condition, and on the first failed condition the actions already applied
    are undone and ``TransactionCanceledException`` is raised, as DynamoDB would (its
    ``CancellationReasons`` name that one failure only). Not atomic for concurrent writers:
    a benchmark aid, never a stand-in for DynamoDB's isolation.

    Its answer carries ``ConsumedCapacity``: the actions' own units, the table's doubled
    (prepare and commit, charged even when cancelled: transaction-apis.html), so a
    ``CapacityMeter`` reads it; the reading is marked ``emulated``. A ConditionCheck is sent
    as a rewrite of the stored item under the condition, and is charged nothing here.
    """

    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        import botocore.session

        self.inner = botocore.session.get_session().create_client(
            "dynamodb", region_name=region, endpoint_url=endpoint
        )
        self._keys: dict[str, list[str]] = {}
        self._key = f"transaction-emulator-{id(self)}"

    def attach(self, client: Any) -> Any:
        events = client.meta.events
        events.register(
            "provide-client-params.dynamodb.TransactWriteItems",
            self._keep_params,
            unique_id=self._key + "-params",
        )
        events.register(
            "before-call.dynamodb.TransactWriteItems", self._answer, unique_id=self._key + "-call"
        )
        return client

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[self._key] = params

    def _key_of(self, table: str, item: Mapping[str, Any]) -> Item:
        if table not in self._keys:
            schema = self.inner.describe_table(TableName=table)["Table"]["KeySchema"]
            self._keys[table] = [key["AttributeName"] for key in schema]
        return {name: item[name] for name in self._keys[table]}

    def _answer(self, context: dict[str, Any], **_: Any) -> tuple[_Reply, dict[str, Any]]:
        from botocore.exceptions import ClientError

        actions = context[self._key]["TransactItems"]
        targets = []
        for action in actions:
            ((kind, body),) = action.items()
            key = self._key_of(body["TableName"], body["Item"] if kind == "Put" else body["Key"])
            stored = self.inner.get_item(TableName=body["TableName"], Key=key, ConsistentRead=True)
            targets.append((kind, body, key, stored.get("Item")))
        consumed: dict[str, float] = {}
        for done, (kind, body, key, before) in enumerate(targets):
            try:
                units = self._apply(kind, body, key, before)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                for _, undo_body, undo_key, undo_before in reversed(targets[:done]):
                    self._restore(undo_body["TableName"], undo_key, undo_before)
                reasons: list[dict[str, Any]] = [{"Code": "None"} for _ in targets]
                reasons[done] = {"Code": "ConditionalCheckFailed", "Message": "condition failed"}
                if before is not None and body.get("ReturnValuesOnConditionCheckFailure") == (
                    "ALL_OLD"
                ):
                    reasons[done]["Item"] = before
                # Charged even when cancelled: every action, twice, at its item's size.
                consumed = {}
                for each_kind, each_body, _, each_before in targets:
                    sizes = [item_size(each_before or {})]
                    if each_kind == "Put":
                        sizes.append(item_size(each_body["Item"]))
                    name = each_body["TableName"]
                    consumed[name] = consumed.get(name, 0.0) + 2 * write_units(max(sizes))
                parsed = {
                    "Error": {"Code": "TransactionCanceledException", "Message": "emulated"},
                    "CancellationReasons": reasons,
                    "ConsumedCapacity": self._consumed(consumed),
                    EMULATED: "bench.capacity.TransactionEmulator",
                }
                return _Reply(400, parsed), parsed
            table = body["TableName"]
            consumed[table] = consumed.get(table, 0.0) + 2 * units
        parsed = {
            "ConsumedCapacity": self._consumed(consumed),
            EMULATED: "bench.capacity.TransactionEmulator",
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }
        return _Reply(200, parsed), parsed

    @staticmethod
    def _consumed(units: Mapping[str, float]) -> list[dict[str, Any]]:
        return [
            {"TableName": table, "CapacityUnits": n, "Table": {"CapacityUnits": n}}
            for table, n in units.items()
        ]

    def _apply(self, kind: str, body: Mapping[str, Any], key: Item, before: Item | None) -> float:
        """Send one action on its own; its table units, as the server reports them."""
        request = {
            name: value
            for name, value in body.items()
            if name != "ReturnValuesOnConditionCheckFailure"
        }
        request["ReturnConsumedCapacity"] = "TOTAL"
        if kind == "ConditionCheck":
            check = {n: v for n, v in request.items() if n not in ("Key", "ReturnConsumedCapacity")}
            self.inner.put_item(**check, Item=before or key)
            if before is None:
                self.inner.delete_item(TableName=body["TableName"], Key=key)
            return 0.0
        send = {"Put": self.inner.put_item, "Update": self.inner.update_item}.get(
            kind, self.inner.delete_item
        )
        return float(send(**request).get("ConsumedCapacity", {}).get("CapacityUnits", 0))

    def _restore(self, table: str, key: Item, before: Item | None) -> None:
        if before is None:
            self.inner.delete_item(TableName=table, Key=key)
        else:
            self.inner.put_item(TableName=table, Item=before)
