"""Prometheus Alertmanager's webhook (version 4): one notification carries a group of alerts, each becomes one
`Incoming` with Alertmanager's own fingerprint, so a later resolve of the same alert finds it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from alerts.model import Incoming
from alerts.sources import fields
from alerts.sources.fields import AlertList, Rfc3339, Status, Text, Url
from alerts.sources.payload import Payload, load
from alerts.sources.resource_labels import DEFAULT_ORDER, resource_from

SOURCE = "alertmanager"

_severity = fields.severities(
    critical=("critical", "page", "high", "error"), warning=("warning", "warn"), info=("info", "none", "low")
)


class Annotations(Payload):
    summary: Text = ""
    description: Text = ""
    runbook_url: Url = ""


class AlertmanagerAlert(Payload):
    """One member of the group, in the order its fields are checked."""

    labels: dict[str, Any]
    annotations: Annotated[Annotations, BeforeValidator(fields.absent_is_empty)] = Annotations()
    status: Annotated[Status, fields.one_of({"firing": "firing", "resolved": "resolved"})]
    starts_at: Rfc3339 = Field(default=None, alias="startsAt")
    ends_at: Rfc3339 = Field(default=None, alias="endsAt")
    generator_url: Url = Field(default="", alias="generatorURL")
    fingerprint: Text = ""


class AlertmanagerNotification(Payload):
    external_url: Url = Field(default="", alias="externalURL")
    alerts: AlertList[AlertmanagerAlert]

    @model_validator(mode="before")
    @classmethod
    def _group_status(cls, data: Any) -> Any:
        """An alert without a status of its own has the group's."""
        if isinstance(data, dict) and "status" in data and isinstance(data.get("alerts"), list):
            group = {"status": data["status"]}
            return {**data, "alerts": [group | alert if isinstance(alert, dict) else alert for alert in data["alerts"]]}
        return data


def parse(body: bytes) -> list[Incoming]:
    notification = load(AlertmanagerNotification, body)
    return [_incoming(alert, notification.external_url) for alert in notification.alerts]


def _incoming(alert: AlertmanagerAlert, external_url: str) -> Incoming:
    labels = fields.labels(alert.labels)
    notes = alert.annotations
    summary = fields.one_line(notes.summary) or fields.one_line(fields.first_line(notes.description))
    if not summary:
        alertname = fields.text(labels.get("alertname")) or "Alertmanager alert"
        instance = fields.text(labels.get("instance"))
        summary = fields.one_line(f"{alertname} on {instance}" if instance else alertname)
    return Incoming(
        source=SOURCE,
        fingerprint=fields.fingerprint(alert.fingerprint)
        if alert.fingerprint
        else fields.digest(sorted(labels.items())),
        status=alert.status,
        severity=_severity(labels.get("severity", "")),
        summary=summary,
        description=fields.description(notes.description),
        resource=resource_from(labels, DEFAULT_ORDER),
        provider=fields.provider(labels.get("cloud")) or fields.provider(labels.get("provider")),
        environment=fields.name(fields.first_of(labels, ("env", "environment"))),
        labels=labels,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
        # The runbook first: a phone shows the first link, and it is the one that says what to do.
        links=fields.links(notes.runbook_url, alert.generator_url, external_url),
    )
