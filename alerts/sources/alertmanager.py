"""Prometheus Alertmanager's webhook (version 4): one notification carries a group of alerts, each becomes one
`Incoming` with Alertmanager's own fingerprint, so a later resolve of the same alert finds it."""

from __future__ import annotations

from typing import Any

from alerts.model import Incoming, Severity
from alerts.sources import fields
from alerts.sources.fields import Malformed
from alerts.sources.resource_labels import DEFAULT_ORDER, resource_from

SOURCE = "alertmanager"

_SEVERITY = {
    "critical": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "high": Severity.CRITICAL,
    "error": Severity.CRITICAL,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "info": Severity.INFO,
    "none": Severity.INFO,
    "low": Severity.INFO,
}
_STATUSES = ("firing", "resolved")


def parse(body: bytes) -> list[Incoming]:
    data = fields.need_object(fields.load_json(body), "")
    if "alerts" not in data:
        raise Malformed("missing alerts")
    group_status = data.get("status")
    external = data.get("externalURL")
    return [
        _alert(fields.need_object(raw, f"alerts[{i}]"), f"alerts[{i}]", group_status, external)
        for i, raw in enumerate(fields.alert_list(data["alerts"]))
    ]


def _alert(raw: dict[str, Any], where: str, group_status: Any, external: Any) -> Incoming:
    if "labels" not in raw:
        raise Malformed(f"{where}: missing labels")
    all_labels = fields.need_object(raw["labels"], f"{where}.labels")
    annotations = fields.optional_object(raw.get("annotations"), f"{where}.annotations")
    status = raw.get("status", group_status)
    if status is None:
        raise Malformed(f"{where}: missing status")
    if status not in _STATUSES:
        raise Malformed(f"{where}: unknown status {fields.quoted(status)}")
    labels = fields.labels(all_labels)
    resource = resource_from(labels, DEFAULT_ORDER)
    summary = fields.one_line(fields.text(annotations.get("summary")))
    if not summary:
        summary = fields.one_line(fields.first_line(fields.text(annotations.get("description"))))
    if not summary:
        alertname = fields.text(labels.get("alertname")) or "Alertmanager alert"
        instance = fields.text(labels.get("instance"))
        summary = fields.one_line(f"{alertname} on {instance}" if instance else alertname)
    own_fingerprint = fields.text(raw.get("fingerprint"))
    return Incoming(
        source=SOURCE,
        fingerprint=fields.fingerprint(own_fingerprint) if own_fingerprint else fields.digest(sorted(labels.items())),
        status=status,
        severity=_SEVERITY.get(fields.text(labels.get("severity")).lower(), Severity.WARNING),
        summary=summary,
        description=fields.description(fields.text(annotations.get("description"))),
        resource=resource,
        provider=fields.provider(labels.get("cloud")) or fields.provider(labels.get("provider")),
        environment=fields.name(fields.first_of(labels, ("env", "environment"))),
        labels=labels,
        starts_at=fields.rfc3339(raw.get("startsAt"), f"{where}.startsAt"),
        ends_at=fields.rfc3339(raw.get("endsAt"), f"{where}.endsAt"),
        # The runbook first: a phone shows the first link, and it is the one that says what to do.
        links=fields.links(annotations.get("runbook_url"), raw.get("generatorURL"), external),
    )
