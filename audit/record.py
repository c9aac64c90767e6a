"""One audit record: what happened, who, where, and the hash that chains it to the record before."""

from __future__ import annotations

import hashlib
import json
import math
import re
from enum import StrEnum
from typing import NotRequired, TypedDict, Unpack

from pydantic import Field

from core.models import Frozen
from core.redaction import redact_text

GENESIS = "0" * 64

JsonScalar = str | int | float | bool | None


class AuditEvent(StrEnum):
    RECEIVED = "received"
    PARSED = "parsed"
    DENIED = "denied"
    CONFIRMATION_ASKED = "confirmation_asked"
    CONFIRMED = "confirmed"
    APPROVAL_ASKED = "approval_asked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUSED = "refused"  # a confirmation press that was not accepted, or a request opsbot could not take
    ANSWERED = "answered"  # the end of a handled message that changed nothing: what it was told
    ENQUEUED = "enqueued"
    STARTED = "started"
    RETRIED = "retried"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"
    ALERT_RECEIVED = "alert_received"
    ALERT_NOTIFIED = "alert_notified"  # a chat post, direct message, SMS or call, and whether it went out
    ALERT_DELIVERY = "alert_delivery"  # what the platform later said of it (delivered, busy, no answer ...)
    ALERT_ACKED = "alert_acked"
    ALERT_RESOLVED = "alert_resolved"
    ALERT_SILENCED = "alert_silenced"
    ALERT_ESCALATED = "alert_escalated"
    ONCALL_OVERRIDE = "oncall_override"
    REPAIRED = "repaired"  # a torn last line (a crash or a full disk) was moved aside to the quarantine file


class AuditRecord(Frozen):
    seq: int
    at: float  # unix seconds
    event: AuditEvent
    actor: str  # opsbot user, or "system"
    where: str  # "console:ops-room", "slack:C123/1712.55"
    what: str  # short description: the text, intent or action summary
    params: dict[str, JsonScalar] = Field(default_factory=dict)
    outcome: str = ""
    prev_hash: str
    hash: str = ""

    def compute_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"hash"})
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


class Entry(TypedDict):
    """What a record says besides its event, as `append` and `note` take it: who, where (a conversation, a
    job), what happened, the parameters of a change and its outcome."""

    actor: str
    where: str
    what: str
    params: NotRequired[dict[str, JsonScalar] | None]
    outcome: NotRequired[str]


def build(seq: int, at: float, prev_hash: str, event: AuditEvent, **entry: Unpack[Entry]) -> AuditRecord:
    """The record that follows `prev_hash`, as every store writes it: secrets redacted, long text cut, hashed."""
    record = AuditRecord(
        seq=seq,
        at=at,
        event=event,
        actor=_plain(entry["actor"]),
        where=_plain(redact_text(entry["where"])),
        what=_plain(redact_text(entry["what"]))[:500],
        params=redact(entry.get("params") or {}),
        outcome=_plain(redact_text(entry.get("outcome", "")))[:500],
        prev_hash=prev_hash,
    )
    return record.model_copy(update={"hash": record.compute_hash()})


def _plain(text: str) -> str:
    """A NUL character (which PostgreSQL's text cannot hold) as U+FFFD, so both stores keep the same chain."""
    return text.replace("\x00", "\ufffd")


def parse_line(line: bytes) -> AuditRecord | None:
    """The record on one line (without its newline), or None when the line is not a record."""
    try:
        return AuditRecord.model_validate_json(line)
    except ValueError:
        return None


_SECRET_KEY = re.compile(r"(token|secret|password|passwd|auth|credential|api_?key|private)", re.IGNORECASE)


def redact(params: dict[str, JsonScalar]) -> dict[str, JsonScalar]:
    clean: dict[str, JsonScalar] = {}
    for key, value in params.items():
        if _SECRET_KEY.search(key) and key != "idempotency_key":
            clean[key] = "[redacted]"
        elif isinstance(value, str):
            clean[key] = redact_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            clean[key] = str(value)  # JSON has no NaN/inf: stored as null they would no longer match the hash
        else:
            clean[key] = value
    return clean
