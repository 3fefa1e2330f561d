"""The layers of DESIGN.md as the imports show them: storage alone knows DynamoDB's shapes."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top, in a function or for type checking."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(layer: str) -> list[Path]:
    return sorted((CHALICELIB / layer).glob("*.py"))


@pytest.mark.parametrize("path", modules("services"), ids=lambda path: path.name)
def test_services_know_no_item_shapes_and_no_http(path: Path) -> None:
    forbidden = ("pynamodb", "botocore", "boto3", "chalicelib.storage.models", "chalicelib.http")
    found = {name for name in imported(path) if name.startswith(forbidden)}
    assert not found, f"{path.name} imports {sorted(found)}: ask a storage module instead"


@pytest.mark.parametrize("path", modules("domain"), ids=lambda path: path.name)
def test_the_domain_imports_the_standard_library_and_itself_only(path: Path) -> None:
    outside = {
        name
        for name in imported(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and not name.startswith("chalicelib.domain")
        # `make mutants` runs these tests over copies that import mutmut's trampoline.
        and not name.startswith("mutmut.")
    }
    assert not outside, f"{path.name} imports {sorted(outside)}"
