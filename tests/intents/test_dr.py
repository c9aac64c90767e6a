"""Disaster recovery and incidents from chat (issue 15): what each phrasing is read as, with the slots the
conversation acts on; that a failback and what a running runbook is told are read only when ordered; and that the
commands around them still read as they did ("stop web-prod" is a stop, "resolve 42" the alert's, "stop" a
confirmation's)."""

from __future__ import annotations

import pytest

from core.models import CHANGING_INTENTS, IntentName
from intents.help import help_text, topic_of
from intents.parser import parse

S = dict[str, object]
I = IntentName  # noqa: E741 - the grammar's own short name
API = "api-prod"

PHRASES: list[tuple[str, IntentName, S]] = [
    ("fail back web-prod", I.FAILBACK, {"target": "web-prod"}),
    ("failback web", I.FAILBACK, {"target": "web"}),
    ("fail web back to prod", I.FAILBACK, {"target": "web"}),
    ("fail back web-prod to the primary", I.FAILBACK, {"target": "web-prod"}),
    ("can you fail back web-prod?", I.FAILBACK, {"target": "web-prod"}),  # a request
    ("failback", I.FAILBACK, {}),  # the conversation asks which service
    ("dr drill web-prod", I.DR_DRILL, {"target": "web-prod"}),
    ("run a dr drill of web", I.DR_DRILL, {"target": "web"}),
    ("drill the web failover", I.DR_DRILL, {"target": "web"}),
    ("failover drill api-prod", I.DR_DRILL, {"target": "api-prod"}),
    ("dr drill", I.DR_DRILL, {}),
    ("dr status", I.DR_STATUS, {}),
    ("how is dr", I.DR_STATUS, {}),
    ("is dr ready", I.DR_STATUS, {}),
    ("is dr ready?", I.DR_STATUS, {}),
    ("are we ready for failover?", I.DR_STATUS, {}),
    ("pause the failover", I.PAUSE_RUNBOOK, {}),
    ("hold the runbook", I.PAUSE_RUNBOOK, {}),
    ("pause the web failover", I.PAUSE_RUNBOOK, {"target": "web"}),
    ("put the failover on hold", I.PAUSE_RUNBOOK, {}),
    ("resume the failover", I.RESUME_RUNBOOK, {}),
    ("continue the runbook", I.RESUME_RUNBOOK, {}),
    ("abort the failover", I.ABORT_RUNBOOK, {}),
    ("stop the failover", I.ABORT_RUNBOOK, {}),
    ("cancel the drill", I.ABORT_RUNBOOK, {}),
    ("abort the failback", I.ABORT_RUNBOOK, {}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), PHRASES, ids=[p[0] for p in PHRASES])
def test_a_dr_command_is_read_with_what_it_names(text: str, intent: IntentName, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (intent, slots)
    assert parsed.confidence >= 0.95


INCIDENTS: list[tuple[str, IntentName, S]] = [
    (
        "declare sev1 web-prod down",
        I.DECLARE,
        {"severity": "sev1", "note": "web-prod down", "target": "web-prod"},
    ),
    ("declare an incident: checkout failing", I.DECLARE, {"note": "checkout failing"}),
    ("declare sev2 payments slow", I.DECLARE, {"severity": "sev2", "note": "payments slow"}),
    ("declare SEV-3 search is flaky", I.DECLARE, {"severity": "sev3", "note": "search is flaky"}),
    ("declare severity one api-prod 500s", I.DECLARE, {"severity": "sev1", "note": "api-prod 500s", "target": API}),
    ("declare an incident", I.DECLARE, {}),  # the conversation asks what is wrong
    ("inc 7 update db replica lagging", I.INCIDENT_UPDATE, {"incident_id": 7, "note": "db replica lagging"}),
    ("incident 7: update Replica lagging", I.INCIDENT_UPDATE, {"incident_id": 7, "note": "Replica lagging"}),
    ("inc seven update db replica lagging", I.INCIDENT_UPDATE, {"incident_id": 7, "note": "db replica lagging"}),
    ("inc four two update dns moved", I.INCIDENT_UPDATE, {"incident_id": 42, "note": "dns moved"}),
    ("update inc 12 with standby healthy", I.INCIDENT_UPDATE, {"incident_id": 12, "note": "standby healthy"}),
    ("inc 7 timeline", I.INCIDENT_TIMELINE, {"incident_id": 7}),
    ("timeline of inc 7", I.INCIDENT_TIMELINE, {"incident_id": 7}),
    ("show the timeline for incident 3", I.INCIDENT_TIMELINE, {"incident_id": 3}),
    (
        "resolve inc 7 replica promoted and traffic back",
        I.RESOLVE_INCIDENT,
        {"incident_id": 7, "note": "replica promoted and traffic back"},
    ),
    ("close incident 7 all good", I.RESOLVE_INCIDENT, {"incident_id": 7, "note": "all good"}),
    ("resolve inc 7", I.RESOLVE_INCIDENT, {"incident_id": 7}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), INCIDENTS, ids=[p[0] for p in INCIDENTS])
def test_an_incident_command_keeps_its_number_and_the_users_words(text: str, intent: IntentName, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (intent, slots)


def test_a_note_as_long_as_a_message_is_kept_whole() -> None:
    words = " ".join(["replica lagging behind"] * 6)  # 18 words: a message is read up to 24
    parsed = parse(f"inc 7 update {words}")
    assert (parsed.name, parsed.slots.note) == (I.INCIDENT_UPDATE, words)


NOT_ORDERS = [
    "did we fail back?",
    "did we fail back web-prod?",
    "should we fail back web-prod?",
    "when do we fail back web-prod",
    "bob failed back web-prod",
    "don't fail back web-prod",
    "fail back web-prod, no wait",
    "if the replica catches up we fail back web-prod",
    "did we abort the failover?",
    "should i pause the failover?",
    "don't abort the failover",
]


@pytest.mark.parametrize("text", NOT_ORDERS)
def test_a_failback_or_a_runbook_control_is_read_only_when_ordered(text: str) -> None:
    parsed = parse(text)
    orders = CHANGING_INTENTS | {I.PAUSE_RUNBOOK, I.RESUME_RUNBOOK, I.ABORT_RUNBOOK}
    assert parsed.name not in orders, parsed.slots.present()


NEIGHBOURS: list[tuple[str, IntentName, S]] = [
    ("stop web-prod", I.STOP, {"target": "web-prod"}),
    ("pause web-prod", I.STOP, {"target": "web-prod"}),
    ("stop", I.CANCEL, {}),
    ("abort", I.CANCEL, {}),
    ("continue", I.MORE, {}),
    ("resolve 42", I.RESOLVE, {"alert_id": 42}),
    ("alert 42", I.ALERTS, {"alert_id": 42}),
    ("fail over web-prod to dr", I.FAILOVER, {"target": "web-prod", "destination": "dr"}),
    ("fail over web-prod", I.FAILOVER, {"target": "web-prod"}),
    ("pause deploy web", I.PAUSE_DEPLOY, {"target": "web"}),
    ("stop the deploy", I.CANCEL_DEPLOY, {}),
    ("status of api-dr", I.STATUS, {"target": "api-dr"}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), NEIGHBOURS, ids=[p[0] for p in NEIGHBOURS])
def test_the_commands_around_dr_read_as_before(text: str, intent: IntentName, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (intent, slots)


def test_a_slip_never_makes_a_runbook_control() -> None:
    for text in ("abrot the failover", "stpo the failover", "puase the failover"):
        assert parse(text).name not in {I.PAUSE_RUNBOOK, I.ABORT_RUNBOOK, I.RESUME_RUNBOOK}, text


def test_help_dr_and_help_incident_show_their_commands() -> None:
    assert topic_of("failback") == "dr" and topic_of("incident") == "incident"
    assert parse("help dr").slots.topic == "dr"
    assert parse("help incident").slots.topic == "incident"
    assert "fail over web-prod" in help_text("dr")
    assert "inc 1 update" in help_text("incident")
