"""What a page says by SMS, and what a reply to it means. A page fits one GSM-7 segment (160 septets): other
characters are transliterated or become "?" (core.untrusted.for_sms), because one of them would switch the
whole message to UCS-2 and cut a segment to 70 characters."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from alerts.desk import PhoneAction
from alerts.model import SEVERITY_SHORT, Alert, AlertState
from core.untrusted import for_sms, gsm7, septets

SEGMENT = 160  # septets in one GSM-7 SMS
_ELLIPSIS = "..."  # GSM-7 has no "…"

_SHORT_REPLY = re.compile(r"^\s*(\d{1,9})\s*([AaRrEe])\s*$")
_WORD_REPLY = re.compile(r"^\s*(ack|resolve|escalate)\s+(\d{1,9})\s*$", re.IGNORECASE)
_LETTER: dict[str, PhoneAction] = {"a": "ack", "r": "resolve", "e": "escalate"}
_WORD: dict[str, PhoneAction] = {"ack": "ack", "resolve": "resolve", "escalate": "escalate"}

HELP = "Reply the alert number and A to acknowledge or R to resolve, e.g. 42A."


def page_text(alert: Alert) -> str:
    """ "ALERT 42 CRIT web-prod 5xx>5%. Reply 42A ack, 42R resolve": one SMS, resource and summary shortened
    with "..." to fit."""
    n = alert.number
    head = f"ALERT {n} {SEVERITY_SHORT[alert.severity]} "
    tail = f". Reply {n}A ack, {n}R resolve"
    resource = for_sms(alert.resource) if alert.resource and alert.resource not in alert.summary else ""
    summary = for_sms(alert.summary).rstrip(".") or "alert"
    room = SEGMENT - septets(head) - septets(tail)
    if resource and septets(resource) + 1 + septets(summary) > room:
        resource = _shorten(resource, min(32, room // 3))
    if resource:
        room -= septets(resource) + 1
    summary = _shorten(summary, room)
    if summary.endswith(_ELLIPSIS):
        tail = tail.removeprefix(".")  # "every... Reply", not "every.... Reply"
    return head + (f"{resource} " if resource else "") + summary + tail


def ack_text(alert: Alert, tz: tzinfo | None = None) -> str:
    """ "42 acked by alice via SMS 03:12" (or resolved), for telling the others who were paged. `tz`: the
    clock shown (default: this host's local time)."""
    if alert.state is AlertState.RESOLVED:
        who, via, at, what = alert.resolved_by, alert.resolved_via, alert.resolved_at, "resolved"
    elif alert.state is AlertState.ACKED:
        who, via, at, what = alert.acked_by, alert.acked_via, alert.acked_at, "acked"
    else:
        return for_sms(f"{alert.number} is still open")
    parts = [f"{alert.number} {what}"]
    if who:
        parts.append(f"by {who}")
    if via:
        parts.append(f"via {via}")
    if at is not None:
        parts.append(datetime.fromtimestamp(at, tz).strftime("%H:%M"))
    return for_sms(" ".join(parts))


def parse_reply(body: str) -> tuple[int, PhoneAction] | None:
    """ "42A", "42 a", "42r", "42E" or "ack 42", "resolve 42", "escalate 42" -> (42, action); else None."""
    short = _SHORT_REPLY.match(body)
    if short:
        return int(short[1]), _LETTER[short[2].lower()]
    word = _WORD_REPLY.match(body)
    if word:
        return int(word[2]), _WORD[word[1].lower()]
    return None


def _shorten(text: str, width: int) -> str:
    """`text` cut to `width` septets, ending in "..." when cut."""
    if septets(text) <= width:
        return text
    cut = text[:width]
    while cut and septets(cut) > width - len(_ELLIPSIS):
        cut = cut[:-1]
    return cut.rstrip(" .") + _ELLIPSIS


__all__ = ["HELP", "SEGMENT", "ack_text", "for_sms", "gsm7", "page_text", "parse_reply", "septets"]
