"""A burst of alert cards into one conversation becomes one message ("9 new alerts", the most severe first, and a
button that lists them) instead of a queue that takes minutes at the platform's pace: when more than a few new
cards wait in a lane whose bucket is empty, they all go out as one digest.

A digested card's key is remembered as pointing at the digest. Its later edits (acked, resolved) are dropped:
the digest names the alerts that were new at that moment, and its List button shows each one's state now -
posting each edit as a message of its own would rebuild the very queue the digest saved."""

from __future__ import annotations

import re
import uuid
from collections import deque

from prometheus_client import Counter

from alerts.model import SEVERITY_SHORT
from bot.pacing import Entry, Lane
from core.models import Button, Reply

DIGEST_AFTER = 3  # more new cards than this waiting, and no token now: one digest instead
SHOWN = 5  # alert lines in a digest; the button lists them all
LIST_BUTTON = Button(id="alerts:list", label="List alerts", style="primary")
CARD_PREFIX = "alert-"

DIGESTED = Counter(
    "opsbot_delivery_digested", "Alert cards sent inside a digest, and their edits left out.", ["channel", "what"]
)

_HEADLINE = re.compile(r"^ALERT (\d+) (\S+) (.*)$")
_RANK = {short: rank for rank, short in enumerate(SEVERITY_SHORT.values())}  # CRIT first


def is_card(entry: Entry) -> bool:
    """A new alert card (not an edit of one, nor a note in a card's thread)."""
    reply = entry.reply
    return entry.urgent and reply.edit_of is None and reply.reply_to is None and reply.key.startswith(CARD_PREFIX)


def take_cards(lane: Lane) -> list[Entry]:
    """The new cards waiting in `lane`, taken out of it, when there are more than DIGEST_AFTER and the lane's
    bucket has no token left for the next one; else nothing (they go one by one)."""
    if lane.bucket is None or lane.bucket.ready():
        return []
    cards = [entry for entry in lane.urgent if is_card(entry)]
    if cards:  # a lane is a conversation; a digest goes to one place in it (the first card's thread, if any)
        cards = [entry for entry in cards if entry.reply.ref == cards[0].reply.ref]
    if len(cards) <= DIGEST_AFTER:
        return []
    taken = {id(entry) for entry in cards}
    lane.urgent = deque(entry for entry in lane.urgent if id(entry) not in taken)
    return cards


def digest_of(cards: list[Entry]) -> Reply:
    """One message naming the alerts of `cards` (once each, the most severe first) with a button listing them."""
    lines: dict[str, tuple[int, int, str]] = {}  # alert number (or key) -> (severity rank, order, line)
    for order, card in enumerate(cards):
        number, rank, line = _line(card.reply)
        lines.setdefault(number or card.reply.key, (rank, order, line))
    ranked = [line for _rank, _order, line in sorted(lines.values())]
    count = len(ranked)
    text = [f"{count} new alert{'s' if count != 1 else ''}:", *ranked[:SHOWN]]
    if count > SHOWN:
        text.append(f"and {count - SHOWN} more")
    first = cards[0].reply
    return Reply(ref=first.ref, key=f"digest-{uuid.uuid4().hex[:12]}", text="\n".join(text), buttons=(LIST_BUTTON,))


def _line(card: Reply) -> tuple[str, int, str]:
    """(alert number, severity rank, "#42 CRIT web-prod: 5xx above 5%") from a card's headline line."""
    for raw in card.text.splitlines():
        found = _HEADLINE.match(raw.strip())
        if found:
            number, severity, what = found.groups()
            return number, _RANK.get(severity, len(_RANK)), f"#{number} {severity} {what}"[:80]
    first = (card.text.splitlines() or [""])[0]
    return "", len(_RANK), first[:80]
