"""The inbound gate on the conversation core (console and a Slack conversation, real Redis, real outbox): a
flood gets one answer and one audit record, a stranger one line and nothing else, the admins one notice."""

from __future__ import annotations

import re
import time
from pathlib import Path

import yaml

from audit.log import AuditEvent, AuditRecord
from bot.runtime import Runtime
from core.models import ConversationRef
from core.settings import Settings
from tests.conversation.conftest import SayFactory

TOO_FAST = re.compile(r"You are sending too fast; I'm ignoring you for (\d+) s\.")
SLACK_DM = ConversationRef(channel="slack", conversation_id="D0STRANGER")
INCIDENT = ConversationRef(channel="slack", conversation_id="C0INCIDENT", thread_id="1700000000.000100")


def _policy(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(Path("policies/default.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _denied(runtime: Runtime, actor: str) -> list[AuditRecord]:
    records = runtime.conversation.services.audit.records()
    return [r for r in records if r.event is AuditEvent.DENIED and r.actor == actor]


def test_a_flood_gets_one_answer_and_one_audit_record_then_is_answered_again(
    settings: Settings, say_factory: SayFactory, tmp_path: Path
) -> None:
    limits = [{"counts": "messages", "limit": 3, "per_seconds": 3}]
    runtime, say = say_factory(settings.model_copy(update={"policy": _policy(tmp_path, rate_limits=limits)}))
    assert all(say("help", user="dave") for _ in range(3))
    [answer] = say("status", user="dave")
    found = TOO_FAST.fullmatch(answer.text)
    assert found is not None and 1 <= int(found[1]) <= 3
    ignored = [say("status", user="dave") for _ in range(10)]
    ignored += [say("1", user="dave", press="alert:ack:1") for _ in range(10)]
    assert ignored == [[]] * 20  # no reply at all, buttons included
    assert say("help", user="alice")  # everyone else is answered as usual
    received = [r for r in runtime.conversation.services.audit.records() if r.actor == "dave"]
    assert [r.event for r in received].count(AuditEvent.RECEIVED) == 3  # the ignored ones cost no audit line
    [start] = _denied(runtime, "dave")
    assert start.outcome == f"over 3 messages in 3 s: ignoring them for {found[1]} s"

    time.sleep(int(found[1]) + 0.2)
    assert say("help", user="dave")[0].text != answer.text  # the window is over: answered again
    *_, end = _denied(runtime, "dave")
    assert end.outcome.startswith("ignored 20 more messages in ")
    assert end.params["ignored"] == 20


def test_a_stranger_gets_one_line_and_nothing_else(settings: Settings, say_factory: SayFactory) -> None:
    runtime, say = say_factory(settings)
    [line] = say("status", user="mallory")
    assert line.text == "You are not on opsbot's list. Ask an admin (carol or erin) to add mallory."
    assert line.buttons == ()
    for text in ("status", "alerts", "who is on call", "cost", "find web", "show web-prod", "help"):
        assert say(text, user="mallory") == []
    assert say("Ack", user="mallory", press="alert:ack:1") == []
    [denied] = _denied(runtime, "mallory")
    assert denied.outcome == "not on opsbot's list: told how to be added"
    assert not [r for r in runtime.conversation.services.audit.records() if r.event is AuditEvent.RECEIVED]


def test_the_admins_hear_of_a_stranger_once_and_a_conversation_may_open_to_its_members(
    settings: Settings, say_factory: SayFactory, tmp_path: Path
) -> None:
    data = yaml.safe_load(Path("policies/default.yaml").read_text(encoding="utf-8"))
    data["conversations"]["slack:C0INCIDENT"]["members"] = "viewer"
    runtime, say = say_factory(settings.model_copy(update={"policy": _policy(tmp_path, **data)}))
    stranger = "U999ZZZ"
    [line] = say("status", user=stranger, ref=SLACK_DM)
    assert line.text == "You are not on opsbot's list. Ask an admin (carol or erin) to add slack:U999ZZZ."
    assert say("status", user=stranger, ref=SLACK_DM) == []
    # In #incident, opened to its members, the stranger reads as a viewer - and changes nothing.
    [status] = say("status of prod", user=stranger, ref=INCIDENT)
    assert status.text.startswith("prod:")
    [refused] = say("restart web-prod", user=stranger, ref=INCIDENT)
    assert refused.text == "slack:U999ZZZ is a viewer: restarting needs operator"
    assert say("status", user=stranger, ref=SLACK_DM) == []  # still nothing elsewhere
    notices = [r for _, r in runtime.outbox.read("slack") if r.ref.conversation_id in ("U345CDE", "U567EFG")]
    assert sorted(r.ref.conversation_id for r in notices) == ["U345CDE", "U567EFG"]  # carol and erin, once each
    assert {r.text for r in notices} == {
        "slack:U999ZZZ asked opsbot something in a direct message; add them to the policy to let them in."
    }
