"""Where an alert goes and whether it pages: the first matching route, event mode and event days (a warning
pages like a critical), and maintenance windows (stored and shown, but no page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerts.model import Incoming, Severity
from policies.alerting.fields import WEEKDAYS, as_utc, zone
from policies.alerting.model import AlertingPolicy, Window
from policies.alerting.route_index import index_of


@dataclass(frozen=True)
class RouteDecision:
    route: str  # "" when no route matched
    channels: tuple[str, ...]  # empty: the incident channels of the settings
    escalation: str | None  # None: notify only, never page
    severity: Severity  # effective: a warning is critical in event mode and on event days
    paging: bool
    quiet_reason: str | None  # why it does not page: "info", "maintenance window db-upgrade until 04:00" ...


def event_day(alerting: AlertingPolicy, at: datetime) -> bool:
    """Whether `at` falls on one of the file's event days, in its time zone."""
    return _aware(at).astimezone(zone(alerting.timezone)).date() in alerting.event_days


def route(alerting: AlertingPolicy, incoming: Incoming, at: datetime) -> RouteDecision:
    """The decision for `incoming` arriving at `at`."""
    at = _aware(at)
    severity = incoming.severity
    if severity is Severity.WARNING and (alerting.event_mode or event_day(alerting, at)):
        severity = Severity.CRITICAL
    chosen = index_of(alerting.routes).first(incoming, severity)  # the first match in file order
    if chosen is None:
        return RouteDecision("", (), None, severity, paging=False, quiet_reason="no route matches")
    quiet: str | None = None
    if severity is Severity.INFO:
        quiet = "info"
    elif chosen.escalation is None:
        quiet = f"route {chosen.name} does not page"
    else:
        for window in alerting.maintenance:
            if window.match.matches(incoming, severity) and (end := window_end(window, at)) is not None:
                quiet = f"maintenance window {window.name} until {_clock(end, at, window.timezone)}"
                break
    return RouteDecision(
        route=chosen.name,
        channels=chosen.channels,
        escalation=chosen.escalation,
        severity=severity,
        paging=quiet is None,
        quiet_reason=quiet,
    )


def window_end(window: Window, at: datetime) -> datetime | None:
    """When `window` (a maintenance window or a deploy freeze) ends if it is on at `at` (UTC), else None."""
    at = _aware(at)
    tz = zone(window.timezone)
    if window.start is not None and window.end is not None:
        start, end = as_utc(window.start, tz), as_utc(window.end, tz)
        return end if start <= at < end else None
    weekly = window.weekly
    if weekly is None:  # pragma: no cover - the model requires one kind
        return None
    local = at.astimezone(tz)
    days = [WEEKDAYS.index(d) for d in weekly.days]
    for back in (0, 1):  # a window that passes midnight began the day before
        day = local.date() - timedelta(days=back)
        if day.weekday() not in days:
            continue
        start = datetime.combine(day, weekly.from_, tzinfo=tz)
        end_day = day if weekly.to > weekly.from_ else day + timedelta(days=1)
        end = datetime.combine(end_day, weekly.to, tzinfo=tz)
        if start.astimezone(UTC) <= at < end.astimezone(UTC):
            return end.astimezone(UTC)
    return None


def _clock(moment: datetime, now: datetime, tz_name: str) -> str:
    """ "04:00" today, "Sat 5 Dec 04:00" another day (wall clock of `tz_name`)."""
    local, today = moment.astimezone(zone(tz_name)), now.astimezone(zone(tz_name)).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%a} {local.day} {local:%b %H:%M}"


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("routing times need a UTC offset")
    return at.astimezone(UTC)
