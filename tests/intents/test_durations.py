"""Lengths of time as typed and as spoken, in seconds."""

from __future__ import annotations

import pytest

from intents.durations import MAX_DURATION_SECONDS, read_duration

MINUTE, HOUR, DAY = 60, 3600, 86400


def _whole(text: str) -> int | None:
    """The length when `text` is exactly one length of time, else None."""
    words = text.lower().split()
    readings = [seconds for end, seconds in read_duration(words, 0) if end == len(words)]
    return readings[-1] if readings else None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", HOUR),
        ("1H", HOUR),
        ("2hrs", 2 * HOUR),
        ("90m", 90 * MINUTE),
        ("1h30m", 90 * MINUTE),
        ("1.5h", 90 * MINUTE),
        ("45s", 45),
        ("1d", DAY),
        ("30 minutes", 30 * MINUTE),
        ("15 min", 15 * MINUTE),
        ("two hours", 2 * HOUR),
        ("twenty five minutes", 25 * MINUTE),
        ("an hour", HOUR),
        ("a day", DAY),
        ("a week", 7 * DAY),
        ("half an hour", 30 * MINUTE),
        ("a half hour", 30 * MINUTE),
        ("a quarter of an hour", 15 * MINUTE),
        ("an hour and a half", 90 * MINUTE),
        ("two and a half hours", 150 * MINUTE),
        ("1.5 hours", 90 * MINUTE),
        ("a couple of hours", 2 * HOUR),
        ("1 hour 30 minutes", 90 * MINUTE),
        ("1 hour and 30 minutes", 90 * MINUTE),
        ("2h 15m", 135 * MINUTE),
        ("1 day 2 hours 3 minutes", DAY + 2 * HOUR + 3 * MINUTE),
        ("0 minutes", 0),  # read as said; the parser's Slots refuse a zero length
        ("8 days", MAX_DURATION_SECONDS),
        ("999999 weeks", MAX_DURATION_SECONDS),
        # not a length of time
        ("", None),
        ("hour", None),
        ("42", None),
        ("an", None),
        ("1x", None),
        ("1h1h", None),  # the same unit twice
        ("30m1h", None),  # units must get smaller
        ("30 minutes 1 hour", None),
        ("half a second", None),
        ("1234567h", None),  # more digits than any length needs
        ("h1", None),
        ("1.2.3h", None),
        ("٤٢h", None),  # other scripts' digits are not read as numbers
    ],
)
def test_lengths(text: str, seconds: int | None) -> None:
    assert _whole(text) == seconds


def test_readings_are_shortest_first_and_stop_where_the_length_ends() -> None:
    words = ["1", "hour", "30", "minutes", "please"]
    assert list(read_duration(words, 0)) == [(2, HOUR), (4, 90 * MINUTE)]
    assert list(read_duration(words, 4)) == []
    assert list(read_duration(words, len(words))) == []


def test_cap_is_seven_days() -> None:
    assert MAX_DURATION_SECONDS == 7 * DAY
