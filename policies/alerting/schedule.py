"""An on-call schedule as the alerting file declares it: who rotates, when the pager changes hands, who
manages, and overrides ("carol covers Christmas"). The arithmetic of who is on call is in `oncall`."""

from __future__ import annotations

from calendar import day_name
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from core.models import Frozen
from policies.alerting.fields import WEEKDAYS, TimeZone, non_empty, one_of, parse_clock, parse_weekday

Rotation = Literal["weekly", "daily"]
_PERIOD_DAYS = {"weekly": 7, "daily": 1}


class Override(Frozen):
    """`person` holds the pager from `start` to `end`, whatever the rotation says. Times without an offset are
    in the schedule's time zone. `by`: who set it in chat (None: the file)."""

    person: str = Field(min_length=1)
    start: datetime
    end: datetime
    by: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give start and end both with a UTC offset, or both without")
        if self.end <= self.start:
            raise ValueError("an override's end must be after its start")
        return self


class Schedule(Frozen):
    timezone: TimeZone = "UTC"  # in the file: the top-level `timezone` unless given
    rotation: Annotated[Rotation, BeforeValidator(one_of("rotation", _PERIOD_DAYS))] = "weekly"
    handoff: str  # weekly: "mon 09:00"; daily: "09:00"
    start: date  # the date of the first handoff; people[0] is on call from then
    people: Annotated[tuple[str, ...], non_empty("people")]
    manager: str | None = None
    overrides: tuple[Override, ...] = ()

    @field_validator("handoff")
    @classmethod
    def _handoff_form(cls, handoff: str, info: ValidationInfo) -> str:
        rotation = info.data.get("rotation")
        if rotation is not None:
            split_handoff(handoff, rotation)
        return handoff

    @field_validator("start")
    @classmethod
    def _start_on_handoff_day(cls, start: date, info: ValidationInfo) -> date:
        rotation, handoff = info.data.get("rotation"), info.data.get("handoff")
        if rotation is None or handoff is None:
            return start
        day, _ = split_handoff(handoff, rotation)
        if day is not None and start.weekday() != day:
            raise ValueError(f"{start} is a {start:%A}: handoffs are on {day_name[day]}s, so start on one")
        return start

    @property
    def period_days(self) -> int:
        return _PERIOD_DAYS[self.rotation]

    @property
    def handoff_time(self) -> time:
        return split_handoff(self.handoff, self.rotation)[1]


def split_handoff(text: str, rotation: Rotation) -> tuple[int | None, time]:
    """("mon 09:00", weekly) -> (0, 09:00); ("09:00", daily) -> (None, 09:00). Raises ValueError."""
    parts = text.split()
    if rotation == "weekly":
        if len(parts) != 2:
            raise ValueError(f"weekly handoff '{text}' should look like \"mon 09:00\"")
        return WEEKDAYS.index(parse_weekday(parts[0])), parse_clock(parts[1])
    if len(parts) != 1:
        raise ValueError(f"daily handoff '{text}' should be a time of day, like \"09:00\"")
    return None, parse_clock(parts[0])
