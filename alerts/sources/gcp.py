"""Google Cloud Monitoring's webhook notification channel (schema 1.2, and the "test" notification the console
sends): one incident per notification, keyed by its incident id; "open" fires it and "closed" resolves it."""

from __future__ import annotations

from typing import Any

from alerts.model import Incoming, Severity
from alerts.sources import fields
from alerts.sources.fields import Malformed
from core.models import Cloud

SOURCE = "gcp"

_SEVERITY = {"critical": Severity.CRITICAL, "error": Severity.CRITICAL, "warning": Severity.WARNING}
_STATE = {"open": "firing", "closed": "resolved"}
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


def parse(body: bytes) -> list[Incoming]:
    data = fields.need_object(fields.load_json(body), "")
    if "incident" not in data:
        raise Malformed("missing incident")
    incident = fields.need_object(data["incident"], "incident")
    incident_id = fields.scalar(incident.get("incident_id"))
    if not incident_id:
        raise Malformed("incident: missing incident_id")
    state = incident.get("state")
    status = _STATE.get(state.lower()) if isinstance(state, str) else None
    if status is None:
        raise Malformed(f"incident: unknown state {fields.quoted(state)}")
    resource = fields.optional_object(incident.get("resource"), "incident.resource")
    resource_labels = fields.optional_object(resource.get("labels"), "incident.resource.labels")
    metadata = fields.optional_object(incident.get("metadata"), "incident.metadata")
    policy_labels = fields.optional_object(incident.get("policy_user_labels"), "incident.policy_user_labels")
    user_labels = fields.optional_object(metadata.get("user_labels"), "incident.metadata.user_labels")
    labels = fields.labels(resource_labels, user_labels, policy_labels)
    summary = fields.one_line(fields.text(incident.get("summary")))
    if not summary:
        parts = (fields.text(incident.get("policy_name")), fields.text(incident.get("condition_name")))
        summary = fields.one_line(": ".join(p for p in parts if p)) or "Cloud Monitoring incident"
    return [
        Incoming(
            source=SOURCE,
            fingerprint=fields.fingerprint(incident_id),
            status="resolved" if status == "resolved" else "firing",
            severity=_SEVERITY.get(fields.text(incident.get("severity")).lower(), Severity.WARNING),
            summary=summary,
            description=fields.description(_documentation(incident.get("documentation"))),
            # The display name is what people call it; the labels hold ids (instance_id "11223344").
            resource=fields.name(
                fields.text(incident.get("resource_display_name")) or fields.first_of(resource_labels, _RESOURCE_LABELS)
            ),
            provider=Cloud.GCP,
            environment=fields.name(fields.first_of(labels, ("env", "environment"))),
            labels=labels,
            starts_at=fields.unix(incident.get("started_at"), "incident.started_at"),
            ends_at=fields.unix(incident.get("ended_at"), "incident.ended_at"),
            links=fields.links(incident.get("url"), *_doc_links(incident.get("documentation"))),
        )
    ]


def _documentation(documentation: Any) -> str:
    """The policy's documentation: an object with `content` in schema 1.2, a plain string in the test message."""
    if isinstance(documentation, dict):
        return fields.text(documentation.get("content"))
    return fields.text(documentation)


def _doc_links(documentation: Any) -> list[Any]:
    found = documentation.get("links") if isinstance(documentation, dict) else None
    return [link.get("url") for link in found if isinstance(link, dict)] if isinstance(found, list) else []
