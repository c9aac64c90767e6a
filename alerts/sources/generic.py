"""opsbot's own alert format, for senders without a built-in source (a cron job, a script, a custom monitor).
Documented in docs/alert-sources.md; checked strictly (unknown fields are refused, so a typo is not silently
dropped) and the first problem is reported with its field path: "alerts[2].status: ..."."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from alerts.model import Incoming, Severity
from alerts.sources import fields
from alerts.sources.fields import AlertList
from alerts.sources.payload import Payload, load_json, read
from core.models import Cloud
from core.untrusted import for_chat

SOURCE = "generic"


class GenericAlert(Payload):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    fingerprint: str | None = Field(default=None, min_length=1, max_length=fields.FINGERPRINT_CHARS)
    status: Literal["firing", "resolved"]
    severity: Severity
    summary: str = Field(min_length=1)
    description: str | None = None
    resource: str | None = None
    provider: Cloud | None = None
    environment: str | None = None
    labels: dict[str, str] | None = None
    starts_at: float | None = None
    links: list[str] | None = None

    @field_validator("starts_at", mode="before")
    @classmethod
    def _time(cls, value: Any) -> float | None:
        """RFC 3339 text or unix seconds."""
        if isinstance(value, str):
            try:
                return fields.rfc3339(value)
            except ValueError:
                raise ValueError("not an RFC 3339 time or unix seconds") from None
        if isinstance(value, bool) or not isinstance(value, int | float | None):
            raise ValueError("not an RFC 3339 time or unix seconds")  # noqa: TRY004 - pydantic wants a ValueError
        return fields.unix(value)

    @field_validator("links")
    @classmethod
    def _links(cls, value: list[str] | None) -> list[str] | None:
        for url in value or []:
            # Judged without invisible characters: a link holding one is left out later, the alert is not refused.
            if not fields.link(for_chat(url)):
                raise ValueError("links must be http(s) URLs")
        return value


class GenericBatch(Payload):
    model_config = ConfigDict(extra="forbid")

    alerts: AlertList[GenericAlert]


def parse(body: bytes) -> list[Incoming]:
    data = load_json(body)
    if isinstance(data, dict) and "alerts" in data:
        alerts = read(GenericBatch, data).alerts
    else:
        alerts = [read(GenericAlert, data)]
    return [_incoming(alert) for alert in alerts]


def _incoming(alert: GenericAlert) -> Incoming:
    labels = fields.labels(alert.labels or {})
    summary = fields.one_line(alert.summary) or "alert"
    resource = fields.name(alert.resource)
    return Incoming(
        source=SOURCE,
        fingerprint=alert.fingerprint or fields.digest(summary, resource, sorted((alert.labels or {}).items())),
        status=alert.status,
        severity=alert.severity,
        summary=summary,
        description=fields.description(alert.description or ""),
        resource=resource,
        provider=alert.provider,
        environment=fields.name(alert.environment) or fields.name(fields.first_of(labels, ("env", "environment"))),
        labels=labels,
        starts_at=alert.starts_at,
        links=fields.links(*(alert.links or [])),
    )
