"""Two-step confirmation, end to end: chat text -> policy -> pending in Redis -> press -> RQ job on the
simulated cloud -> progress and result in the outbox -> audit."""

from __future__ import annotations

import json

from audit.log import AuditEvent
from bot.runtime import Runtime
from core.models import ConversationRef
from core.settings import Settings
from tests.conversation.conftest import Say, SayFactory, button, outbox_after

OTHER_ROOM = ConversationRef(channel="console", conversation_id="elsewhere")


def _events(runtime: Runtime) -> list[AuditEvent]:
    return [r.event for r in runtime.conversation.services.audit.records()]


def _web_prod_count(runtime: Runtime) -> int | None:
    return runtime.conversation.services.provider.get("web-prod").count


def test_scale_asks_exactly_what_will_change_then_runs_once_confirmed(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 20")
    assert ask.kind == "confirm"
    assert "web-prod (AWS us-east-1): 12 -> 20 instances" in ask.text
    assert _web_prod_count(runtime) == 12  # nothing happens before the confirmation

    assert say(press=button([ask], "Confirm")) == []
    replies = outbox_after(runtime)
    texts = [r.text for r in replies]
    assert texts[0].startswith("Confirmed by alice")
    assert texts[-1].startswith("Done")
    assert all(r.edit_of == ask.key for r in replies)  # progress edits the confirmation message
    assert _web_prod_count(runtime) == 20
    events = _events(runtime)
    for step in (AuditEvent.CONFIRMATION_ASKED, AuditEvent.CONFIRMED, AuditEvent.ENQUEUED,
                 AuditEvent.STARTED, AuditEvent.SUCCEEDED):  # fmt: skip
        assert step in events
    assert runtime.conversation.services.audit.verify() == len(events)


def test_typed_code_confirms_on_channels_without_buttons(runtime: Runtime, say: Say) -> None:
    [ask] = say("add 4 instances to web-prod")
    code = button([ask], "Confirm").split(":", 1)[1]
    assert code in ask.text
    say(f"confirm {code.lower()}")
    outbox_after(runtime)
    assert _web_prod_count(runtime) == 16


def test_plain_yes_confirms_the_latest_request(runtime: Runtime, say: Say) -> None:
    say("scale down api-prod by two")
    say("yes")
    outbox_after(runtime)
    assert runtime.conversation.services.provider.get("api-prod").count == 6


def test_viewer_is_refused_with_the_reason(runtime: Runtime, say: Say) -> None:
    [refusal] = say("scale web-prod to 20", user="dave")
    assert refusal.kind == "refusal"
    assert refusal.text == "dave is a viewer: scaling needs operator"
    assert AuditEvent.DENIED in _events(runtime)


def test_someone_elses_confirmation_is_refused(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 20")
    [refusal] = say(press=button([ask], "Confirm"), user="bob")
    assert refusal.text == "Only alice can confirm their scale."
    assert _web_prod_count(runtime) == 12


def test_confirmation_is_single_use(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 14")
    confirm = button([ask], "Confirm")
    say(press=confirm)
    [again] = say(press=confirm)
    assert again.text.startswith("Already confirmed by alice")
    outbox_after(runtime)
    assert _events(runtime).count(AuditEvent.ENQUEUED) == 1


def test_expired_confirmation_is_refused_and_nothing_runs(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 20")
    code = button([ask], "Confirm").split(":", 1)[1]
    store = runtime.conversation.services.confirmations
    pending = store.get(code)
    assert pending is not None
    # Time passes: rewrite the stored record as if its two minutes were over.
    key = f"opsbot:confirm:{code}"
    record = json.loads(runtime.connection.get(key) or b"{}")
    record["expires_at"] = record["created_at"] - 1
    runtime.connection.set(key, json.dumps(record), keepttl=True)
    replies = say(press=f"confirm:{code}")
    assert any("expired" in r.text for r in replies)
    assert _web_prod_count(runtime) == 12
    assert AuditEvent.EXPIRED in _events(runtime)


def test_changed_world_refuses_the_old_confirmation(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 20")
    [other] = say("scale web-prod to 15", user="bob")
    say(press=button([other], "Confirm"), user="bob")
    outbox_after(runtime)
    replies = say(press=button([ask], "Confirm"))
    assert any("changed since you asked" in r.text for r in replies)
    assert _web_prod_count(runtime) == 15


def test_confirmation_from_another_conversation_is_refused(runtime: Runtime, say: Say) -> None:
    [ask] = say("restart db-prod")
    [refusal] = say(press=button([ask], "Confirm"), ref=OTHER_ROOM)
    assert refusal.text == "That confirmation belongs to another conversation."


def test_cancel_then_confirm_runs_nothing(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 20")
    [cancelled] = say("cancel")
    assert cancelled.edit_of == ask.key and cancelled.text.startswith("Cancelled by alice")
    [late] = say(press=button([ask], "Confirm"))
    assert "cancelled by alice" in late.text
    assert _web_prod_count(runtime) == 12


def test_critical_action_needs_a_different_admin(runtime: Runtime, say: Say) -> None:
    # api-prod has no runbook: its failover is the one critical action (web-prod's runs its runbook: test_dr_*).
    [ask] = say("fail over api-prod to dr")
    assert "api-dr" in ask.text and "admin other than alice" in ask.text
    approve = button([ask], "Approve")
    [own] = say(press=approve)
    assert own.kind == "refusal" and "alice" in own.text
    [operator] = say(press=approve, user="bob")
    assert operator.kind == "refusal"
    assert say(press=approve, user="carol") == []
    texts = [r.text for r in outbox_after(runtime)]
    assert texts[0].startswith("Approved by carol")
    assert texts[-1].startswith("Done")
    assert runtime.conversation.services.provider.get("api-dr").count == 8


def test_ambiguous_target_asks_instead_of_guessing(runtime: Runtime, say: Say) -> None:
    [question] = say("scale web to 5")
    assert question.text.startswith("Did you mean")
    assert len(question.buttons) >= 3  # candidates + None
    picked = [b for b in question.buttons if b.label == "web-prod"]
    assert picked, question.text
    [ask] = say(press=picked[0].id)
    assert ask.kind == "confirm" and "web-prod" in ask.text and "-> 5 instances" in ask.text


def test_two_presses_at_once_run_the_action_once(runtime: Runtime, say: Say) -> None:
    from concurrent.futures import ThreadPoolExecutor

    [ask] = say("scale web-prod to 18")
    confirm = button([ask], "Confirm")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: say(press=confirm), range(8)))
    assert sum(1 for r in results if r == []) == 1
    outbox_after(runtime)
    assert _events(runtime).count(AuditEvent.ENQUEUED) == 1
    assert _events(runtime).count(AuditEvent.STARTED) == 1


def test_critical_outcome_is_broadcast_to_incident_channels(settings: Settings, say_factory: SayFactory) -> None:
    incident = settings.model_copy(update={"incident_channels": ["console:incident", "slack:C0INCIDENT"]})
    runtime, say = say_factory(incident)
    [ask] = say("fail over api-prod to dr")  # no runbook: the critical action's own outcome is broadcast
    say(press=button([ask], "Approve"), user="carol")
    outbox_after(runtime)
    [news] = outbox_after(runtime, ConversationRef(channel="console", conversation_id="incident"))
    assert news.text.startswith("DR status - api-prod failover (asked by alice, approved by carol): Done")
    slack = [r for _, r in runtime.outbox.read("slack", "0-0")]
    assert [r.ref.conversation_id for r in slack] == ["C0INCIDENT"] and slack[0].text == news.text


def test_unpressed_confirmation_is_swept_when_it_expires(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 20")
    code = button([ask], "Confirm").split(":", 1)[1]
    key = f"opsbot:confirm:{code}"
    record = json.loads(runtime.connection.get(key) or b"{}")
    record["expires_at"] = record["created_at"] - 1  # its two minutes are over
    runtime.connection.set(key, json.dumps(record), keepttl=True)
    runtime.connection.zadd("opsbot:confirm-open", {code: record["expires_at"]})
    runtime.conversation.sweep_expired()
    edits = [r for r in outbox_after(runtime) if r.edit_of == ask.key]
    assert [r.text.splitlines()[0] for r in edits] == ["Expired - nothing was run."]
    assert edits[0].buttons == ()
    assert _events(runtime).count(AuditEvent.EXPIRED) == 1
    [late] = say(press=f"confirm:{code}")
    assert late.kind == "refusal" and "expired" in late.text
    assert _web_prod_count(runtime) == 12
