"""A sample critical alert ("web-prod: 5xx above 5%") sent through the real intake, for `/alert` in the shell and
`opsbot alert test`: the same generic-source parser and the same `Desk.ingest` that `POST /alerts/generic`
uses, so it is stored, routed, posted as a card with its buttons and escalated exactly like a monitoring
system's alert. Its description says it is a test, so nobody who sees the card in a real channel panics."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from alerts.desk import Desk, Paging
from alerts.model import Alert
from alerts.sources import PARSERS
from alerts.sources.generic import SOURCE
from alerts.text import headline
from core.errors import OpsbotError

SAMPLE = {
    "status": "firing",
    "severity": "critical",
    "resource": "web-prod",
    "environment": "prod",
    "provider": "aws",
    "summary": "5xx above 5%",
    "labels": {"opsbot_test": "true"},
}


class SampleLost(OpsbotError):
    """The sample was ingested but is not among the open alerts (resolved at once by someone, or a flood of newer
    alerts in between)."""


def send_sample(desk: Desk, origin: str) -> Alert:
    """Ingest one new sample alert (its own fingerprint, so each is a new alert, never a repeat); returns it as
    stored. `origin` says where it came from on the card ("opsbot alert test")."""
    fingerprint = f"opsbot-sample-{uuid.uuid4().hex[:12]}"
    description = f"Test alert sent with {origin}: nothing is wrong with web-prod."
    body = json.dumps({**SAMPLE, "fingerprint": fingerprint, "description": description}).encode()
    incoming = PARSERS[SOURCE](body)
    desk.ingest(incoming)
    found = desk.find_open(incoming[0].key)
    if found is None:
        raise SampleLost("the test alert was stored but is no longer open")
    return found


@dataclass(frozen=True)
class Outcome:
    text: str  # what to tell the person who sent it
    reached: bool  # posted to at least one conversation


def describe(alert: Alert, desk: Desk, also: str = "") -> Outcome:
    """Where the sample went and what happens next, in two lines. `also`: another place it was shown."""
    n = alert.number
    if alert.channels:
        where = f"posted to {', '.join(alert.channels)}"
    else:
        where = f"posted nowhere: route '{alert.route}' names no channels and OPSBOT_INCIDENT_CHANNELS is empty"
    where += f", and {also}" if also else ""
    lines = [f"Test alert {n} ({headline(alert).removeprefix(f'ALERT {n} ')}) {where}."]
    paging = desk.paging(n)
    if paging == "nobody":
        lines.append(f"It pages nobody: route '{alert.route}' has no escalation.")
        return Outcome("\n".join(lines), bool(alert.channels))
    lines.append(f"It pages by escalation '{alert.escalation}' until someone acknowledges it (ack {n}); "
                 f"{_PAGING[paging].format(n=n)}.")  # fmt: skip
    return Outcome("\n".join(lines), bool(alert.channels))


_PAGING: dict[Paging, str] = {
    "chat only": "it pages in chat only",
    "phones": "SMS and calls go out for real",
    "phones shown": "SMS and calls are shown here, not sent (no Twilio); escalate {n} runs the next step now",
    "phones skipped": "its SMS and call steps are skipped: Twilio is not configured (OPSBOT_TWILIO_*)",
}
