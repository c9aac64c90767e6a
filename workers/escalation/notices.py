"""Chat messages about an alert: the card posted to its channels and as direct messages, and, whenever its state
changes, an edit of every one of them, so every copy on every channel says "acked by alice via SMS at 03:12".
Everything goes through the outbox, like any other reply."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from alerts.model import Alert
from alerts.store import AlertBook
from alerts.text import buttons, card
from core.broadcast import incident_refs
from core.models import ConversationRef, Reply
from core.outbox import Outbox

KEY_PREFIX = "alert-"


def reply_key(token: str) -> str:
    """A fresh key for a message of an alert's escalation step `token` ("42.3"; "42.e" for edits): a delivery
    result finds the alert and the step from it."""
    return f"{KEY_PREFIX}{token}-{uuid.uuid4().hex[:10]}"


def step_key(alert: Alert, token: str, ref: ConversationRef) -> str:
    """The key of step `token`'s message to `ref`: the same every time the step runs. A step run again after a
    crash half-way (its card published, the process killed before the step was marked done) publishes the same
    keys, and the Deliverer does not post a key that already went out: one card, not two. The alert's first
    sighting is part of it, so a number given out again (Redis lost its data) never matches an old key."""
    where = f"{alert.first_seen!r}:{ref.channel}:{ref.conversation_id}:{ref.thread_id or ''}"
    return f"{KEY_PREFIX}{token}-{hashlib.sha256(where.encode()).hexdigest()[:10]}"


def token_of_key(key: str) -> tuple[int, str] | None:
    """(alert number, step token) of a reply key made by reply_key, else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    token = key[len(KEY_PREFIX) :].partition("-")[0]
    number = token.partition(".")[0]
    return (int(number), token) if number.isdigit() else None


class Notices:
    def __init__(self, book: AlertBook, outbox: Outbox, tz: ZoneInfo) -> None:
        self._book = book
        self._outbox = outbox
        self.tz = tz

    def post(self, alert: Alert, conversations: Sequence[str], note: str = "", key_token: str = "") -> list[Reply]:
        """Post the alert's card to conversations given as "slack:C0INCIDENT"; remembered for later edits."""
        return self.post_to(alert, incident_refs(list(conversations)), note, key_token)

    def post_to(
        self, alert: Alert, refs: Sequence[ConversationRef], note: str = "", key_token: str = ""
    ) -> list[Reply]:
        text, keys = card(alert, self.tz, note), buttons(alert)

        def key(ref: ConversationRef) -> str:
            return step_key(alert, key_token, ref) if key_token else reply_key(f"{alert.number}.n")

        replies = [Reply(ref=ref, key=key(ref), text=text, buttons=keys) for ref in refs]
        self._book.add_posts(alert.number, [(r.ref, r.key) for r in replies])  # first: an early ack finds them
        for reply in replies:
            self._outbox.publish(reply)
        return replies

    def remind(self, alert: Alert, note: str, key_token: str) -> list[Reply]:
        """A reminder round: every message of the alert is edited (its state line counts the repeat) and `note`
        goes in the thread of its card in each of its channels, not as a new card for everyone to scroll past."""
        self.update(alert)
        return self.tell(alert, note, key_token)

    def tell(
        self, alert: Alert, note: str, key_token: str = "", refs: Sequence[ConversationRef] | None = None
    ) -> list[Reply]:
        """`note` in the thread of the alert's card in each of its channels (or `refs`: a person's direct messages);
        where no card of it was posted yet (a first page, or its post failed), the card itself, with the note."""
        cards: dict[ConversationRef, str] = {}  # where -> the key of the alert's first card there
        for ref, key in self._book.posts(alert.number):
            cards.setdefault(ref, key)
        replies: list[Reply] = []
        missing: list[ConversationRef] = []
        for ref in incident_refs(list(alert.channels)) if refs is None else refs:
            card_key = cards.get(ref)
            if card_key is None:
                missing.append(ref)
                continue
            key = step_key(alert, key_token, ref) if key_token else reply_key(f"{alert.number}.n")
            replies.append(Reply(ref=ref, key=key, text=note, reply_to=card_key))
        for reply in replies:
            self._outbox.publish(reply)
        return replies + (self.post_to(alert, missing, note, key_token) if missing else [])

    def update(self, alert: Alert, note: str = "") -> int:
        """Edit every message posted about the alert to show its state now; returns how many."""
        text, keys = card(alert, self.tz, note), buttons(alert)
        posts = self._book.posts(alert.number)
        for ref, key in posts:
            self._outbox.publish(
                Reply(ref=ref, key=reply_key(f"{alert.number}.e"), text=text, buttons=keys, edit_of=key)
            )
        return len(posts)
