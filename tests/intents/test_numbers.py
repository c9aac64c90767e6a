"""Numbers as typed and as spoken."""

from __future__ import annotations

import pytest

from intents.numbers import parse_number, read_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("20", 20),
        ("007", 7),
        ("zero", 0),
        ("seven", 7),
        ("twelve", 12),
        ("twenty", 20),
        ("forty two", 42),
        ("forty-two", 42),
        ("Forty Two", 42),
        ("fourty two", 42),
        ("ninety nine", 99),
        ("a hundred", 100),
        ("one hundred and five", 105),
        ("one hundred five", 105),
        ("two hundred", 200),
        ("twenty five hundred", 2500),
        ("a thousand", 1000),
        ("one thousand two hundred and thirty four", 1234),
        ("three thousand and five", 3005),
        ("a dozen", 12),
        ("two dozen", 24),
        ("half a dozen", 6),
        ("a couple", 2),
        ("a couple of", 2),
        ("four two", 42),
        ("one two three", 123),
        ("", None),
        ("a", None),
        ("and", None),
        ("hundred", None),
        ("two twenty", None),
        ("ten five", None),
        ("twenty ten", None),
        ("one hundred two hundred", None),
        ("1234567890", None),  # too long to be a count or an alert id
        ("٤٢", None),  # other scripts' digits are not read as numbers
        ("twenty apples", None),
    ],
)
def test_parse_number(text: str, value: int | None) -> None:
    assert parse_number(text) == value


def test_read_number_stops_where_the_number_ends() -> None:
    words = ["scale", "web", "prod", "two", "to", "twenty", "instances"]
    assert read_number(words, 3) == (2, 4)
    assert read_number(words, 5) == (20, 6)
    assert read_number(words, 0) is None
    assert read_number(words, len(words)) is None
    assert read_number(["add", "a", "couple", "of", "instances"], 1) == (2, 4)
