"""An incident's timeline as people read it: its own entries (declared, updates, notes other flows added) and, from
the audit, what happened since the declaration that touches its service (alerts received, acknowledged, resolved;
changes, deploys and runbooks started and finished), newest last. The resolution's durations come from the same
records: time to acknowledge (the first ack of an alert on the service), to mitigate (the first successful runbook,
failover or rollback), to resolve."""

from __future__ import annotations

import time
from dataclasses import dataclass

from alerts.incidents import Entry, Incident
from audit.log import AuditEvent, JsonScalar
from audit.query import RecordFilter
from audit.record import AuditRecord
from audit.store import AuditStore
from core.durations import span

READ_LIMIT = 2000  # audit records read since the declaration (an incident's worth, not the log's)
ALERTS_BEFORE_SECONDS = 7 * 86_400  # an alert acknowledged during the incident may have fired days before
SHOWN = {
    AuditEvent.ALERT_RECEIVED: "alert",
    AuditEvent.ALERT_ACKED: "acknowledged",
    AuditEvent.ALERT_RESOLVED: "resolved",
    AuditEvent.ALERT_ESCALATED: "escalated",
    AuditEvent.STARTED: "started",
    AuditEvent.SUCCEEDED: "done",
    AuditEvent.FAILED: "failed",
    AuditEvent.ABANDONED: "abandoned",
    AuditEvent.CANCELLED: "cancelled",
}
_NAME_KEYS = ("service", "primary", "standby", "resource", "resource_name", "group")
MITIGATIONS = frozenset({"failover", "failback", "rollback"})


@dataclass(frozen=True)
class Line:
    at: float
    text: str


@dataclass(frozen=True)
class Durations:
    acknowledge: str  # "3 min (alert 42 by bob)" or "none acked"
    mitigate: str  # "12 min (web-failover)" or "-"
    resolve: str  # "25 min", or "-" while open


def from_audit(audit: AuditStore, incident: Incident) -> list[AuditRecord]:
    """The audit records since the declaration that touch the incident (its service, or it by number)."""
    since = incident.declared_at
    records = audit.tail(READ_LIMIT, RecordFilter(since=since - ALERTS_BEFORE_SECONDS))
    on_service = {_alert(r) for r in records if r.event is AuditEvent.ALERT_RECEIVED and _touches(r, incident)}
    kept = []
    for record in records:
        if record.at < since or record.event not in SHOWN:
            continue
        if record.event is AuditEvent.ALERT_RECEIVED or _alert(record) is None:
            if _touches(record, incident):
                kept.append(record)
        elif _alert(record) in on_service or _touches(record, incident):
            kept.append(record)
    return kept


def lines(incident: Incident, entries: list[Entry], records: list[AuditRecord]) -> list[Line]:
    """Every line, oldest first."""
    own = [Line(e.at, _entry(e)) for e in entries]
    found = [Line(r.at, _record(r)) for r in records]
    return sorted(own + found, key=lambda line: line.at)


def durations(incident: Incident, records: list[AuditRecord]) -> Durations:
    start = incident.declared_at
    ack = next((r for r in records if r.event is AuditEvent.ALERT_ACKED), None)
    acknowledge = f"{span(ack.at - start)} (alert {_alert(ack)} by {ack.actor})" if ack else "none acked"
    fix = next((r for r in records if r.event is AuditEvent.SUCCEEDED and _mitigates(r)), None)
    mitigate = f"{span(fix.at - start)} ({fix.what[:60]})" if fix else "-"
    resolve = span(incident.resolved_at - start) if incident.resolved_at is not None else "-"
    return Durations(acknowledge, mitigate, resolve)


def markdown(incident: Incident, timeline: list[Line], taken: Durations) -> str:
    """The exportable timeline: a heading, the facts, the durations and every line with its UTC time."""
    out = [
        f"# Incident {incident.number} ({incident.severity}): {incident.title}",
        "",
        f"- Service: {incident.service or '-'}",
        f"- Declared: {_utc(incident.declared_at)} by {incident.declared_by}",
    ]
    if incident.resolved_at is not None:
        out.append(f"- Resolved: {_utc(incident.resolved_at)} by {incident.resolved_by}: {incident.summary or ''}")
    out += [
        f"- Time to acknowledge: {taken.acknowledge}",
        f"- Time to mitigate: {taken.mitigate}",
        f"- Time to resolve: {taken.resolve}",
        "",
        "## Timeline",
        "",
        *(f"- {_utc(line.at)} {line.text}" for line in timeline),
        "",
    ]
    return "\n".join(out)


def _entry(entry: Entry) -> str:
    if entry.kind == "declared":
        return f"{entry.what} (by {entry.by})"
    if entry.kind == "resolved":
        return f"resolved by {entry.by}: {entry.what}"
    return f"{entry.by}: {entry.what}"


def _record(record: AuditRecord) -> str:
    word = SHOWN.get(record.event, record.event.value)
    number = _alert(record)
    if number is not None:
        who = "" if record.actor == "system" else f" by {record.actor}"
        return f"alert {number} {word}{who}: {record.what[:80]}"
    outcome = f" - {record.outcome[:60]}" if record.outcome and record.event is not AuditEvent.STARTED else ""
    return f"{record.what[:80]} {word} ({record.actor}){outcome}"


def _touches(record: AuditRecord, incident: Incident) -> bool:
    if record.params.get("incident") == incident.number:
        return True
    if incident.service is None:
        return False
    names = [_text(record.params.get(key)) for key in _NAME_KEYS]
    names += _text(record.params.get("groups")).split(",")
    return any(name and incident.about(name) for name in names) or incident.service.lower() in record.what.lower()


def _mitigates(record: AuditRecord) -> bool:
    params = record.params
    if params.get("runbook") is not None:
        return params.get("kind") != "drill"
    return params.get("kind") == "rollback" or params.get("action") in MITIGATIONS


def _alert(record: AuditRecord) -> int | None:
    value = record.params.get("alert")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: JsonScalar) -> str:
    return value if isinstance(value, str) else ""


def _utc(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))
