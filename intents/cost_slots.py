"""Slots of cost questions: a day ("tuesday", "yesterday", "2026-11-28", "nov 28"), a month ("november",
"2026-11"), a comparison ("vs last month") and who a budget is for ("prod", "aws", "team payments", "all").

The parser has no clock, so a day or month said without its year is kept as said, and the answer resolves it
against its own today with `day_of` / `month_of`:

    day:   "today" | "yesterday" | a weekday ("tuesday": the latest one before today) | "MM-DD" (the latest such
           date on or before today) | "YYYY-MM-DD"
    month: "MM" (the latest such month on or before this one: "november" said in December 2026 is 2026-11, said
           in October 2026 it is 2025-11) | "YYYY-MM"
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from intents import vocab
from intents.reading import CONNECTIVES, Input, Yield

WEEKDAYS: Mapping[str, str] = {
    **dict.fromkeys(("monday", "mon"), "monday"),
    **dict.fromkeys(("tuesday", "tue", "tues"), "tuesday"),
    **dict.fromkeys(("wednesday", "wed", "weds"), "wednesday"),
    **dict.fromkeys(("thursday", "thu", "thur", "thurs"), "thursday"),
    **dict.fromkeys(("friday", "fri"), "friday"),
    **dict.fromkeys(("saturday", "sat"), "saturday"),
    **dict.fromkeys(("sunday", "sun"), "sunday"),
}
_WEEKDAY_ORDER = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NAMES = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
MONTHS: Mapping[str, int] = {name: n for n, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")
_YEAR = re.compile(r"20\d{2}")
_RELATIVE_DAYS = frozenset({"today", "yesterday"})
_WEEKDAY_LEADS = frozenset({"last", "this", "past"})
_ALL = frozenset({"all", "total", "overall", "everything", "global", "company", "org", "organisation", "organization"})
_TEAM_STOP = CONNECTIVES | _ALL | {"the", "a", "an", "our", "my", "budget", "budgets", "team", "teams", "is", "be"}
_TEAM_NAME = re.compile(r"[a-z][a-z0-9_\-]{0,39}")

Item = tuple[str, int] | None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _year_after(words: Sequence[str], i: int) -> tuple[int | None, int]:
    if i < len(words) and _YEAR.fullmatch(words[i]):
        return int(words[i]), i + 1
    return None, i


def _day_of_month(words: Sequence[str], i: int) -> tuple[int, int] | None:
    found = _ORDINAL.fullmatch(words[i]) if i < len(words) else None
    if found is None or not 1 <= int(found.group(1)) <= 31:
        return None
    return int(found.group(1)), i + 1


def read_day(words: Sequence[str], i: int) -> Item:
    """A day, as the module says it is kept: "last tuesday" -> "tuesday", "28th of nov" -> "11-28"."""
    if i >= len(words):
        return None
    word = words[i]
    if word in _RELATIVE_DAYS:
        return word, i + 1
    if word in _WEEKDAY_LEADS and i + 1 < len(words) and words[i + 1] in WEEKDAYS:
        return WEEKDAYS[words[i + 1]], i + 2
    if word in WEEKDAYS:
        return WEEKDAYS[word], i + 1
    iso = _ISO_DAY.fullmatch(word)
    if iso:
        y, m, d = (int(g) for g in iso.groups())
        return (word, i + 1) if _valid(y, m, d) else None
    start = i + 1 if word == "the" else i
    if start < len(words) and words[start] in MONTHS:  # "nov 28", "november 28th 2026"
        month, day_at = MONTHS[words[start]], start + 1
        found = _day_of_month(words, day_at)
    else:  # "28 nov", "the 28th of november"
        found = _day_of_month(words, start)
        at = found[1] if found else start
        at += 1 if at < len(words) and words[at] == "of" else 0
        if found is None or at >= len(words) or words[at] not in MONTHS:
            return None
        month, found = MONTHS[words[at]], (found[0], at + 1)
    if found is None:
        return None
    day, end = found
    year, end = _year_after(words, end)
    if not _valid(year or 2024, month, day):  # 2024: a leap year, so "feb 29" stands until a year is known
        return None
    return (f"{year}-{month:02d}-{day:02d}" if year else f"{month:02d}-{day:02d}"), end


def read_month(words: Sequence[str], i: int) -> Item:
    """A month: "november" -> "11", "nov 2026" / "2026-11" -> "2026-11"."""
    if i >= len(words):
        return None
    iso = _ISO_MONTH.fullmatch(words[i])
    if iso and 1 <= int(iso.group(2)) <= 12:
        return words[i], i + 1
    if words[i] not in MONTHS:
        return None
    month = MONTHS[words[i]]
    year, end = _year_after(words, i + 1)
    return (f"{year}-{month:02d}" if year else f"{month:02d}"), end


_COMPARED = (("compared", "to"), ("compared", "with"), ("relative", "to"), ("vs",), ("versus",), ("against",))
_PREVIOUS_MONTH = (("last", "month"), ("the", "previous", "month"), ("previous", "month"), ("the", "month", "before"))
_MONTH_ON_MONTH = (("month", "over", "month"), ("month", "on", "month"), ("mom",), ("m/m",))


def read_compare(words: Sequence[str], i: int) -> Item:
    """ "vs last month", "compared to the previous month", "month over month" -> "last_month"."""
    for phrase in _MONTH_ON_MONTH:
        if tuple(words[i : i + len(phrase)]) == phrase:
            return "last_month", i + len(phrase)
    for lead in _COMPARED:
        at = i + len(lead)
        if tuple(words[i:at]) == lead:
            for previous in _PREVIOUS_MONTH:
                if tuple(words[at : at + len(previous)]) == previous:
                    return "last_month", at + len(previous)
    return None


def read_budget_scope(inp: Input, start: int) -> Yield:
    """Who a budget is for: an environment ("prod"), a provider ("aws"), a team ("team payments", "the
    payments team", "team:payments") or everything ("all", "overall", "the company") -> "all"."""
    words = inp.words
    i = start + 1 if start < len(words) and words[start] in ("the", "our") else start
    if i >= len(words):
        return
    environment = vocab.read_environment(words, i)
    if environment is not None:
        yield environment[1], {"budget_scope": environment[0]}
        return
    provider = vocab.read_provider(words, i)
    if provider is not None:
        yield provider[1], {"budget_scope": provider[0].value}
        return
    if words[i] in _ALL:
        yield i + 1, {"budget_scope": "all"}
        return
    word = words[i]
    if word.startswith(("team:", "team=")) and _TEAM_NAME.fullmatch(word[5:]):
        yield i + 1, {"budget_scope": f"team:{word[5:]}"}
    elif word in ("team", "teams") and i + 1 < len(words) and _team_name(words[i + 1]):
        yield i + 2, {"budget_scope": f"team:{words[i + 1]}"}
    elif _team_name(word) and i + 1 < len(words) and words[i + 1] == "team":
        yield i + 2, {"budget_scope": f"team:{word}"}


def _team_name(word: str) -> bool:
    return word not in _TEAM_STOP and _TEAM_NAME.fullmatch(word) is not None


def day_of(day: str, today: dt.date) -> dt.date:
    """The date a `day` slot means, seen from `today`. Raises ValueError on a value the parser never gives."""
    if day == "today":
        return today
    if day == "yesterday":
        return today - dt.timedelta(days=1)
    if day in _WEEKDAY_ORDER:
        back = (today.weekday() - _WEEKDAY_ORDER.index(day)) % 7 or 7
        return today - dt.timedelta(days=back)
    if _ISO_DAY.fullmatch(day):
        return dt.date.fromisoformat(day)
    month, dom = (int(part) for part in day.split("-"))
    year = today.year if (month, dom) <= (today.month, today.day) else today.year - 1
    while not _valid(year, month, dom):  # "02-29" said in a year without one: the last year that had it
        year -= 1
    return dt.date(year, month, dom)


def month_of(month: str, today: dt.date) -> str:
    """The "YYYY-MM" a `month` slot means, seen from `today`. Raises ValueError on a value the parser never
    gives."""
    if _ISO_MONTH.fullmatch(month):
        return month
    number = int(month)
    if not 1 <= number <= 12:
        raise ValueError(f"not a month: {month!r}")
    year = today.year if number <= today.month else today.year - 1
    return f"{year}-{number:02d}"


def words() -> frozenset[str]:
    """The words of days and months: part of the language, never slips of another word."""
    return frozenset(WEEKDAYS) | frozenset(MONTHS) | {"vs", "versus", "mom"}
