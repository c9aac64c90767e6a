"""Value types shared by the alerting file's models: time zones, times of day, weekdays, conversations, and
names from a fixed list. Each refuses a bad value with one line saying what would do."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BeforeValidator

from policies.alerting.durations import parse_duration
from policies.model import did_you_mean

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def one_of(kind: str, names: Iterable[str]) -> Callable[[object], object]:
    """A validator refusing text not in `names`, with a suggestion."""
    known = list(names)

    def check(value: object) -> object:
        if isinstance(value, str) and value not in known:
            raise ValueError(f"unknown {kind} '{value}'{did_you_mean(value, known)}")
        return value

    return check


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def as_utc(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment` in UTC; without an offset it is a wall-clock time in `tz`."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)).astimezone(UTC)


def is_zone(name: str) -> bool:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _time_zone(value: str) -> str:
    if not is_zone(value):
        hint = did_you_mean(value, sorted(available_timezones()))
        raise ValueError(f"unknown time zone '{value}'{hint}")
    return value


def parse_clock(value: object) -> time:
    """ "09:00" -> time(9, 0). YAML reads an unquoted 12:30 as the number 750, so ask for quotes."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('write a time of day in quotes, like "09:00"')  # noqa: TRY004 - pydantic wants ValueError
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"bad time of day '{value}': use HH:MM, like \"09:00\"")
    return time(int(match[1]), int(match[2]))


def parse_weekday(value: object) -> str:
    """ "mon", "Monday" -> "mon"."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if text in _FULL_DAYS:
        return WEEKDAYS[_FULL_DAYS.index(text)]
    if text not in WEEKDAYS:
        raise ValueError(f"unknown day '{value}'{did_you_mean(text, list(WEEKDAYS))}: use mon, tue ... sun")
    return text


def _conversation(value: str) -> str:
    channel, sep, ident = value.partition(":")
    if not sep or not channel.isidentifier() or not ident or any(c.isspace() for c in value):
        raise ValueError(f"channel '{value}' should look like 'slack:C0INCIDENT' or 'telegram:-1001234567890'")
    return value


def _seconds_at_least_one(value: float) -> float:
    if value < 1:
        raise ValueError("every must be at least 1s")
    return value


def non_empty(what: str) -> AfterValidator:
    """Refuse an empty list with "`what` needs at least one item" (pydantic's min_length also fires, with a
    confusing count, when items fail)."""

    def check(items: tuple[object, ...]) -> tuple[object, ...]:
        if not items:
            raise ValueError(f"{what}: give at least one")
        return items

    return AfterValidator(check)


def _as_list(value: object) -> object:
    """`prod` is shorthand for `[prod]`."""
    return [value] if isinstance(value, str) else value


TimeZone = Annotated[str, AfterValidator(_time_zone)]
TimeOfDay = Annotated[time, BeforeValidator(parse_clock)]
Weekday = Annotated[str, BeforeValidator(parse_weekday)]
Conversation = Annotated[str, AfterValidator(_conversation)]
Duration = Annotated[float, BeforeValidator(parse_duration)]
Interval = Annotated[float, BeforeValidator(parse_duration), AfterValidator(_seconds_at_least_one)]
AnyOf = BeforeValidator(_as_list)
