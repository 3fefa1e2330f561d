"""Domain errors carry their message (prefixed with the field, if any) and their code."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, LimitExceeded, NotFound, ValidationFailed


def test_a_domain_error_reads_as_its_message() -> None:
    error = NotFound("no such app")
    assert error.message == "no such app"
    assert str(error) == "no such app"


def test_a_validation_failure_names_its_field_first() -> None:
    error = ValidationFailed("must be a string", "entries[2]")
    assert error.field == "entries[2]"
    assert error.message == "entries[2]: must be a string"
    assert str(error) == "entries[2]: must be a string"


@pytest.mark.parametrize("field", [None, ""])
def test_a_validation_failure_without_a_field_is_the_bare_message(field: str | None) -> None:
    error = ValidationFailed("bad body", field)
    assert error.message == "bad body"
    assert error.field == field


def test_a_limit_exceeded_is_handled_as_a_conflict() -> None:
    assert issubclass(LimitExceeded, Conflict)
