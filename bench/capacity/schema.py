"""The keys and indexes of each table, read from the PynamoDB models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def project_models() -> list[Any]:
    """Every PynamoDB model of chalicelib.storage.models (PreviousSecretModel too)."""
    from pynamodb.models import Model

    from chalicelib.storage import models

    return [
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, Model) and value is not Model
    ]


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: frozenset[str]
    projection: str = "ALL"  # ALL, KEYS_ONLY or INCLUDE
    included: frozenset[str] = frozenset()
    local: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    keys: frozenset[str]
    indexes: tuple[IndexSpec, ...] = ()


def _keys(schema: Iterable[Mapping[str, str]]) -> frozenset[str]:
    return frozenset(key["AttributeName"] for key in schema)


def model_tables(models: Iterable[Any] | None = None) -> dict[str, TableSpec]:
    """Table name -> its key and indexes, from the PynamoDB models (default: ``ALL_MODELS``)."""
    if models is None:
        from chalicelib.storage.models import ALL_MODELS

        models = ALL_MODELS
    tables = {}
    for model in models:
        schema: Any = model._get_schema()
        indexes = []
        for group, local in (
            ("global_secondary_indexes", False),
            ("local_secondary_indexes", True),
        ):
            for index in schema[group]:
                projection = index.get("projection", {})
                indexes.append(
                    IndexSpec(
                        index["index_name"],
                        _keys(index["key_schema"]),
                        projection.get("ProjectionType", "ALL"),
                        frozenset(projection.get("NonKeyAttributes", ())),
                        local,
                    )
                )
        name = model.Meta.table_name
        tables[name] = TableSpec(name, _keys(schema["key_schema"]), tuple(indexes))
    return tables
