"""What stops a deploy before anything is asked: a freeze (an admin may override it with a reason; a rollback is
never frozen), another deploy of the same service, a cloud check that fails. Each is one line; nothing to confirm."""

from __future__ import annotations

from datetime import date

import pytest

from audit.log import AuditEvent
from bot.runtime import Runtime
from core.settings import Settings
from policies.alerting.loader import load_alerting
from tests.conversation.conftest import Say, SayFactory, button, outbox_after
from tests.conversation.test_deploys import deploy_settings, edited


@pytest.fixture
def deploying(settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    return say_factory(deploy_settings(settings))


def _event_day_today(runtime: Runtime) -> None:
    """Today an event day of the alerting file, and event days freeze prod."""
    frozen = load_alerting().model_copy(update={"event_days": (date.today(),), "freeze_event_days": True})
    runtime.conversation.services.alerting_policy = frozen


def test_a_freeze_refuses_a_deploy_and_an_admin_overrides_it_with_a_reason(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    _event_day_today(runtime)
    (refused,) = say("deploy web v2.4 to prod", user="carol")
    assert refused.kind == "refusal"
    assert refused.text.startswith("Deploys to prod are frozen: event day ")
    assert "An admin can override it with a reason" in refused.text
    (operator,) = say("deploy web v2.4 to prod because checkout is broken", user="alice")
    assert "Only an admin can override a freeze: alice is not one" in operator.text

    (preview,) = say("deploy web v2.4 to prod because checkout is broken", user="carol")
    assert preview.kind == "confirm"
    assert "Freeze overridden by carol: checkout is broken" in preview.text
    assert say(press=button([preview], "Approve"), user="erin") == []
    edited(runtime, preview.key, lambda text: text.startswith("Approved by erin"))
    kept = [
        (r.event, r.actor) for r in runtime.conversation.services.audit.records()
        if r.params.get("freeze_override") == "checkout is broken"
    ]  # fmt: skip
    assert kept[:2] == [(AuditEvent.APPROVAL_ASKED, "carol"), (AuditEvent.CONFIRMED, "erin")]
    refusals = [r.outcome for r in runtime.conversation.services.audit.records() if r.event is AuditEvent.DENIED]
    assert refusals[0].startswith("Deploys to prod are frozen: event day ")
    (staging,) = say("deploy web v2.4 to staging")  # the event day freezes prod only
    assert staging.kind == "confirm"


def test_two_deploys_of_one_service_are_refused(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    (first,) = say("deploy web v2.5 to staging")  # stuck on its first batch: it runs until cancelled
    (second,) = say("deploy web v2.4 to staging", user="bob")  # asked before the first was confirmed
    say(press=button([first], "Confirm"))
    edited(runtime, first.key, lambda text: text.startswith("Deploying"))

    (busy,) = say("deploy web v2.4 to staging", user="bob")
    assert busy.kind == "refusal"
    assert busy.text.startswith("web staging is busy: deploy 1 (v2.5, by alice")
    settled, late = say(press=button([second], "Confirm"), user="bob")
    assert settled.edit_of == second.key and settled.text.startswith("Not run: web staging is busy")
    assert late.kind == "refusal" and "is busy: deploy 1" in late.text and late.text.endswith("Nothing was started.")
    (status,) = say("deploy status")
    assert status.text.splitlines()[0] == "1 deploy running:"
    assert "web v2.5 to staging, rolling" in status.text


def test_a_failed_cloud_check_is_one_line_and_nothing_is_asked(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    (stop,) = say("stop web-preview")
    say(press=button([stop], "Confirm"))
    outbox_after(runtime)
    replies = say("deploy web v2.4 to staging")
    assert [(r.kind, r.text) for r in replies] == [
        ("error", "Deploy web v2.4 to staging not asked, 1 problem:\nAzure: web-preview is stopped: start it first, "
                  "then deploy"),
    ]  # fmt: skip
    assert not replies[0].buttons
