"""Every request ends in the audit: what a user's message wrote, read back from the log - received, parsed,
and one closing record that says how it ended (refused with its line, answered, denied, asked to confirm)."""

from __future__ import annotations

import time

import pytest

from audit.log import AuditEvent, AuditRecord
from bot.runtime import Runtime
from core.models import Message
from tests.conversation.conftest import ROOM, Say, button

E = AuditEvent


def trail(
    runtime: Runtime, say: Say, text: str = "", *, user: str = "alice", press: str | None = None
) -> list[AuditRecord]:
    """The audit records one message wrote."""
    audit = runtime.conversation.services.audit
    before = len(audit.records())
    say(text, user=user, press=press)
    return audit.records()[before:]


@pytest.mark.parametrize(
    ("text", "event", "outcome"),
    [
        ("stop nothing-here", E.REFUSED, "I can't find 'nothing-here'. Try: find nothing-here"),
        ("fail over web-prod to gcp", E.REFUSED, "web-prod fails over to web-dr (azure westeurope), not to gcp."),
        ("fail over db-prod to dr", E.REFUSED, "db-prod has no DR standby to fail over to."),
        ("stop booking-prod-vm1", E.REFUSED, "booking-prod-vm1 is already stopped"),
        ("scale db-prod to 3", E.REFUSED, "db-prod is a single VM: it cannot be scaled"),
        ("scale worker to 0", E.ANSWERED, "Did you mean worker-prod or worker-staging?"),
        ("scale web-prod", E.REFUSED, "Scale web-prod to how many? For example: scale web-prod to 20"),
        ("restart", E.REFUSED, "Which one? For example: restart db-prod"),
        ("blah blah", E.ANSWERED, "I didn't get that. Try: status, find web, scale web-prod to 20, help"),
        ("yes", E.REFUSED, "Nothing to confirm here."),
        ("cancel", E.ANSWERED, "Nothing to cancel here."),
    ],
)
def test_a_request_that_ends_before_a_plan_is_closed_with_its_reason(
    runtime: Runtime, say: Say, text: str, event: AuditEvent, outcome: str
) -> None:
    records = trail(runtime, say, text)
    assert [r.event for r in records] == [E.RECEIVED, E.PARSED, event]
    closing = records[-1]
    assert (closing.actor, closing.where, closing.what, closing.outcome) == ("alice", "console:ops-room", text, outcome)


def test_a_read_ends_answered(runtime: Runtime, say: Say) -> None:
    records = trail(runtime, say, "status")
    assert [r.event for r in records] == [E.RECEIVED, E.PARSED, E.ANSWERED]
    assert records[-1].outcome.startswith("All clouds: ") and records[-1].params["reply"] == "info"


def test_a_decided_request_gets_exactly_one_closing_record(runtime: Runtime, say: Say) -> None:
    """The flows that decide write their own outcome; the closing record is not written twice."""
    assert [r.event for r in trail(runtime, say, "scale web-prod to 20", user="dave")] == [
        E.RECEIVED,
        E.PARSED,
        E.DENIED,
    ]
    assert [r.event for r in trail(runtime, say, "scale web-prod to 20")] == [
        E.RECEIVED,
        E.PARSED,
        E.CONFIRMATION_ASKED,
    ]
    [card] = say("scale worker-prod to 0", user="bob")
    assert [r.event for r in trail(runtime, say, press=button([card], "Approve"))] == [E.RECEIVED, E.REFUSED]
    assert [r.event for r in trail(runtime, say, press=button([card], "Cancel"), user="bob")] == [
        E.RECEIVED,
        E.CANCELLED,
    ]


def test_button_presses_end_in_the_audit_too(runtime: Runtime, say: Say) -> None:
    stale = trail(runtime, say, press="confirm:Z9Z9Z9")
    assert [r.event for r in stale] == [E.RECEIVED, E.REFUSED]
    assert stale[-1].outcome == "No request has the code Z9Z9Z9."
    assert [r.event for r in trail(runtime, say, press="nonsense:1")] == [E.RECEIVED, E.REFUSED]
    [question] = say("scale worker to 0")
    picked = trail(runtime, say, press=button([question], "worker-staging"))
    assert [r.event for r in picked] == [E.RECEIVED, E.PARSED, E.CONFIRMATION_ASKED]
    assert [r.event for r in trail(runtime, say, press="pick:0")] == [E.RECEIVED, E.ANSWERED]  # already taken


def test_a_voice_note_that_cannot_be_read_ends_refused(runtime: Runtime) -> None:
    audit = runtime.conversation.services.audit
    before = len(audit.records())
    msg = Message(ref=ROOM, sender="alice", received_at=time.time())
    [refusal] = runtime.conversation.handle_audio(msg, b"OggS" + b"\x00" * 500)
    records = audit.records()[before:]
    assert [r.event for r in records] == [E.RECEIVED, E.REFUSED]
    assert records[-1].outcome == refusal.text


def test_a_stranger_and_a_flood_are_not_closed_twice(runtime: Runtime, say: Say) -> None:
    """The gate writes their one record itself (and a flood's silent messages none)."""
    assert [r.event for r in trail(runtime, say, "status", user="mallory")] == [E.DENIED]
    assert trail(runtime, say, "status", user="mallory") == []
