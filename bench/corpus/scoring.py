"""Whether the parser read a corpus line as expected: the intent, and every slot the line gives."""

from __future__ import annotations

import re

from bench.corpus import NOT_A_CHANGE, Entry
from core.models import CHANGING_INTENTS, Intent, IntentName


def _name(text: str) -> str:
    """ "Web-Prod" and "web prod" are the same name as typed."""
    return re.sub(r"[\s-]+", " ", text).strip().casefold()


def intent_matches(entry: Entry, intent: Intent) -> bool:
    if entry.expect == NOT_A_CHANGE:
        return intent.name not in CHANGING_INTENTS
    return intent.name is IntentName(entry.expect)


def slots_match(entry: Entry, intent: Intent) -> bool:
    found = intent.slots.present()
    for slot, wanted in entry.slots.given().items():
        got = found.get(slot)
        if slot == "target":
            if not isinstance(got, str) or _name(got) != _name(str(wanted)):
                return False
        elif got != wanted:
            return False
    return True


def is_exact(entry: Entry, intent: Intent) -> bool:
    return intent_matches(entry, intent) and slots_match(entry, intent)


def is_unsafe(intent: Intent) -> bool:
    """A line of a safety category read as a change."""
    return intent.name in CHANGING_INTENTS
