"""Deploy freezes: the alerting file's `deploy_freezes` (the busiest wedding weekends, a release-free Friday
night) and, with `freeze_event_days: true`, its `event_days` for prod. Here only whether a deploy is frozen and
why, in one line; whether an admin may deploy anyway, with a reason, is the conversation's to ask."""

from __future__ import annotations

from datetime import datetime, timedelta

from policies.alerting.fields import zone
from policies.alerting.model import AlertingPolicy
from policies.alerting.routing import event_day, window_end

EVENT_DAY_ENVIRONMENT = "prod"  # event days freeze this environment only


def frozen(alerting: AlertingPolicy, now: datetime, *, service: str, environment: str) -> str | None:
    """None when `service` may be deployed to `environment` at `now` (with a UTC offset), else why not:
    "Deploys to prod are frozen: wedding weekend (until Sun 23:59)", "... : event day 2026-12-24 (Europe/London)".
    The first freeze on, in the file's order, is named; event days after the windows."""
    for freeze in alerting.deploy_freezes:
        if not freeze.covers(service=service, environment=environment):
            continue
        if (end := window_end(freeze, now)) is not None:
            until = _until(end, now, freeze.timezone)
            return f"{_deploys(service, environment, every=freeze.services is None)}: {freeze.name} (until {until})"
    if alerting.freeze_event_days and environment == EVENT_DAY_ENVIRONMENT and event_day(alerting, now):
        day = now.astimezone(zone(alerting.timezone)).date()
        return f"{_deploys(service, environment, every=True)}: event day {day.isoformat()} ({alerting.timezone})"
    return None


def _deploys(service: str, environment: str, *, every: bool) -> str:
    """ "Deploys to prod are frozen", or "Deploys of web to prod are frozen" when the freeze names services."""
    return f"Deploys to {environment} are frozen" if every else f"Deploys of {service} to {environment} are frozen"


def _until(end: datetime, now: datetime, tz_name: str) -> str:
    """ "23:59" today, "Sun 23:59" within the week, "Sun 27 Dec 23:59" later (the wall clock of `tz_name`). A
    window written to end at midnight reads as the minute before, the last minute it is on."""
    tz = zone(tz_name)
    local, today = end.astimezone(tz), now.astimezone(tz).date()
    if local.hour == 0 and local.minute == 0:
        local -= timedelta(minutes=1)
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() - today < timedelta(days=7):
        return f"{local:%a %H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"
