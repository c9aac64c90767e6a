"""Telling people the audit cannot be written: one line to the incident channels when an outage starts (again
each hour while it lasts) and one when writing works again - once across every process (a Redis key decides who
posts), so a storm of alerts during a full disk does not become a storm of warnings."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Sequence

import redis

from audit.record import AuditRecord
from audit.store import AuditStore
from core.broadcast import incident_refs
from core.models import Reply
from core.outbox import Outbox

log = logging.getLogger(__name__)

OUTAGE_KEY = "opsbot:audit:outage"
REPEAT_SECONDS = 3600


def outage_text(cause: str) -> str:
    return (
        f"opsbot cannot write its audit log ({cause}). Alerts and paging go on; "
        "changes to infrastructure are refused until it is fixed."
    )


BACK_TEXT = "opsbot writes its audit log again: changes are allowed."


class OutageNotice:
    def __init__(self, audit: AuditStore, channels: Sequence[str]) -> None:
        self._audit = audit
        self._channels = list(channels)  # always told (the configured incident channels)
        self._down = False  # this process saw a failure and has not told of the recovery yet

    def after(self, written: AuditRecord | None, channels: Sequence[str] = ()) -> None:
        """Call with what `AuditLog.note` returned; `channels` are told too (the alert's own)."""
        connection = self._audit.connection
        if connection is None or (written is not None and not self._down):
            return
        everyone = list(dict.fromkeys([*self._channels, *channels]))
        with contextlib.suppress(redis.RedisError):  # telling is best effort, like the record it is about
            if written is None:
                self._down = True
                cause = self._audit.outage.current or "unknown cause"
                if connection.set(OUTAGE_KEY, cause, nx=True, ex=REPEAT_SECONDS):
                    self._post(connection, everyone, outage_text(cause))
            else:
                self._down = False
                if connection.delete(OUTAGE_KEY):
                    self._post(connection, everyone, BACK_TEXT)

    @staticmethod
    def _post(connection: redis.Redis, channels: list[str], text: str) -> None:
        outbox = Outbox(connection)
        for ref in incident_refs(channels):  # "urgent-": ahead of ordinary replies, like alert cards
            outbox.publish(Reply(ref=ref, key=f"urgent-audit-{uuid.uuid4().hex[:10]}", text=text))
        log.warning("audit outage told to %d incident conversation(s)", len(channels))
