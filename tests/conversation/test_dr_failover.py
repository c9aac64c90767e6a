"""A failover from chat, the whole way in the console conversation: the simulated world with its DNS, the shipped
web-failover runbook, an in-process worker and the runbook watcher looking every 0.05 s. What is typed and pressed,
and what the people read: the preview of the whole runbook, the second admin's approval, the one checklist message
edited as the steps run, the human steps ticked (the wrong role refused), pause and resume, and the end."""

from __future__ import annotations

import pytest

from audit.log import AuditEvent
from bot.runtime import Runtime
from core.models import Reply
from core.settings import Settings
from tests.conversation.conftest import Say, SayFactory, button, outbox_after
from tests.conversation.test_deploys import edited, edits_of
from tests.eventually import eventually

POLL = 0.05


@pytest.fixture
def dr(settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    return say_factory(settings.model_copy(update={"runbook_poll_seconds": POLL}))


def approved(runtime: Runtime, say: Say) -> Reply:
    """alice asks for the failover of web-prod and carol approves it: the preview, whose message is the checklist."""
    (preview,) = say("fail over web-prod")
    assert say(user="carol", press=button([preview], "Approve")) == []
    edited(runtime, preview.key, lambda text: text.startswith("Approved by carol"))
    return preview


def test_the_preview_shows_the_whole_runbook_and_needs_a_second_admin(dr: tuple[Runtime, Say]) -> None:
    runtime, say = dr
    (preview,) = say("fail over web-prod")
    assert preview.kind == "confirm"
    lines = preview.text.splitlines()
    assert lines[0].startswith("Failover: web-prod (AWS us-east-1) -> web-dr (Azure westeurope): web-dr 0 -> 12")
    assert lines[1].startswith("Runbook web-failover (9 steps, about ")
    assert lines[3] == "  2. Scale web-dr to web-prod's size: web-dr 0 -> 12, about 3 min"
    assert lines[5] == "  4. Confirm the database replica is promoted: admin ticks it"
    assert lines[6] == "  5. Point www.wedding.example at web-dr: www.wedding.example. -> web-dr, about 1 min"
    assert lines[11] == (
        "Now: web-prod (AWS us-east-1): 12/12 running; web-dr (Azure westeurope): 0 instances; "
        "DNS www.wedding.example. -> web-prod"
    )
    assert lines[12] == "Preconditions: all 2 hold."
    assert lines[13].startswith("Critical (failover in prod): needs approval by an admin other than alice.")
    assert [b.label for b in preview.buttons] == ["Approve (admin)", "Cancel"]

    (own,) = say(press=button([preview], "Approve"))  # alice cannot approve her own failover
    assert own.kind == "refusal"
    (operator,) = say(user="bob", press=button([preview], "Approve"))  # nor an operator
    assert operator.kind == "refusal"
    assert not edits_of(runtime, preview.key)  # nothing ran

    (same,) = say("fail over web")  # the service's name finds the same runbook
    assert same.text.splitlines()[1].startswith("Runbook web-failover (9 steps")


def test_approved_the_checklist_runs_ticks_pauses_and_ends_with_traffic_on_the_standby(
    dr: tuple[Runtime, Say],
) -> None:
    runtime, say = dr
    preview = approved(runtime, say)
    waiting = edited(runtime, preview.key, lambda text: "waiting for a person" in text)
    assert "[x] 2. Scale web-dr to web-prod's size" in waiting.text
    assert "[x] 3. Wait until web-dr is healthy" in waiting.text
    tick = button([waiting], "Done: Confirm the database replica")
    assert tick == f"runbook:tick:{tick.split(':')[2]}:3"

    (refused,) = say(user="bob", press=tick)  # an operator: the step is an admin's
    assert refused.kind == "refusal"
    assert refused.text == "bob may not tick step 4 (Confirm the database replica is promoted): it needs admin."
    denied = [r for r in runtime.conversation.services.audit.records() if r.event is AuditEvent.DENIED]
    assert denied and denied[-1].actor == "bob"

    (ticked,) = say(user="erin", press=tick)
    assert ticked.text.startswith("Ticked step 4 of failover ")
    second = edited(runtime, preview.key, lambda text: "[x] 4. Confirm the database replica is promoted" in text
                    and "waiting for a person" in text)  # fmt: skip
    assert "ticked by erin" in second.text
    assert "[x] 6. Wait until DNS answers with web-dr" in second.text

    (paused,) = say("pause the failover", user="bob")
    assert paused.text.startswith("Paused failover ")
    edited(runtime, preview.key, lambda text: "- paused" in text and "paused by bob" in text)
    (resumed,) = say(user="bob", press=button([edits_of(runtime, preview.key)[-1]], "Resume"))
    assert resumed.text.startswith("Resumed failover ")

    last = edited(runtime, preview.key, lambda text: "[x] 7. Drain web-prod" in text and "waiting for a person" in text)
    last_tick = button([last], "Done: Tell")
    say(user="bob", press=last_tick)  # an operator's step
    done = edited(runtime, preview.key, lambda text: " - done, " in text.splitlines()[0])
    assert "Asked by alice, approved by carol" in done.text
    assert not done.buttons
    summary = eventually(  # the summary follows the checklist's last edit
        lambda: next((r for r in outbox_after(runtime) if r.reply_to == preview.key and " - done, " in r.text), None),
        what="the run's summary in the thread",
    )
    assert "4. Confirm the database replica is promoted: done" in summary.text and "ticked by erin" in summary.text
    assert "Asked by alice, approved by carol" in summary.text

    (status,) = say("dr status", user="dave")
    assert "DNS www.wedding.example. -> web-dr" in status.text
    (again,) = say("fail over web-prod")  # traffic is on web-dr now: its precondition refuses it
    assert again.kind == "refusal"
    assert again.text == "Cannot fail over web: precondition failed - DNS points at web-dr, not web-prod."
    (back,) = say("fail back web-prod")  # and the way back is open
    assert back.kind == "confirm" and back.text.startswith("Failback: Fail web back from web-dr to web-prod: ")
    assert "Preconditions: all 2 hold." in back.text.splitlines()


def test_abort_asks_first_then_undoes_the_completed_steps(dr: tuple[Runtime, Say]) -> None:
    runtime, say = dr
    preview = approved(runtime, say)
    waiting = edited(runtime, preview.key, lambda text: "waiting for a person" in text)

    (busy,) = say("fail over web-prod", user="bob")  # one run of a service at a time
    assert busy.kind == "refusal" and "is running" in busy.text

    (pressed,) = say(user="bob", press=button([waiting], "Abort"))
    (ask,) = say("abort the failover", user="bob")  # the words ask what the checklist's Abort asks
    assert pressed.kind == "confirm" and pressed.text.splitlines()[0] == ask.text.splitlines()[0]
    assert ask.kind == "confirm" and ask.text.startswith("Abort failover ")
    assert "its 3 completed steps are undone, newest first." in ask.text
    assert "[x] 2. Scale web-dr" in edits_of(runtime, preview.key)[-1].text  # nothing undone before the yes

    (confirmed,) = say(user="bob", press=button([ask], "Abort and undo"))
    assert confirmed.edit_of == ask.key and "Aborting failover " in confirmed.text
    aborted = edited(runtime, preview.key, lambda text: "- aborted" in text.splitlines()[0])
    assert "[~] 2. Scale web-dr to web-prod's size" in aborted.text  # its undo ran: web-dr back to 0
    assert "aborted by bob" in aborted.text
    (status,) = say("dr status", user="dave")
    assert "web-dr (Azure westeurope): 0 instances" in status.text


def test_pause_and_abort_words_with_nothing_running(dr: tuple[Runtime, Say]) -> None:
    _runtime, say = dr
    (pause,) = say("pause the failover")
    assert pause.text == "No runbook is running."
    (refused,) = say("pause the failover", user="dave")  # a viewer
    assert refused.kind == "refusal"
