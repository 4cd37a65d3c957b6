"""Text cells: what reads as a spreadsheet formula, what is a control character, neutralising."""

from __future__ import annotations

import pytest

from ml_scripts.common.cells import control_character, neutralised, starts_like_formula


@pytest.mark.parametrize(
    "text", ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", '=HYPERLINK("x")']
)
def test_formula_like_text_gets_one_leading_quote(text: str) -> None:
    assert starts_like_formula(text)
    assert neutralised(text) == f"'{text}"
    assert neutralised(text)[1:] == text


@pytest.mark.parametrize("text", ["NAmes", "1Fam", "2,637", "a=b", "", "'=already quoted"])
def test_other_text_is_written_as_it_is(text: str) -> None:
    assert not starts_like_formula(text)
    assert neutralised(text) == text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Nam\x00es", "U+0000"),
        ("\x1b[2J", "U+001B"),
        ("a\x7f", "U+007F"),
        ("a\x85", "U+0085"),
        ("line\u2028sep", "U+2028"),
        ("abc\u202e", "U+202E"),
        ("x\u2066y", "U+2066"),
        ("Crawfor", None),
        ("Br\u00e9sil", None),
    ],
)
def test_control_characters_are_named_by_code_point(text: str, found: str | None) -> None:
    assert control_character(text) == found
