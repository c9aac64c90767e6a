"""Deploys and rollbacks from chat: what each phrasing is read as (the intent, and the slots the conversation
acts on), that a deploy or a rollback is read only when ordered, and that the commands around them still read as
they did ("deploy 3 instances to web-prod" is a scale, "stop web-prod" a stop, "cancel" a confirmation's)."""

from __future__ import annotations

import pytest

from core.models import CHANGING_INTENTS, IntentName
from intents.help import help_text, topic_of
from intents.parser import parse

S = dict[str, object]
_ORDERS = CHANGING_INTENTS | {IntentName.PAUSE_DEPLOY, IntentName.RESUME_DEPLOY, IntentName.CANCEL_DEPLOY}
WEB_PROD_V24: S = {"target": "web", "version": "v2.4", "environment": "prod"}

DEPLOYS: list[tuple[str, S]] = [
    ("deploy web v2.4 to prod", WEB_PROD_V24),
    ("deploy v2.4 of web to prod", WEB_PROD_V24),
    ("ship web 2.4 to staging", {"target": "web", "version": "2.4", "environment": "staging"}),
    ("release api v5.2 to prod", {"target": "api", "version": "v5.2", "environment": "prod"}),
    ("roll out web v2.4 to prod", WEB_PROD_V24),
    ("rollout web v2.4 to production", WEB_PROD_V24),
    ("redeploy web v2.4 to prod", WEB_PROD_V24),
    ("promote web v2.4 to prod", WEB_PROD_V24),
    ("deploy web v2.4 into prod", WEB_PROD_V24),
    ("deploy web to prod version 2.4", {"target": "web", "version": "2.4", "environment": "prod"}),
    ("deploy web 5.2.1 to prod", {"target": "web", "version": "5.2.1", "environment": "prod"}),
    ("deploy web a1b2c3d to prod", {"target": "web", "version": "a1b2c3d", "environment": "prod"}),
    ("deploy api commit 9f8e7d6 to staging", {"target": "api", "version": "9f8e7d6", "environment": "staging"}),
    ("deploy web V2.4 to prod", {"target": "web", "version": "V2.4", "environment": "prod"}),  # as typed
    ("deploy web v2.4.0-rc1 to staging", {"target": "web", "version": "v2.4.0-rc1", "environment": "staging"}),
    ("deploy v2.4 to web-prod", {"target": "web-prod", "version": "v2.4"}),  # a group stays the target
    ("deploy web-prod v2.4", {"target": "web-prod", "version": "v2.4"}),
    ("deploy web v2.4", {"target": "web", "version": "v2.4"}),  # the conversation asks where
    ("deploy web-staging", {"target": "web-staging"}),  # ... and which version
    ("deploy web to prod", {"target": "web", "environment": "prod"}),
    ("deploy the latest web to prod", {"target": "web", "environment": "prod"}),
    ("deploy v2.4 to prod", {"version": "v2.4", "environment": "prod"}),  # ... and which service
    ("deploy shop v3.1 to prod", {"target": "shop", "version": "v3.1", "environment": "prod"}),  # any service name
    ("can you deploy web v2.4 to prod?", WEB_PROD_V24),  # a request
    ("@opsbot please deploy web v2.4 to prod thanks", WEB_PROD_V24),
    # spoken
    ("deploy web version two point four to prod", {"target": "web", "version": "2.4", "environment": "prod"}),
    ("deploy web v two point four to production", WEB_PROD_V24),
    (
        "release api five point two point one to staging",
        {"target": "api", "version": "5.2.1", "environment": "staging"},
    ),
    ("deploy web prod v2.4", WEB_PROD_V24),
]


@pytest.mark.parametrize(("text", "slots"), DEPLOYS)
def test_a_deploy_names_the_service_the_version_and_where(text: str, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (IntentName.DEPLOY, slots)
    assert parsed.confidence >= 0.95


OVERRIDES: list[tuple[str, str]] = [
    ("deploy web v2.4 to prod despite the freeze: fixes checkout", "fixes checkout"),
    ("deploy web v2.4 to prod override freeze because checkout is down", "checkout is down"),
    ("deploy web v2.4 to prod, despite the code freeze, reason: guests cannot pay", "guests cannot pay"),
    ("deploy web v2.4 to prod freeze override: hotfix", "hotfix"),
    ("deploy web v2.4 to prod ignoring the deploy freeze for the wedding rush", "the wedding rush"),
    ("deploy web v2.4 to prod because checkout is down", "checkout is down"),
    # what a reason says is no negation, question or condition of the order
    ("deploy web v2.4 to prod because it is not working", "it is not working"),
    ("deploy web v2.4 to prod because guests cannot pay until it ships", "guests cannot pay until it ships"),
]


@pytest.mark.parametrize(("text", "reason"), OVERRIDES)
def test_a_freeze_override_keeps_the_reason_in_the_users_words(text: str, reason: str) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (IntentName.DEPLOY, {**WEB_PROD_V24, "reason": reason})


def test_a_long_reason_is_cut_to_what_the_slot_holds() -> None:
    parsed = parse("deploy web v2.4 to prod because " + "wedding-checkout-is-down-again " * 10)
    assert parsed.name is IntentName.DEPLOY
    assert parsed.slots.reason is not None and len(parsed.slots.reason) == 200


ROLLBACKS: list[tuple[str, S]] = [
    ("rollback web-prod", {"target": "web-prod"}),
    ("roll back web", {"target": "web"}),
    ("roll web back", {"target": "web"}),
    ("rollback web to v2.3", {"target": "web", "version": "v2.3"}),
    ("revert web-prod", {"target": "web-prod"}),
    ("roll back the deploy of web", {"target": "web"}),
    ("undo the web deploy", {"target": "web"}),
    ("rollback web in prod", {"target": "web", "environment": "prod"}),
    ("roll back web prod", {"target": "web", "environment": "prod"}),  # spoken
    ("roll back web edge prod", {"target": "web edge prod"}),  # a group's name, spoken
    ("rollback web in prod to v2.3", {"target": "web", "environment": "prod", "version": "v2.3"}),
    ("rollback web-prod to the previous version", {"target": "web-prod"}),
    ("roll back web-canary to the last good version", {"target": "web-canary"}),
    ("roll back the last deploy on api-prod", {"target": "api-prod"}),
    ("revert the change on web-canary", {"target": "web-canary"}),
    ("undo the last deploy of api", {"target": "api"}),
    ("downgrade web to v2.3", {"target": "web", "version": "v2.3"}),
    ("rollback to v2.3", {"version": "v2.3"}),
    ("roll back", {}),  # the conversation asks which service, or takes the running deploy's
    ("web-prod is broken, roll it back", {"target": "web-prod"}),
    ("rollback web-prod because v2.4 broke checkout", {"target": "web-prod", "reason": "v2.4 broke checkout"}),
    ("could you rollback web-canary please", {"target": "web-canary"}),
]


@pytest.mark.parametrize(("text", "slots"), ROLLBACKS)
def test_a_rollback_names_the_service_and_maybe_the_version(text: str, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (IntentName.ROLLBACK, slots)


READS: list[tuple[str, IntentName, S]] = [
    ("deploy status", IntentName.DEPLOY_STATUS, {}),
    ("deploy status web", IntentName.DEPLOY_STATUS, {"target": "web"}),
    ("deploys", IntentName.DEPLOY_STATUS, {}),
    ("deploys?", IntentName.DEPLOY_STATUS, {}),
    ("deploys today", IntentName.DEPLOY_STATUS, {"period": "today"}),
    ("what's deploying", IntentName.DEPLOY_STATUS, {}),
    ("how is the web deploy going", IntentName.DEPLOY_STATUS, {"target": "web"}),
    ("is the deploy done", IntentName.DEPLOY_STATUS, {}),
    ("is the deploy done?", IntentName.DEPLOY_STATUS, {}),
    ("status of the deploy", IntentName.DEPLOY_STATUS, {}),
    ("what is the status of the web deploy", IntentName.DEPLOY_STATUS, {"target": "web"}),
    ("any deploys running", IntentName.DEPLOY_STATUS, {}),
    ("show running deploys in prod", IntentName.DEPLOY_STATUS, {"environment": "prod"}),
    ("deploys to prod today", IntentName.DEPLOY_STATUS, {"environment": "prod", "period": "today"}),
    ("rollback status", IntentName.DEPLOY_STATUS, {}),
    ("history web", IntentName.DEPLOY_HISTORY, {"target": "web"}),
    ("history", IntentName.DEPLOY_HISTORY, {}),
    ("deploy history web", IntentName.DEPLOY_HISTORY, {"target": "web"}),
    ("deploy history", IntentName.DEPLOY_HISTORY, {}),
    ("what versions has web had", IntentName.DEPLOY_HISTORY, {"target": "web"}),
    ("last deploys of api", IntentName.DEPLOY_HISTORY, {"target": "api"}),
    ("which version is web on", IntentName.DEPLOY_HISTORY, {"target": "web"}),
    ("what version is web-prod running", IntentName.DEPLOY_HISTORY, {"target": "web-prod"}),
    ("which version runs in prod", IntentName.DEPLOY_HISTORY, {"environment": "prod"}),
    ("what version is running", IntentName.DEPLOY_HISTORY, {}),
    ("when did we last deploy web", IntentName.DEPLOY_HISTORY, {"target": "web"}),
    ("who deployed web", IntentName.DEPLOY_HISTORY, {"target": "web"}),
    ("histroy web", IntentName.DEPLOY_HISTORY, {"target": "web"}),  # a typo of a question is read
]


@pytest.mark.parametrize(("text", "intent", "slots"), READS)
def test_deploy_questions_are_read_as_status_or_history(text: str, intent: IntentName, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (intent, slots)


CONTROLS: list[tuple[str, IntentName, S]] = [
    ("pause deploy web", IntentName.PAUSE_DEPLOY, {"target": "web"}),
    ("pause the web deploy", IntentName.PAUSE_DEPLOY, {"target": "web"}),
    ("hold the deploy", IntentName.PAUSE_DEPLOY, {}),
    ("put the deploy on hold", IntentName.PAUSE_DEPLOY, {}),
    ("resume deploy web", IntentName.RESUME_DEPLOY, {"target": "web"}),
    ("continue the deploy", IntentName.RESUME_DEPLOY, {}),
    ("unpause the web deploy", IntentName.RESUME_DEPLOY, {"target": "web"}),
    ("cancel deploy web", IntentName.CANCEL_DEPLOY, {"target": "web"}),
    ("abort the web deploy", IntentName.CANCEL_DEPLOY, {"target": "web"}),
    ("stop the deploy", IntentName.CANCEL_DEPLOY, {}),
    ("stop deploying api", IntentName.CANCEL_DEPLOY, {"target": "api"}),
    ("cancel the rollback of web-prod", IntentName.CANCEL_DEPLOY, {"target": "web-prod"}),
    ("CANCEL DEPLOY", IntentName.CANCEL_DEPLOY, {}),  # not a confirmation code "DEPLOY"
    ("pause the deploy, it is failing", IntentName.PAUSE_DEPLOY, {}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), CONTROLS)
def test_a_running_deploy_is_paused_resumed_or_cancelled(text: str, intent: IntentName, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (intent, slots)


NEIGHBOURS: list[tuple[str, str, S]] = [
    ("deploy 3 instances to web-prod", "scale", {"target": "web-prod", "delta": 3}),
    ("deploy an instance to web-prod", "scale", {"target": "web-prod", "delta": 1}),
    ("stop web-prod", "stop", {"target": "web-prod"}),
    ("pause web-prod", "stop", {"target": "web-prod"}),
    ("resume web-staging", "start", {"target": "web-staging"}),
    ("cancel", "cancel", {}),
    ("stop", "cancel", {}),
    ("cancel that", "cancel", {}),
    ("cancle", "cancel", {}),
    ("continue", "more", {}),
    ("ship it", "confirm", {}),
    ("restore db-prod", "not_yet", {"topic": "restore"}),
    ("upgrade db-prod", "not_yet", {"topic": "upgrade or patch"}),
    ("status of web-prod", "status", {"target": "web-prod"}),
    ("help deploy", "help", {"topic": "deploy"}),
    ("help rollback", "help", {"topic": "rollback"}),
    ("deploy?", "help", {"topic": "deploy"}),
    ("rollback?", "help", {"topic": "rollback"}),
    ("how do i roll back", "help", {"topic": "rollback"}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), NEIGHBOURS)
def test_the_commands_around_deploys_read_as_before(text: str, intent: str, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name.value, parsed.slots.present()) == (intent, slots)


NEVER_ORDERS = [
    # asked
    "did we deploy web yesterday?",
    "should we roll back web?",
    "can we deploy web v2.4 to prod?",
    "deploy web v2.4 to prod?",
    "should i revert web-prod?",
    "did someone cancel the deploy?",
    "did you pause the deploy",
    # negated, taken back
    "don't deploy web v2.4 to prod",
    "do not roll back web-prod",
    "never deploy on a friday",
    "deploy web v2.4 to prod, no wait",
    "deploy web v2.4 to prod despite the freeze: fixes checkout, no wait",
    "rollback web-prod - actually no",
    # reported
    "the deploy broke it",
    "the deploy broke web-prod",
    "bob deployed v2.4 to prod",
    "we rolled back web-prod last night",
    "someone deployed web v2.4 an hour ago",
    "we paused the deploy",
    "the rollback of web failed",
    # supposed, later
    "if v2.5 fails we roll back web",
    "deploy web v2.4 to prod tomorrow",
    "deploy web v2.4 to prod next week",
    "maybe roll back web later",
    "we might need to roll back web",
    "when v2.4 is ready deploy it to prod",
    # typos of a verb that acts
    "depoly web v2.4 to prod",
    "rollbak web-prod",
    "pasue deploy web",
    "cancle deploy web",
]


@pytest.mark.parametrize("text", NEVER_ORDERS)
def test_a_deploy_spoken_of_but_not_ordered_is_never_one(text: str) -> None:
    parsed = parse(text)
    assert parsed.name not in _ORDERS, (parsed.name, parsed.slots.present())


def test_a_typo_of_rollback_offers_the_command_and_runs_nothing() -> None:
    parsed = parse("rollbak web-prod")
    assert (parsed.name, parsed.slots.topic) == (IntentName.UNKNOWN, "rollback web-prod")


def test_help_has_deploy_and_rollback_pages_and_lists_them() -> None:
    assert "deploy web v2.4 to prod" in help_text("deploy")
    assert "rollback web-staging to v2.2" in help_text("rollback")
    assert help_text("roll back") == help_text("rollback") and topic_of("release") == "deploy"
    topics = help_text(None).splitlines()[-1]
    assert "deploy" in topics and "rollback" in topics
