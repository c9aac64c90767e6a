"""What the phone side (Twilio webhooks) may ask of the alerts: who a number belongs to, what a call should
say, and acting on an alert. Implemented by the escalation engine; the webhooks only translate."""

from __future__ import annotations

from typing import Literal, Protocol

PhoneAction = Literal["ack", "resolve", "escalate"]
PhoneVia = Literal["SMS", "phone"]


class Desk(Protocol):
    def person_for_phone(self, phone: str) -> str | None:
        """The opsbot user whose registered number this is (E.164), or None."""
        ...

    def was_paged(self, number: int, person: str) -> bool:
        """True when `person` was paged for alert `number` (only they may answer it by SMS or phone)."""
        ...

    def spoken(self, number: int) -> str | None:
        """What a call about alert `number` says before asking for a key, or None when there is no such alert."""
        ...

    def act(self, number: int, action: PhoneAction, person: str, via: PhoneVia) -> str:
        """Acknowledge, resolve or escalate alert `number`; returns one short line saying what happened
        ("Alert 42 acknowledged.", "Alert 42 was already acknowledged by bob.", "No alert 42.")."""
        ...

    def page_result(self, number: int, token: str, status: str, reached: bool | None) -> None:
        """A status callback for a page: `status` is the provider's word ("delivered", "busy", "no-answer" ...),
        `reached` False when the page did not reach its person (escalation moves on at once), True when it did,
        None when not final yet. Everything is audited."""
        ...
