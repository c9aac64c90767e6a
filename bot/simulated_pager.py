"""The embedded demo's phone: with no Twilio configured, an SMS or a call is not sent but shown in the console
conversations where the alert's card is ("would SMS bob at +15550100002: ..."), so the demo shows whom the
escalation would reach, when, and with which words. The engine treats it as sent, so the next step waits its
turn as it would after a real page; the audit says the page was simulated."""

from __future__ import annotations

import uuid

from alerts.store import AlertBook
from core.models import Reply
from core.outbox import Outbox
from workers.paging import PageRef

CHANNEL = "console"


class SimulatedPager:
    def __init__(self, book: AlertBook, outbox: Outbox) -> None:
        self._book = book
        self._outbox = outbox

    def sms(self, to: str, text: str, page: PageRef) -> str:
        return self._show(page, f"would SMS {page.person} at {to} (no Twilio configured): {text}")

    def call(self, to: str, page: PageRef) -> str:
        return self._show(
            page, f"would call {page.person} at {to} (no Twilio configured): pressing 1 would acknowledge alert "
            f"{page.alert}; here type ack {page.alert}",
        )  # fmt: skip

    def _show(self, page: PageRef, text: str) -> str:
        sid = f"simulated-{uuid.uuid4().hex[:12]}"
        refs = {ref for ref, _key in self._book.posts(page.alert) if ref.channel == CHANNEL}
        for ref in sorted(refs, key=lambda r: r.conversation_id):
            self._outbox.publish(Reply(ref=ref, key=sid, text=text, kind="info"))
        return sid
