"""The seam between escalation and the phone network: send an SMS, place a call. Workers never import an SDK;
the Twilio implementation lives in `bot.twilio` and is handed in by the runtime."""

from __future__ import annotations

from typing import Protocol

from core.errors import OpsbotError
from core.models import Frozen


class PageFailed(OpsbotError):
    """The provider refused this page for good (invalid number, unverified caller id): retrying cannot help.
    Any other exception from a Pager is transient."""


class PageRef(Frozen):
    """Which page this is, so that the provider's status callbacks and a call's keypresses find their alert."""

    alert: int  # the alert's number
    token: str  # one page of that alert (a step of its escalation), unique
    person: str  # opsbot user paged


class Pager(Protocol):
    def sms(self, to: str, text: str, page: PageRef) -> str:
        """Send `text` to the phone number `to` (E.164); returns the provider's id of the message."""
        ...

    def call(self, to: str, page: PageRef) -> str:
        """Call `to`; the call asks the callee what to do about the alert. Returns the provider's id of the call."""
        ...
