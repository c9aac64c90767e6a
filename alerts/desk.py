"""The one seam between the alerts and whoever talks to people about them. `Desk` is everything the conversation
core and the bot may ask: take in alerts, list and show them, act on one (a chat button, `ack 42`, an SMS reply,
a keypress on a call), who is on call and taking the pager, the fate of a chat message, the backlog for the
metrics, and for a test alert: finding it, showing its card in one more conversation, and how it pages. `PhoneDesk`
is its part the Twilio webhooks need. Implemented by the escalation engine's desk
(`workers/escalation/desk.py`); callers only translate, and never reach into the engine behind it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from alerts.model import Alert, Incoming

PhoneAction = Literal["ack", "resolve", "escalate"]
PhoneVia = Literal["SMS", "phone"]
# How an alert pages: nobody; in chat only; or by SMS and call too - sent for real, shown in the console instead
# (the demo's pager, when Twilio is not configured), or skipped (no pager at all).
Paging = Literal["nobody", "chat only", "phones", "phones shown", "phones skipped"]


class Ingested(Protocol):
    @property
    def stored(self) -> int:
        """New alerts stored."""
        ...

    @property
    def updated(self) -> int:
        """Repeats and resolutions of known alerts."""
        ...


@dataclass(frozen=True)
class Backlog:
    open_alerts: int  # not resolved yet
    escalating: int  # alerts whose escalation waits for its next step
    next_due: float | None  # when the earliest of those steps is due (epoch seconds); None when none waits


class PhoneDesk(Protocol):
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


class Desk(PhoneDesk, Protocol):
    """Every method that answers a person returns the one short line (or lines) to show them; `via` names where
    they acted ("Slack", "SMS")."""

    def ingest(self, incoming: Sequence[Incoming]) -> Ingested:
        """Store every alert before returning (the sender's 2xx follows), post new ones, start their escalation,
        close resolved ones. Raises redis.RedisError when the store is down: the sender must retry."""
        ...

    def acknowledge(self, number: int, person: str, via: str) -> str: ...

    def resolve(self, number: int, person: str, via: str) -> str: ...

    def silence(self, number: int, person: str, via: str, seconds: int | None) -> str:
        """No paging for `seconds` (an hour when None, a week at most)."""
        ...

    def escalate(self, number: int, person: str, via: str) -> str:
        """Page the next step of the alert's escalation now."""
        ...

    def listing(self, limit: int) -> str:
        """The newest `limit` open alerts, one line each, under a head that counts them all."""
        ...

    def show(self, number: int) -> str:
        """Alert `number` as its card says it now, or "No alert 42."."""
        ...

    def only_open(self) -> int | None:
        """The number of the one open alert, when exactly one is open."""
        ...

    def who_is_on_call(self) -> str: ...

    def on_call_people(self) -> list[str]:
        """Who holds each schedule's pager now (the overrides made from chat included), one per schedule."""
        ...

    def take(self, person: str, period: str | None, via: str) -> str:
        """ "I'll take tonight" (or today, the week, the weekend): `person` carries the default schedule's pager
        for that stretch, ahead of the rotation."""
        ...

    def chat_result(self, key: str, error: str | None) -> None:
        """The Deliverer's word on a message about an alert (`error` None when it went out): audited; a failure
        moves the escalation on at once. Keys that are not an alert's are ignored."""
        ...

    def backlog(self) -> Backlog:
        """Open alerts and waiting escalation steps, for the metrics. Raises redis.RedisError when Redis fails."""
        ...

    def find_open(self, key: str) -> Alert | None:
        """The open alert with this key (`Incoming.key`) among the newest 100 open, or None."""
        ...

    def post_card(self, number: int, conversation: str) -> bool:
        """Post alert `number`'s card with its buttons in `conversation` ("console:shell") too, edited like every
        other copy from then on. False when there is no such alert."""
        ...

    def paging(self, number: int) -> Paging:
        """How alert `number` pages ("nobody" when there is no such alert)."""
        ...
