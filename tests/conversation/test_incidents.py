"""Incidents from the console, through the whole opsbot: declare (posted to the incident channels), updates fanned
out with who and when, the timeline with an alert acknowledged (read from the audit), the resolution's durations
and its Markdown timeline, a viewer refused, an unknown number."""

from __future__ import annotations

import pytest

from alerts.model import Incoming, Severity
from audit.log import AuditEvent, JsonScalar
from bot.runtime import Runtime
from core import blobs
from core.models import ConversationRef, Reply
from core.settings import Settings
from tests.conversation.conftest import Say, SayFactory

INCIDENT_ROOM = ConversationRef(channel="console", conversation_id="incident-room")


@pytest.fixture
def stack(settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    return say_factory(settings.model_copy(update={"incident_channels": ["console:incident-room"]}))


def posted(runtime: Runtime, ref: ConversationRef = INCIDENT_ROOM) -> list[str]:
    return [r.text for _, r in runtime.outbox.read(ref.channel, "0-0") if r.ref.conversation_id == ref.conversation_id]


def one(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


def test_declare_posts_to_the_incident_channels_and_updates_fan_out(stack: tuple[Runtime, Say]) -> None:
    runtime, say = stack
    declared = one(say("declare sev1 web-prod down"))
    assert declared.text.startswith("Incident 1 (sev1): web-prod down")
    assert "console:incident-room" in declared.text  # where it was posted
    assert any(t.startswith("Incident 1 (sev1) on web-prod: web-prod down") for t in posted(runtime))
    again = one(say("declare sev2 web-prod still down", user="bob"))
    assert again.kind == "refusal" and "already has incident 1 open" in again.text

    update = one(say("inc 1 update db replica lagging", user="bob"))
    assert update.kind == "result" and "bob at" in update.text
    assert update.text.endswith("Sent to console:incident-room.")
    fanned = [t for t in posted(runtime) if "db replica lagging" in t]
    assert len(fanned) == 1 and fanned[0].startswith("Inc 1 (sev1, web-prod down) - bob at ")


def test_timeline_and_resolution_read_the_acknowledged_alert_from_the_audit(stack: tuple[Runtime, Say]) -> None:
    runtime, say = stack
    desk = runtime.alerting.desk
    desk.ingest([Incoming(source="generic", fingerprint="web-5xx", severity=Severity.CRITICAL,
                          summary="5xx above 5%", resource="web-prod")])  # fmt: skip
    desk.ingest([Incoming(source="generic", fingerprint="db-disk", severity=Severity.CRITICAL,
                          summary="disk full", resource="db-prod")])  # fmt: skip
    say("declare sev1 web-prod down")
    web, db = 1, 2
    assert "acknowledged" in desk.acknowledge(db, "carol", "console")  # another service's: not on the timeline
    assert "acknowledged" in desk.acknowledge(web, "bob", "console")
    say("inc 1 update failing over", user="bob")

    timeline = one(say("inc 1 timeline", user="dave")).text  # a viewer may read it
    lines = timeline.splitlines()
    assert lines[0] == "Inc 1 (sev1): web-prod down - open"
    assert "declared sev1: web-prod down (by alice)" in lines[1]
    assert any(f"alert {web} acknowledged by bob: 5xx above 5%" in line for line in lines)
    assert lines[-1].endswith("bob: failing over")  # newest last
    assert "disk full" not in timeline

    resolved = one(say("resolve inc 1 replica promoted and traffic back"))
    text = resolved.text.splitlines()
    assert text[0] == "Incident 1 (sev1) resolved by alice: replica promoted and traffic back"
    assert text[2].startswith("Time to acknowledge: ") and text[2].endswith(f"(alert {web} by bob)")
    assert text[3] == "Time to mitigate: -" and text[4].startswith("Time to resolve: ")
    assert resolved.attachment is not None and resolved.attachment.filename == "inc-1-timeline.md"
    data = blobs.get(runtime.connection, resolved.attachment.blob_key)
    assert data is not None
    markdown = data.decode()
    assert markdown.startswith("# Incident 1 (sev1): web-prod down\n")
    assert f"alert {web} acknowledged by bob" in markdown and "resolved by alice: replica promoted" in markdown
    assert any(t.startswith("Incident 1 (sev1) resolved by alice") for t in posted(runtime))
    assert "already resolved by alice" in one(say("resolve inc 1 again", user="bob")).text


def test_a_viewer_may_not_declare_and_an_unknown_number_is_one_line(stack: tuple[Runtime, Say]) -> None:
    runtime, say = stack
    refused = one(say("declare sev1 web-prod down", user="dave"))
    assert refused.kind == "refusal" and "declaring incidents" in refused.text
    assert posted(runtime) == []
    unknown = one(say("inc 99 timeline"))
    assert unknown.text == "No incident 99. None is open."


def test_time_to_mitigate_is_the_first_successful_runbook_not_a_drill(stack: tuple[Runtime, Say]) -> None:
    runtime, say = stack
    say("declare sev1 web-prod down")
    audit = runtime.conversation.services.audit
    for number, kind in ((3, "drill"), (4, "run")):  # as the runbook engine records a run's end
        params: dict[str, JsonScalar] = {"run_id": number, "runbook": "web-failover", "kind": kind, "service": "web",
                                         "primary": "web-prod", "standby": "web-dr", "incident": None}  # fmt: skip
        audit.note(AuditEvent.SUCCEEDED, actor="alice", where="console:ops-room",
                   what=f"failover {number}: web-failover (web-prod -> web-dr)", params=params)  # fmt: skip
    audit.note(AuditEvent.SUCCEEDED, actor="bob", where="console:ops-room", what="api-prod scale",
               params={"action": "failover", "resource_name": "api-prod"})  # another service's  # fmt: skip
    timeline = one(say("inc 1 timeline")).text
    assert "failover 4: web-failover (web-prod -> web-dr) done (alice)" in timeline and "api-prod" not in timeline
    resolved = one(say("resolve inc 1 traffic on web-dr")).text.splitlines()
    assert resolved[3].startswith("Time to mitigate: ")
    assert resolved[3].endswith("(failover 4: web-failover (web-prod -> web-dr))")
    assert resolved[2] == "Time to acknowledge: none acked"


def test_a_long_update_keeps_every_word(stack: tuple[Runtime, Say]) -> None:
    runtime, say = stack
    say("declare sev1 web-prod down")
    note = (
        "db replica lagging since 14:02, failover of the payments database to the standby region is under way, "
        "the wedding coordinators were told at 14:10 and the next update comes once traffic is back on web-prod"
    )
    assert len(note.split()) > 30  # longer than the parser reads
    update = one(say(f"inc 1 update {note}", user="bob"))
    assert update.kind == "result" and update.text.startswith("Inc 1 (sev1, web-prod down) - bob at ")
    assert note in update.text
    assert any(t.endswith(f"bob: {note}") or note in t for t in posted(runtime))
    timeline = one(say("inc 1 timeline")).text
    assert timeline.splitlines()[-1].endswith(f"bob: {note}")
