"""The normalised alert. A source's payload becomes `Incoming`s; the store turns each into (or merges it
with) an `Alert`, which carries the short number people type ("ack 42") and the alert's state."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator

from core.models import Cloud, Frozen
from core.untrusted import for_chat


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


SEVERITY_SHORT = {Severity.CRITICAL: "CRIT", Severity.WARNING: "WARN", Severity.INFO: "INFO"}


class AlertState(StrEnum):
    FIRING = "firing"
    ACKED = "acked"
    RESOLVED = "resolved"


class Incoming(Frozen):
    """One alert as a source reported it, normalised. `fingerprint` is stable across the source's repeats of
    the same alert (the source's own id where it has one, else a hash of its identifying labels)."""

    source: str  # "alertmanager", "sns", "azure", "gcp", "generic"
    fingerprint: str = Field(min_length=1, max_length=200)
    status: Literal["firing", "resolved"] = "firing"
    severity: Severity = Severity.CRITICAL
    summary: str = Field(min_length=1, max_length=500)  # one line, the key fact
    description: str = Field(default="", max_length=4000)
    resource: str | None = None  # "web-prod", an instance id, a load balancer ...
    provider: Cloud | None = None
    environment: str | None = None  # "prod", "staging" ... when the source says
    labels: dict[str, str] = Field(default_factory=dict)
    starts_at: float | None = None  # unix seconds
    ends_at: float | None = None
    links: tuple[str, ...] = ()  # generator / dashboard / runbook URLs

    # Every text a person will see is made safe for chat once, here, where it enters: the raw text with its
    # control, bidi or zero-width characters is kept nowhere (not in the store, not in the audit). The
    # fingerprint is not shown to anyone and stays as the source sent it, so repeats still find their alert.
    @field_validator("summary", "resource", "environment", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        return " ".join(for_chat(value).split()) if isinstance(value, str) else value

    @field_validator("description", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return for_chat(value).strip() if isinstance(value, str) else value

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        clean = {_line(k): _line(v) for k, v in value.items()}
        return {k: v for k, v in clean.items() if k and v}

    @field_validator("links", mode="after")
    @classmethod
    def _links(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """A link that would change without its invisible characters points somewhere else: left out."""
        return tuple(url for url in value if url == for_chat(url) and not any(c.isspace() for c in url))

    @property
    def key(self) -> str:
        """Unique across sources: two sources may use the same fingerprint for different things."""
        return f"{self.source}:{self.fingerprint}"


def _line(value: Any) -> Any:
    return " ".join(for_chat(value).split()) if isinstance(value, str) else value


class Alert(Frozen):
    """A stored alert. Repeats of a firing alert update `last_seen`/`repeats`, never the number."""

    number: int = Field(ge=1)
    source: str
    fingerprint: str
    severity: Severity
    summary: str
    description: str = ""
    resource: str | None = None
    provider: Cloud | None = None
    environment: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    starts_at: float | None = None
    ends_at: float | None = None
    links: tuple[str, ...] = ()
    state: AlertState = AlertState.FIRING
    first_seen: float  # unix seconds: when opsbot stored it
    last_seen: float
    repeats: int = 0  # repeats received while open
    acked_by: str | None = None
    acked_via: str | None = None  # "Slack", "Telegram", "SMS", "phone", "console"
    acked_at: float | None = None
    resolved_by: str | None = None  # a person, or the source ("alertmanager")
    resolved_via: str | None = None
    resolved_at: float | None = None
    silenced_until: float | None = None
    silenced_by: str | None = None
    route: str = ""  # name of the route that matched
    escalation: str | None = None  # escalation policy name; None: notify only, never page
    channels: tuple[str, ...] = ()  # "slack:C0INCIDENT" ...
    paging: bool = True  # False when routed quiet (silenced, maintenance, info) at arrival
    reminders: int = 0  # reminder rounds in its channels so far: the card says "Still not acknowledged - repeat 2"

    @property
    def key(self) -> str:
        return f"{self.source}:{self.fingerprint}"

    @property
    def open(self) -> bool:
        return self.state is not AlertState.RESOLVED
