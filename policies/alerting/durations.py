"""Durations as people write them in the alerting file: "30s", "5m", "1h30m", "2d", or plain seconds."""

from __future__ import annotations

import re

MAX_SECONDS = 7 * 86_400
_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_TEXT = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_FORMS = "use 30s, 5m, 1h, 1h30m, 2d or a number of seconds"


def parse_duration(value: object) -> float:
    """Seconds in `value`. Raises ValueError saying what is accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"a duration is text or a number: {_FORMS}")  # noqa: TRY004 - pydantic wants ValueError
    if isinstance(value, str):
        text = value.strip().lower()
        match = _TEXT.fullmatch(text)
        if text.isdigit():
            seconds = float(text)
        elif text and match:
            seconds = float(sum(int(n) * _UNITS[u] for n, u in zip(match.groups(), "dhms", strict=True) if n))
        else:
            raise ValueError(f"bad duration '{value}': {_FORMS}")
    else:
        seconds = float(value)
    if not 0 <= seconds <= MAX_SECONDS:
        raise ValueError(f"duration '{value}' is out of range: 0 to 7 days")
    return seconds
