"""How long something took or has lasted, as every reply, note and refusal writes it (core.durations)."""

from __future__ import annotations

import pytest

from core.durations import measured, span

MINUTE, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-3, "0 s"),  # clocks a little apart
        (0, "0 s"),
        (45, "45 s"),
        (59.4, "59 s"),
        (59.5, "1 min"),  # never "60 s", never "0 min"
        (90, "2 min"),  # half up
        (150, "3 min"),
        (45 * MINUTE, "45 min"),
        (HOUR - 20, "1 h"),
        (2 * HOUR + 5 * MINUTE, "2 h 5 min"),
        (DAY - 1, "1 d"),
        (DAY + 2 * HOUR, "1 d 2 h"),
        (7 * DAY, "7 d"),
    ],
)
def test_a_span_reads_at_a_glance(seconds: float, shown: str) -> None:
    assert span(seconds) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.0003, "0.3 ms"),
        (0.0085, "8.5 ms"),
        (0.00996, "10 ms"),
        (0.25, "250 ms"),
        (0.99996, "1 s"),  # never "1000 ms"
        (3.0, "3 s"),
        (3.24, "3.2 s"),
        (5.0065, "5 s"),
        (61.0065, "61 s"),
        (300, "300 s"),
    ],
)
def test_a_measured_length_is_exact_enough_to_compare(seconds: float, shown: str) -> None:
    assert measured(seconds) == shown
