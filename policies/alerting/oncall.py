"""Who is on call at a given moment: the rotation of a schedule, with overrides on top. Handoffs happen at
the schedule's wall-clock time in its own time zone, so they stay at 09:00 across daylight-saving changes.
Every datetime returned is in UTC; every datetime taken must carry a UTC offset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from policies.alerting.fields import as_utc, zone
from policies.alerting.schedule import Override, Schedule

__all__ = ["OnCall", "Override", "handoff_after", "on_call", "rotation_after", "take_window", "tonight", "upcoming"]

_MAX_STEPS = 10_000  # boundaries walked to find the next change: overrides spanning years of handoffs


@dataclass(frozen=True)
class OnCall:
    person: str
    until: datetime  # the next change: a handoff, or an override starting or ending
    next_person: str  # who the rotation hands to after the current turn
    override: Override | None  # the override that put `person` on call, if one did
    manager: str | None
    # Who holds the pager from `until`. Not always `next_person`: when an override ends inside a turn, the
    # rotation's current holder takes the pager back ("alice until 09:00 (override), then bob").
    then: str


def on_call(schedule: Schedule, at: datetime, overrides: Sequence[Override] = ()) -> OnCall:
    """Who holds `schedule`'s pager at `at`. The schedule's own overrides come first, then `overrides`; a later
    override wins over an earlier one where they overlap."""
    at = _utc(at)
    spans = _spans(schedule, overrides)
    turn = _turn(schedule, at)
    current = _state(schedule, spans, at)
    moment = at
    for _ in range(_MAX_STEPS):
        later = [edge for _, start, end in spans for edge in (start, end) if edge > moment]
        moment = min([_handoff(schedule, _turn(schedule, moment) + 1), *later])
        if _state(schedule, spans, moment) != current:
            break
    person, override, _ = current
    return OnCall(
        person=person,
        until=moment,
        next_person=schedule.people[(turn + 1) % len(schedule.people)],
        override=override,
        manager=schedule.manager,
        then=_state(schedule, spans, moment)[0],
    )


def rotation_after(schedule: Schedule, at: datetime) -> list[str]:
    """The people in the order the rotation reaches them after the turn running at `at` (each once)."""
    turn = _turn(schedule, _utc(at))
    order = [schedule.people[(turn + i) % len(schedule.people)] for i in range(1, len(schedule.people) + 1)]
    return list(dict.fromkeys(order))


def upcoming(
    schedule: Schedule, at: datetime, overrides: Sequence[Override] = (), n: int = 3
) -> list[tuple[datetime, datetime, str]]:
    """The next `n` shifts after the one running at `at`: (start, end, person)."""
    shifts: list[tuple[datetime, datetime, str]] = []
    start = on_call(schedule, at, overrides).until
    while len(shifts) < n:
        now = on_call(schedule, start, overrides)
        shifts.append((start, now.until, now.person))
        start = now.until
    return shifts


def handoff_after(schedule: Schedule, at: datetime) -> datetime:
    """The first rotation handoff after `at`."""
    return _handoff(schedule, _turn(schedule, _utc(at)) + 1)


def tonight(schedule: Schedule, now: datetime) -> tuple[datetime, datetime]:
    """From `now` until the next time of day of the schedule's handoff (09:00 tomorrow; before 09:00, 09:00
    today): the stretch "I'll take tonight" covers."""
    now = _utc(now)
    tz = zone(schedule.timezone)
    day = now.astimezone(tz).date()
    for offset in (0, 1):
        local = datetime.combine(day + timedelta(days=offset), schedule.handoff_time, tzinfo=tz)
        if (end := local.astimezone(UTC)) > now:
            return now, end
    raise AssertionError("a handoff time is always within a day")  # pragma: no cover


def take_window(schedule: Schedule, period: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The stretch "I'll take <period>" covers: tonight or today (see tonight()), the week (until Monday's handoff
    time), or the weekend (from Saturday 00:00, or now if later, until Monday's handoff time), local to the
    schedule."""
    start, end = tonight(schedule, now)
    if period not in ("week", "weekend"):
        return start, end
    tz = zone(schedule.timezone)
    local = _utc(now).astimezone(tz)
    monday = local.date() + timedelta(days=(7 - local.weekday()) % 7 or 7)
    if local.weekday() == 0 and local.time() < schedule.handoff_time:
        monday = local.date()  # Monday before the handoff: the week or weekend ends this morning
    end = datetime.combine(monday, schedule.handoff_time, tzinfo=tz).astimezone(UTC)
    if period == "weekend":
        saturday = datetime.combine(monday - timedelta(days=2), datetime.min.time(), tzinfo=tz).astimezone(UTC)
        start = max(start, saturday)
    return start, end


State = tuple[str, Override | None, int | None]  # person, override, rotation turn (None under an override)
Span = tuple[Override, datetime, datetime]


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("on-call times need a UTC offset")
    return at.astimezone(UTC)


def _spans(schedule: Schedule, given: Sequence[Override]) -> list[Span]:
    tz = zone(schedule.timezone)
    return [(o, as_utc(o.start, tz), as_utc(o.end, tz)) for o in (*schedule.overrides, *given)]


def _handoff(schedule: Schedule, turn: int) -> datetime:
    """When rotation turn `turn` starts (turn 0: the schedule's start date; negative turns come before it)."""
    day = schedule.start + timedelta(days=turn * schedule.period_days)
    return datetime.combine(day, schedule.handoff_time, tzinfo=zone(schedule.timezone)).astimezone(UTC)


def _turn(schedule: Schedule, at: datetime) -> int:
    days = (at.astimezone(zone(schedule.timezone)).date() - schedule.start).days
    turn = days // schedule.period_days
    return turn - 1 if at < _handoff(schedule, turn) else turn


def _state(schedule: Schedule, spans: Sequence[Span], at: datetime) -> State:
    for override, start, end in reversed(spans):
        if start <= at < end:
            return override.person, override, None
    turn = _turn(schedule, at)
    return schedule.people[turn % len(schedule.people)], None, turn
