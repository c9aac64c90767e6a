"""How an alert reads in chat: the card posted to the incident channels and direct messages (key fact first, its
state on the first line so every copy says the same once it changes), its buttons, and the one-line list entry.

The alert's fields were made safe when it came in (alerts.model); the card and the list entry pass once more
through `for_chat`, for alerts stored before that and for names from elsewhere (who acknowledged, a note)."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.model import SEVERITY_SHORT, Alert, AlertState
from core.durations import span
from core.models import Button
from core.untrusted import for_chat

_CLOUD = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}


def headline(alert: Alert) -> str:
    """ "ALERT 42 CRIT web-prod: 5xx above 5%" """
    what = (
        f"{alert.resource}: {alert.summary}"
        if alert.resource and alert.resource not in alert.summary
        else alert.summary
    )
    return for_chat(f"ALERT {alert.number} {SEVERITY_SHORT[alert.severity]} {what}")


def card(alert: Alert, tz: ZoneInfo, note: str = "") -> str:
    """The whole message: state line, headline, where and since when, the first link."""
    lines = [_state(alert, tz), headline(alert)]
    where = [p for p in (alert.environment, _CLOUD.get(alert.provider or "")) if p]
    since = f"since {_clock(alert.starts_at or alert.first_seen, tz)}"
    repeats = f", repeated {alert.repeats}x" if alert.repeats else ""
    lines.append(" · ".join([*where, since + repeats, alert.source]))
    if alert.description and alert.description != alert.summary:
        lines.append(alert.description.splitlines()[0][:200])
    if alert.links:
        lines.append(alert.links[0])
    if note:
        lines.append(note)
    return for_chat("\n".join(lines))


def buttons(alert: Alert) -> tuple[Button, ...]:
    """An open alert's actions, and Graph (the metric its words suggest, for its resource, around when it fired)
    when it names a resource."""
    n = alert.number
    if alert.state is AlertState.RESOLVED:
        return ()
    resolve = Button(id=f"alert:resolve:{n}", label="Resolve")
    graph = (Button(id=f"graph:{n}", label="Graph"),) if alert.resource else ()
    if alert.state is AlertState.ACKED:
        return (resolve, *graph)
    ack = Button(id=f"alert:ack:{n}", label="Acknowledge", style="primary")
    return (ack, resolve, Button(id=f"alert:silence:{n}", label="Silence 1h"), *graph)


def line(alert: Alert, tz: ZoneInfo, now: float) -> str:
    """One entry of the alerts list: "42 CRIT web-prod: 5xx above 5% - 12 min, acked by alice" ("- 40 s" when new)"""
    age = span(now - (alert.starts_at or alert.first_seen))
    state = ""
    if alert.state is AlertState.ACKED:
        state = f", acked by {alert.acked_by}"
    elif alert.silenced_until and alert.silenced_until > now:
        state = f", silenced until {_clock(alert.silenced_until, tz)}"
    elif not alert.paging:
        state = ", not paging"
    return for_chat(f"{headline(alert).removeprefix('ALERT ')} - {age}{state}")


def _state(alert: Alert, tz: ZoneInfo) -> str:
    if alert.state is AlertState.RESOLVED:
        by = f" by {alert.resolved_by}" if alert.resolved_by else ""
        via = f" via {alert.resolved_via}" if alert.resolved_via and alert.resolved_via != alert.resolved_by else ""
        return f"RESOLVED{by}{via} at {_clock(alert.resolved_at or 0.0, tz)}"
    if alert.state is AlertState.ACKED:
        return f"ACKED by {alert.acked_by} via {alert.acked_via} at {_clock(alert.acked_at or 0.0, tz)}"
    if alert.silenced_until and alert.silenced_until > time.time():
        return f"SILENCED by {alert.silenced_by} until {_clock(alert.silenced_until, tz)}"
    if not alert.paging:
        return "FIRING (not paging)"
    return f"Still not acknowledged - repeat {alert.reminders}" if alert.reminders else "FIRING"


def _clock(at: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, tz).strftime("%H:%M")
