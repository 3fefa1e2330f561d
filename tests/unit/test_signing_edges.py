"""Content-Type parsing edges: more than one parameter, no spaces, odd charset values."""

from __future__ import annotations

import pytest

from chalicelib.domain.signing import form_charset, is_form_content_type

FORM = "application/x-www-form-urlencoded"


def test_a_form_content_type_with_several_parameters_is_a_form() -> None:
    assert is_form_content_type(f"{FORM}; charset=utf-8; boundary=unused")


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        (f"{FORM};charset=gbk", "gbk"),
        (f"{FORM};boundary=x;charset=big5", "big5"),
        (f'{FORM}; charset=""', "utf-8"),
        (f"{FORM}; charset=gbk=1", None),
        (f"{FORM}; charset=X-GBK", None),
    ],
)
def test_form_charset_reads_the_charset_parameter_exactly(
    content_type: str, charset: str | None
) -> None:
    assert form_charset(content_type) == charset
