"""The DynamoDB tables of the CloudFormation template, generated from the models.

``chalicelib/storage/models.py`` is the one schema source: ``devtools/package.py`` writes
these resources into the merge template it hands to ``chalice package``, so a change to a
table's keys, indexes, stream or TTL is a change to its model only. ``infra/merge-template.yaml``
keeps what cannot be derived (the KMS key, roles and policies, the stream trigger), and refers
to the tables by the logical ids made here (``<Name>Table``: ``calls`` -> ``CallsTable``).

Every table is on-demand. Tables hold data unless their model's ``Meta.retain`` is False
(short-lived rows such as limit counters): those are deleted with the stack, the others are
kept (``Retain``) and have point-in-time recovery.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml


def logical_id(table: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", table)) + "Table"


def _keys(schema: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """HASH first, as CloudFormation requires (PynamoDB keeps the declaration order)."""
    ordered = sorted(schema, key=lambda k: k["KeyType"] != "HASH")
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in ordered]


def table_resources() -> dict[str, Any]:
    """Logical id -> the AWS::DynamoDB::Table resource of each model's table."""
    from pynamodb.attributes import TTLAttribute

    from chalicelib.config import settings
    from chalicelib.storage.models import ALL_MODELS

    prefix = settings().table_prefix
    resources: dict[str, Any] = {}
    for model in ALL_MODELS:
        name = model.Meta.table_name[len(prefix) :]
        schema = model._get_schema()
        retain = getattr(model.Meta, "retain", True)
        properties: dict[str, Any] = {
            "TableName": {"Fn::Sub": "${AWS::StackName}-" + name},
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
                for a in schema["attribute_definitions"]
            ],
            "KeySchema": _keys(schema["key_schema"]),
        }
        indexes = [
            {
                "IndexName": index["index_name"],
                "KeySchema": _keys(index["key_schema"]),
                "Projection": dict(index["projection"]),
            }
            for index in schema["global_secondary_indexes"]
        ]
        if indexes:
            properties["GlobalSecondaryIndexes"] = indexes
        stream = getattr(model.Meta, "stream_view_type", None)
        if stream:
            properties["StreamSpecification"] = {"StreamViewType": stream}
        ttl = [n for n, a in model.get_attributes().items() if isinstance(a, TTLAttribute)]
        if ttl:
            properties["TimeToLiveSpecification"] = {"AttributeName": ttl[0], "Enabled": True}
        if retain:
            properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
        policy = "Retain" if retain else "Delete"
        resources[logical_id(name)] = {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": policy,
            "UpdateReplacePolicy": policy,
            "Properties": properties,
        }
    return resources


def merge_template_text(base: str) -> str:
    """``base`` (infra/merge-template.yaml, CloudFormation's short tags kept as written) with
    the tables added at the top of its Resources."""
    marker = "\nResources:\n"
    if marker not in base:
        raise ValueError("the merge template has no top-level 'Resources:' section")
    tables = yaml.safe_dump(table_resources(), sort_keys=True, default_flow_style=False)
    indented = "".join(f"  {line}\n" if line else "\n" for line in tables.splitlines())
    head, _, tail = base.partition(marker)
    comment = "  # Tables: generated from chalicelib/storage/models.py (devtools/tables.py).\n"
    return f"{head}{marker}{comment}{indented}{tail}"
