"""The README and docs keep their promises too: every chat command they quote (in backticks or double quotes,
two words or more, starting with a command word) is typed into a whole opsbot on the demo world and must be
understood and answered as such - never "I didn't get that", an error, "nothing found" or "I can't find" (the
policy may refuse: the docs quote commands of several roles, and the test speaks as alice, an operator).
Collected from the files themselves, so an example is tested the day it is written."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.runtime import Runtime
from core.models import IntentName
from core.settings import Settings
from intents.parser import parse
from policies.loader import DEFAULT_POLICY
from tests.conversation.conftest import Say, SayFactory, outbox_after
from tests.conversation.test_help_examples import BROKEN, _fire_alerts, _pending_code, _promised

CHECKOUT = Path(__file__).resolve().parents[2]
FILES = [CHECKOUT / "README.md", *sorted((CHECKOUT / "docs").glob("*.md"))]
COMMAND_WORDS = {
    "status", "find", "show", "list", "scale", "restart", "stop", "start", "cost", "alerts", "alert", "ack",
    "resolve", "silence", "escalate", "who", "fail", "failover", "emergency", "shut", "shutdown", "help", "i'll",
    "details", "what's", "how", "is", "confirm", "yes", "cancel", "forecast", "add", "remove", "more",
    "cpu", "memory", "p99", "errors", "network", "compare", "top", "watch", "busiest", "slowest", "why", "export",
    "deploy", "deploys", "rollback", "roll", "history", "pause", "resume", "dr", "declare", "inc", "abort",
}  # fmt: skip
# Quoted phrases that start like a command but are not one a user types in chat, and why.
NOT_CHAT = {
    "scale down": "the name of an effect in the policy docs",
    "Confirm the database replica is promoted": "a runbook's human step, as the DR docs name it",
}
ALERT_ACTS = {IntentName.ACK, IntentName.RESOLVE, IntentName.ESCALATE, IntentName.SILENCE}


def quoted_commands() -> list[tuple[str, str]]:
    """(file name, example) for every quoted chat command, in the order the files show them, each once."""
    found: dict[str, str] = {}
    for path in FILES:
        for match in re.finditer(r'`([^`\n]+)`|"([^"\n]+)"', path.read_text(encoding="utf-8")):
            text = (match.group(1) or match.group(2)).strip()
            words = text.split()
            said_by_opsbot = ":" in text or text.endswith(".") or ">" in text  # a reply or an SMS quoted in prose
            if len(words) >= 2 and words[0].lower() in COMMAND_WORDS and not said_by_opsbot and text not in NOT_CHAT:
                found.setdefault(text, path.name)
    return [(name, text) for text, name in found.items()]


def test_the_docs_quote_commands() -> None:
    examples = dict((text, name) for name, text in quoted_commands())
    assert {"status of prod", "scale web-prod to 20", "ack 42", "who is on call", "cpu of web-prod last 6h"} <= set(
        examples
    )
    assert "watch cpu of web-prod for 10 min" in examples


def test_every_command_the_docs_quote_does_what_it_promises(
    settings: Settings, say_factory: SayFactory, tmp_path: Path
) -> None:
    demo = settings.model_copy(
        update={"sim_resources": Settings.model_fields["sim_resources"].default, "policy": unlimited_policy(tmp_path)}
    )
    runtime, say = say_factory(demo)  # the world `make demo` shows, where the docs' names and sizes come from
    failures = broken_promises(runtime, say)
    assert not failures, "\n".join(failures)


def unlimited_policy(folder: Path) -> Path:
    """The shipped policy without its rate limits: the docs quote more commands than one person may type a minute."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy.pop("rate_limits")
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


def broken_promises(runtime: Runtime, say: Say) -> list[str]:
    """Every quoted docs command said to `runtime` as alice; a line for each that breaks its promise."""
    _fire_alerts(runtime, 60)
    fresh_alert = iter(range(42, 61))  # each act on "alert 42" finds an open alert, as the docs assume
    failures: list[str] = []
    for name, example in quoted_commands():
        intent = parse(example)
        if intent.name in (IntentName.UNKNOWN, IntentName.NOT_YET):
            failures.append(f"{name}: {example!r} is not understood ({intent.name.value})")
            continue
        text = example
        if intent.name is IntentName.CONFIRM and "CODE" in example:
            text = example.replace("CODE", _pending_code(say, size=5))
        if intent.name in ALERT_ACTS:
            text = re.sub(r"\b\d+\b", str(next(fresh_alert)), example, count=1)
        before = len(outbox_after(runtime))
        replies = say(text) or outbox_after(runtime)[before:]
        broken = _promised(text, replies)
        if broken and replies[0].kind == "refusal" and not BROKEN.search(replies[0].text):
            broken = None  # the policy's answer to this user (the docs quote commands of several roles)
        if broken:
            failures.append(f"{name}: {example!r}: {broken}")
    return failures
