"""Google Cloud Monitoring's webhook notification channel (schema 1.2, and the "test" notification the console
sends): one incident per notification, keyed by its incident id; "open" fires it and "closed" resolves it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from alerts.model import Incoming
from alerts.sources import fields
from alerts.sources.fields import Id, Obj, Status, Text, UnixTime, Url
from alerts.sources.payload import Payload, load
from core.models import Cloud

SOURCE = "gcp"

_severity = fields.severities(critical=("critical", "error"), warning=("warning",), info=())
# resource.labels that name the monitored thing, by resource type (VM, GKE, Cloud Run, Cloud SQL, bucket ...)
_RESOURCE_LABELS = (
    "instance_name",
    "instance_id",
    "cluster_name",
    "service_name",
    "database_id",
    "bucket_name",
    "topic_id",
    "function_name",
    "host",
)


def _documentation(value: Any) -> Any:
    """An object with `content` in schema 1.2, a plain string in the test notification; nothing otherwise."""
    return {"content": value} if isinstance(value, str) else fields.object_or_empty(value)


class DocumentationLink(Payload):
    url: Url = ""


class Documentation(Payload):
    content: Text = ""
    links: Annotated[tuple[DocumentationLink, ...], BeforeValidator(fields.objects_only)] = ()


class MonitoredResource(Payload):
    labels: Obj = Field(default_factory=dict)


class Metadata(Payload):
    user_labels: Obj = Field(default_factory=dict)


class Incident(Payload):
    incident_id: Id
    state: Annotated[Status, fields.one_of({"open": "firing", "closed": "resolved"}, any_case=True)]
    resource: Annotated[MonitoredResource, BeforeValidator(fields.absent_is_empty)] = MonitoredResource()
    metadata: Annotated[Metadata, BeforeValidator(fields.absent_is_empty)] = Metadata()
    policy_user_labels: Obj = Field(default_factory=dict)
    summary: Text = ""
    policy_name: Text = ""
    condition_name: Text = ""
    severity: Text = ""
    resource_display_name: Text = ""
    documentation: Annotated[Documentation, BeforeValidator(_documentation)] = Documentation()
    started_at: UnixTime = None
    ended_at: UnixTime = None
    url: Url = ""


class GcpNotification(Payload):
    incident: Incident


def parse(body: bytes) -> list[Incoming]:
    return [_incoming(load(GcpNotification, body).incident)]


def _incoming(incident: Incident) -> Incoming:
    resource_labels = incident.resource.labels
    labels = fields.labels(resource_labels, incident.metadata.user_labels, incident.policy_user_labels)
    summary = fields.one_line(incident.summary)
    if not summary:
        parts = (incident.policy_name, incident.condition_name)
        summary = fields.one_line(": ".join(p for p in parts if p)) or "Cloud Monitoring incident"
    return Incoming(
        source=SOURCE,
        fingerprint=fields.fingerprint(incident.incident_id),
        status=incident.state,
        severity=_severity(incident.severity),
        summary=summary,
        description=fields.description(incident.documentation.content),
        # The display name is what people call it; the labels hold ids (instance_id "11223344").
        resource=fields.name(incident.resource_display_name or fields.first_of(resource_labels, _RESOURCE_LABELS)),
        provider=Cloud.GCP,
        environment=fields.name(fields.first_of(labels, ("env", "environment"))),
        labels=labels,
        starts_at=incident.started_at,
        ends_at=incident.ended_at,
        links=fields.links(incident.url, *(link.url for link in incident.documentation.links)),
    )
