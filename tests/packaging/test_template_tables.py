"""The tables of the merge template are generated from the models (devtools/tables.py): they
are the models' (chalicelib/storage/models.py), and every table the hand-written part refers to
(roles, the stream trigger) is among them.

Runs everywhere, with no package build: the merge template is parsed as CloudFormation YAML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags read as their long forms (!Sub -> Fn::Sub)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def _parse(text: str) -> dict[str, Any]:
    template: dict[str, Any] = yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506
    return template


def hand_written() -> dict[str, Any]:
    return _parse((ROOT / "infra" / "merge-template.yaml").read_text())


def merge_template() -> dict[str, Any]:
    """What devtools/package.py hands to chalice package."""
    from devtools.tables import merge_template_text

    return _parse(merge_template_text((ROOT / "infra" / "merge-template.yaml").read_text()))


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r.get("Type") == kind}


def _model_tables() -> dict[str, Any]:
    from chalicelib.config import TABLES, settings
    from chalicelib.storage.models import ALL_MODELS

    prefix = settings().table_prefix
    models = {model.Meta.table_name[len(prefix) :]: model for model in ALL_MODELS}
    assert set(models) == set(TABLES), "models and chalicelib.config.TABLES disagree"
    return models


def _keys(schema: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(k["AttributeName"], k["KeyType"]) for k in schema}


def test_every_table_the_code_uses_is_declared_with_the_models_keys() -> None:
    resources = merge_template()["Resources"]
    from pynamodb.attributes import TTLAttribute

    declared = {
        r["Properties"]["TableName"]["Fn::Sub"]: (name, r)
        for name, r in _of_type(resources, "AWS::DynamoDB::Table").items()
    }
    models = _model_tables()
    assert set(declared) == {"${AWS::StackName}-" + name for name in models}
    for name, model in models.items():
        logical_id, table = declared["${AWS::StackName}-" + name]
        props = table["Properties"]
        schema = model._get_schema()
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert _keys(props["KeySchema"]) == _keys(schema["key_schema"]), name
        assert {
            (a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]
        } == {(a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]}, (
            name
        )
        indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
        expected = {i["index_name"]: i for i in schema["global_secondary_indexes"]}
        assert set(indexes) == set(expected), name
        for index_name, index in expected.items():
            assert _keys(indexes[index_name]["KeySchema"]) == _keys(index["key_schema"])
            assert indexes[index_name]["Projection"] == index["projection"]
        assert not props.get("LocalSecondaryIndexes") and not schema["local_secondary_indexes"]
        stream = getattr(model.Meta, "stream_view_type", None)
        assert props.get("StreamSpecification", {}).get("StreamViewType") == stream, name
        ttl = [n for n, a in model.get_attributes().items() if isinstance(a, TTLAttribute)]
        spec = props.get("TimeToLiveSpecification")
        if ttl:
            assert spec == {"AttributeName": ttl[0], "Enabled": True}, name
        else:
            assert spec is None, name
        assert props["KeySchema"][0]["KeyType"] == "HASH", name  # CloudFormation's order
        for index in props.get("GlobalSecondaryIndexes", []):
            assert index["KeySchema"][0]["KeyType"] == "HASH", (name, index["IndexName"])
        if name != "counters":  # short-lived rows; everything else is data
            assert table.get("DeletionPolicy") == "Retain", logical_id
            assert table.get("UpdateReplacePolicy") == "Retain", logical_id
            assert props["PointInTimeRecoverySpecification"] == {
                "PointInTimeRecoveryEnabled": True
            }, name
        else:
            assert table.get("DeletionPolicy") == "Delete", logical_id


def test_no_table_is_written_by_hand_and_every_table_referred_to_is_generated() -> None:
    hand = hand_written()["Resources"]
    assert not _of_type(hand, "AWS::DynamoDB::Table")
    generated = set(_of_type(merge_template()["Resources"], "AWS::DynamoDB::Table"))
    text = (ROOT / "infra" / "merge-template.yaml").read_text()
    referred = set(re.findall(r"\b([A-Z][A-Za-z]*Table)\b(?=[.}])", text))
    assert referred, "the roles refer to no table: the pattern went stale"
    assert referred <= generated, referred - generated
