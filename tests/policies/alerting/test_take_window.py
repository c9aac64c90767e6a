"""What "I'll take tonight / the week / the weekend" covers, in the schedule's time zone (Europe/London,
handoff Monday 09:00)."""

from __future__ import annotations

from datetime import datetime

import pytest

from policies.alerting.oncall import take_window
from tests.policies.alerting.test_oncall import WEEKLY


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        ("tonight", "2026-12-02T22:00:00+00:00", "2026-12-02T22:00:00+00:00", "2026-12-03T09:00:00+00:00"),
        (None, "2026-12-03T07:00:00+00:00", "2026-12-03T07:00:00+00:00", "2026-12-03T09:00:00+00:00"),
        # Wednesday: the weekend starts on Saturday at midnight and ends at Monday's handoff time
        ("weekend", "2026-12-02T22:00:00+00:00", "2026-12-05T00:00:00+00:00", "2026-12-07T09:00:00+00:00"),
        # Saturday afternoon: from now
        ("weekend", "2026-12-05T15:00:00+00:00", "2026-12-05T15:00:00+00:00", "2026-12-07T09:00:00+00:00"),
        # Monday before the handoff: until this morning's handoff
        ("weekend", "2026-12-07T06:00:00+00:00", "2026-12-07T06:00:00+00:00", "2026-12-07T09:00:00+00:00"),
        ("week", "2026-12-02T22:00:00+00:00", "2026-12-02T22:00:00+00:00", "2026-12-07T09:00:00+00:00"),
        # Monday after the handoff: the whole week, to next Monday
        ("week", "2026-12-07T10:00:00+00:00", "2026-12-07T10:00:00+00:00", "2026-12-14T09:00:00+00:00"),
        # summer time: 09:00 in London is 08:00 UTC
        ("weekend", "2026-07-01T12:00:00+00:00", "2026-07-03T23:00:00+00:00", "2026-07-06T08:00:00+00:00"),
    ],
)
def test_take_window(period: str | None, now: str, start: str, end: str) -> None:
    assert WEEKLY.timezone == "Europe/London" and WEEKLY.handoff.startswith("mon")
    assert take_window(WEEKLY, period, at(now)) == (at(start), at(end))
