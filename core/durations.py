"""Lengths of time as opsbot writes them for people. Two styles, each rounded half up to the last unit it shows:

- `span`: how long something has lasted or will last, in the largest units that read at a glance - "45 s",
  "3 min", "2 h 5 min", "1 d 2 h" (data age, escalation notes, the alerts list, how long a job waited);
- `measured`: a measured or configured length, exact enough to compare - "0.4 ms", "250 ms", "3.2 s", "61 s"
  (stage timings, how long a job ran, a timeout, a voice note's length and its limit).

Neither ever says "0 min" or "1000 ms": a value that rounds up to the next unit is written in that unit."""

from __future__ import annotations

import math

_MINUTE, _HOUR, _DAY = 60, 3_600, 86_400


def span(seconds: float) -> str:
    """ "45 s" under a minute, "3 min" under an hour, "2 h 5 min" under a day, "1 d 2 h" beyond (zero parts left
    out: "2 h", "3 d"). A negative length (clocks a little apart) is "0 s"."""
    if _whole(seconds) < _MINUTE:
        return f"{_whole(seconds)} s"
    minutes = _whole(seconds / _MINUTE)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return _two(minutes, 60, "h", "min")
    return _two(_whole(seconds / _HOUR), 24, "d", "h")


def measured(seconds: float) -> str:
    """ "0.4 ms" and "8.5 ms" (tenths under 10 ms), "250 ms" under a second, "3.2 s" and "3 s" (tenths under
    10 s, ".0" left out), "61 s" from 10 s on."""
    seconds = max(0.0, seconds)
    if _whole(seconds * 1000) < 1000:
        return _tenths_below_ten(seconds * 1000, "ms")
    return _tenths_below_ten(seconds, "s")


def _tenths_below_ten(value: float, unit: str) -> str:
    tenths = _whole(value * 10)
    if tenths < 100:
        return f"{tenths // 10}.{tenths % 10} {unit}".replace(".0 ", " ")
    return f"{_whole(value)} {unit}"


def _two(count: int, per: int, big: str, small: str) -> str:
    high, low = divmod(count, per)
    return f"{high} {big} {low} {small}" if low else f"{high} {big}"


def _whole(value: float) -> int:
    """Rounded half up (Python's round() rounds 2.5 to 2), never below zero."""
    return max(0, math.floor(value + 0.5))
