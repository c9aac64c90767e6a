"""Help keeps its promises: every example that `help` and `help <topic>` show is typed, in the order shown, into
a whole opsbot on the demo world, and must be read as its topic's command and answered as such - never an
error, "nothing found", "I can't find", or another topic's answer. The examples are collected from the help
texts themselves, so an example is tested the day it is written."""

from __future__ import annotations

import re

import pytest

from alerts.model import Incoming, Severity
from bot.runtime import Runtime
from core.models import IntentName, Reply
from intents.help import TOPICS, examples, help_text
from intents.parser import parse
from tests.conversation.conftest import Say, outbox_after

# Answers that say the example did not do what it promised.
BROKEN = re.compile(
    r"nothing (found|matches)|i can't|i didn't get|no help on|did you mean|no alert \d|no request has the code"
    r"|already|nothing to (confirm|cancel|show)|that button|my timings",
    re.IGNORECASE,
)
_CODE = re.compile(r"\bCode ([A-Z0-9]+)\b")


def shown_examples(topic: str | None) -> list[str]:
    """The examples as the help text shows them: the index's "Try:" line, or a topic page's last line."""
    text = help_text(topic)
    line = text.splitlines()[0].removeprefix("Try: ") if topic is None else text.splitlines()[-1]
    return [e.strip() for e in line.split("·")]


def test_the_examples_shown_are_the_examples_kept() -> None:
    for topic in (None, *TOPICS):
        assert shown_examples(topic) == [e for t, e, _ in examples() if t == topic], topic


def _fire_alerts(runtime: Runtime, count: int) -> None:
    """Alerts 1..count, so "ack 42" has an alert 42."""
    for n in range(count):
        alert = Incoming(source="generic", fingerprint=f"help-{n}", severity=Severity.WARNING, summary="5xx > 5%")
        runtime.alerting.escalator.ingest([alert])


def _pending_code(say: Say, size: int) -> str:
    """A change waiting for a yes; its code."""
    [asked] = say(f"scale web-staging to {size}")
    found = _CODE.search(asked.text)
    assert found, asked.text
    return found.group(1)


def _promised(example: str, replies: list[Reply]) -> str | None:
    """Why the answer to `example` breaks its promise, or None when it keeps it."""
    if not replies:
        return "no answer"
    first = replies[0]
    if first.kind in ("error", "refusal") or BROKEN.search(first.text):
        return f"{first.kind}: {first.text[:200]}"
    intent = parse(example)
    head = first.text.splitlines()[0].lower()
    slots = intent.slots
    if intent.name is IntentName.STATUS:
        for value in (slots.provider, slots.region, slots.environment, slots.target):
            if value is not None and str(value).lower() not in head:
                return f"status does not name its scope {value!r} first: {head}"
    if intent.name is IntentName.SEARCH:
        for line in first.text.splitlines()[1:]:
            for value in (slots.provider, slots.region, slots.kind):
                if value is not None and str(value).lower() not in line.lower():
                    return f"found outside {value!r}: {line}"
    if intent.name is IntentName.SHOW and not head.startswith(f"{slots.target}:"):
        return f"shows something else: {head}"
    return None


def _confirm_own(runtime: Runtime, say: Say, replies: list[Reply]) -> None:
    """A change the user may confirm alone is confirmed and done, so the next example finds the world changed
    ("stop web-staging" then "start web-staging")."""
    for b in (b for r in replies for b in r.buttons):
        if b.label == "Confirm":
            say(press=b.id)
            outbox_after(runtime)


@pytest.mark.parametrize("topic", [None, *TOPICS], ids=["index", *TOPICS])
def test_every_help_example_does_what_it_promises(topic: str | None, runtime: Runtime, say: Say) -> None:
    _fire_alerts(runtime, 42)
    failures: list[str] = []
    for example_number, (_, example, intents) in enumerate(e for e in examples() if e[0] == topic):
        intent = parse(example)
        if intent.name not in intents:
            failures.append(f"{example!r} is read as {intent.name.value}, not {sorted(i.value for i in intents)}")
            continue
        text = example
        if intent.name in (IntentName.CONFIRM, IntentName.CANCEL):
            code = _pending_code(say, size=4 + len(failures) + example_number)
            if intent.slots.code is not None:
                assert re.fullmatch(r"([A-Z][2-9]){3}", intent.slots.code), f"{example!r}: not a code opsbot gives"
                text = example.replace(intent.slots.code, code)  # the same command, with the live code
        before = len(outbox_after(runtime))
        replies = say(text) or outbox_after(runtime)[before:]  # a confirmation answers by editing the question
        broken = _promised(text, replies)
        if broken:
            failures.append(f"{example!r}: {broken}")
        _confirm_own(runtime, say, replies)
    assert not failures, "\n".join(failures)
