"""The phone dashboard's board, built for a user from a whole opsbot on the real test Redis and the simulated world:
what an admin and a viewer may do, an alert acknowledged from chat, a drill waiting for a person, a deploy, an
incident, an on-call override taken from chat, and costs not read yet. Everything happens the way chat does it; the
board is read as the app reads it (its JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from actions.dr.model import RunbookRequest, RunbookRun, StepRun
from alerts.model import Incoming, Severity
from bot.runtime import Runtime
from conversation.board import Board, build_board, section
from core.settings import Settings
from tests.conversation.conftest import ROOM, Say, SayFactory, button
from tests.conversation.test_deploys import deploy_settings, edited
from tests.eventually import eventually

SAMPLE = Path(__file__).with_name("board_sample.json")


def board(runtime: Runtime, user: str) -> dict[str, Any]:
    """The board as the app receives it."""
    shown: dict[str, Any] = json.loads(build_board(runtime.conversation.services, user).model_dump_json())
    return shown


def test_an_admin_may_act_and_a_viewer_sees_the_same_picture_without_a_button(runtime: Runtime) -> None:
    admin, viewer = board(runtime, "carol"), board(runtime, "dave")
    assert admin["user"] == {"name": "carol", "role": "admin"} and viewer["user"] == {"name": "dave", "role": "viewer"}
    assert admin["health"] == viewer["health"] and admin["health"]
    clouds = {(row["cloud"], row["environment"]) for row in admin["health"]}
    assert {("aws", "prod"), ("azure", "prod"), ("gcp", "prod")} <= clouds
    for row in admin["health"]:
        assert row["total"] == sum(row["counts"].values()) and list(row["counts"]) == row["states"]
        assert row["worst"] in ("ok", "degraded", "down", "unknown")
    order = ["down", "unknown", "degraded", "ok"]
    assert [order.index(r["worst"]) for r in admin["health"]] == sorted(
        order.index(r["worst"]) for r in admin["health"]
    )
    degraded = next(r for r in admin["health"] if r["worst"] == "degraded")
    assert degraded["states"][0] == "degraded" and degraded["problem"]  # worst state first, status's words

    assert admin["can_act"] is True
    assert {"label": "Fail over web", "command": "fail over web-prod", "danger": True} in admin["emergency"]
    assert {"label": "Emergency scale web-prod", "command": "emergency scale web-prod", "danger": True} in admin[
        "emergency"
    ]
    assert viewer["can_act"] is False and viewer["emergency"] == []


def test_costs_not_read_yet_are_a_problem_line_and_the_rest_is_shown(runtime: Runtime) -> None:
    shown = board(runtime, "alice")
    assert shown["cost"] is None and shown["problems"] == ["costs: no data yet"]
    assert shown["health"] and shown["oncall"]

    assert runtime.cost_refresher is not None
    runtime.cost_refresher.refresh_now()  # the first board asked the worker side to read: this waits for it
    read = eventually(lambda: (b := board(runtime, "alice"))["cost"] and b, what="the board with costs")
    assert read["problems"] == []
    cost = read["cost"]
    assert cost["currency"] == "USD" and cost["month_to_date"] > 0 and cost["forecast"] >= cost["month_to_date"]
    assert cost["problem"] is None


def test_open_alerts_critical_first_with_who_acknowledged_and_who_may(runtime: Runtime, say: Say) -> None:
    desk = runtime.alerting.desk
    desk.ingest([Incoming(source="generic", fingerprint="disk", severity=Severity.WARNING,
                          summary="disk 85% full", resource="db-prod")])  # fmt: skip
    desk.ingest([Incoming(source="generic", fingerprint="5xx", severity=Severity.CRITICAL,
                          summary="5xx above 5%", resource="web-prod")])  # fmt: skip
    (acked,) = say("ack 1", user="bob")
    assert "acknowledged" in acked.text

    alerts = board(runtime, "alice")["alerts"]
    assert [(a["id"], a["severity"], a["state"]) for a in alerts] == [
        ("2", "critical", "firing"),
        ("1", "warning", "acked"),
    ]
    assert alerts[1]["acked_by"] == "bob" and alerts[1]["title"] == "disk 85% full"
    assert [a["can_ack"] for a in alerts] == [True, False]  # an acknowledged one has nothing left to ack
    assert [a["can_ack"] for a in board(runtime, "dave")["alerts"]] == [False, False]
    assert section(runtime.conversation.services, "alice", "alerts") == alerts

    say("resolve 2", user="bob")
    assert [a["id"] for a in board(runtime, "alice")["alerts"]] == ["1"]


def test_a_drill_waiting_for_a_person_shows_how_far_it_got(runtime: Runtime) -> None:
    """The run as the runbook's workers write it: created on approval, its steps ticked through the RunBook."""
    services = runtime.conversation.services
    runbook = services.runbooks["web-failover"]
    request = RunbookRequest(runbook=runbook.name, runbook_hash="test", kind="drill", service=runbook.service,
                             primary=runbook.primary, standby=runbook.standby, primary_size=12, standby_size=0,
                             requested_by="bob")  # fmt: skip
    created = services.runs.create(request, ROOM, "key-1", approved_by=None, steps=len(runbook.steps))
    done = StepRun(status="done", started_at=1.0, finished_at=2.0)

    def three_done(run: RunbookRun) -> RunbookRun:
        steps = (done, done, done, StepRun(status="waiting"), *run.steps[4:])
        return run.model_copy(update={"state": "waiting_human", "step": 3, "steps": steps})

    services.runs.update(created.id, three_done)

    (run,) = board(runtime, "dave")["runs"]
    assert run["title"] == "Fail web-prod over to web-dr" and run["drill"] is True
    assert run["state"] == "waiting_human" and run["current"] == runbook.steps[3].name
    assert run["done"] == 3 and run["total"] == len(runbook.steps)


def test_a_deploy_shows_its_progress_and_stays_an_hour_once_done(runtime: Runtime, say_factory: SayFactory) -> None:
    rt, say = say_factory(deploy_settings(runtime.settings))
    (preview,) = say("deploy web v2.4 to staging")
    say(press=button([preview], "Confirm"))
    edited(rt, preview.key, lambda text: text.startswith("Done:"))
    (deploy,) = board(rt, "alice")["deploys"]
    assert {k: deploy[k] for k in ("service", "environment", "version", "state", "percent")} == {
        "service": "web", "environment": "staging", "version": "v2.4", "state": "succeeded", "percent": 100,
    }  # fmt: skip


def test_an_incident_is_on_the_board_until_resolved(runtime: Runtime, say: Say) -> None:
    say("declare sev1 web-prod down")
    (incident,) = board(runtime, "dave")["incidents"]
    assert {k: incident[k] for k in ("id", "severity", "title", "state")} == {
        "id": "1", "severity": "sev1", "title": "web-prod down", "state": "open",
    }  # fmt: skip
    say("resolve inc 1 traffic back")
    assert board(runtime, "dave")["incidents"] == []


def test_on_call_now_and_next_and_an_override_taken_from_chat(runtime: Runtime, say: Say) -> None:
    (before,) = board(runtime, "dave")["oncall"]
    assert before["schedule"] == "primary" and before["now"] and before["next"] and before["next_at"]
    assert before["next"] != before["now"]
    taker = next(p for p in ("alice", "bob") if p != before["now"])
    (taken,) = say("I'll take tonight", user=taker)
    assert taken.text.startswith("You have the primary pager")
    (after,) = board(runtime, "dave")["oncall"]
    assert after["now"] == taker  # as the escalation pages
    assert (after["next"], after["next_at"]) == (None, None)  # when the override ends is the escalation's to say


def test_an_unknown_section_is_refused(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="no board section"):
        section(runtime.conversation.services, "alice", "weather")


def test_the_sample_board_the_front_end_is_built_against_is_a_board() -> None:
    sample = json.loads(SAMPLE.read_text())
    assert Board.model_validate(sample).model_dump(mode="json") == sample
    assert all(sample[k] for k in ("health", "alerts", "runs", "deploys", "incidents", "oncall", "emergency"))


def write_sample(redis_url: str) -> None:
    """Write board_sample.json from the simulated world with something in every section (run it after a change to
    the model: `python -m tests.conversation.test_board redis://127.0.0.1:6379/9`; it empties that database)."""
    import tempfile

    import redis

    from core.settings import Settings
    from tests.conversation.conftest import speaker

    redis.Redis.from_url(redis_url).flushdb()
    with tempfile.TemporaryDirectory() as data:
        settings = deploy_settings(Settings(redis_url=redis_url, data_dir=Path(data), sim_step_seconds=0.01))
        runtime = Runtime.build(settings, with_worker=True)
        try:
            say = speaker(runtime)
            desk = runtime.alerting.desk
            desk.ingest([Incoming(source="generic", fingerprint="5xx", severity=Severity.CRITICAL,
                                  summary="5xx above 5% on web-prod", resource="web-prod")])  # fmt: skip
            desk.ingest([Incoming(source="generic", fingerprint="disk", severity=Severity.WARNING,
                                  summary="disk 85% full", resource="db-prod")])  # fmt: skip
            say("ack 2", user="bob")
            test_a_drill_waiting_for_a_person_shows_how_far_it_got(runtime)
            (preview,) = say("deploy web v2.4 to staging")
            say(press=button([preview], "Confirm"))
            edited(runtime, preview.key, lambda text: text.startswith("Done:"))
            say("declare sev1 web-prod down")
            assert runtime.cost_refresher is not None
            runtime.cost_refresher.refresh_now()
            shown = eventually(lambda: (b := board(runtime, "carol"))["cost"] and b, what="costs")
            SAMPLE.write_text(json.dumps(shown, indent=1) + "\n")
        finally:
            runtime.close()


if __name__ == "__main__":
    import sys

    write_sample(sys.argv[1])


def test_a_broken_runbook_file_empties_its_sections_only(settings: Settings, say_factory: SayFactory) -> None:
    folder = settings.data_dir.parent / "broken-runbooks"
    folder.mkdir()
    (folder / "web-failover.yaml").write_text("name: web-failover\nsteps: [\n")
    runtime, _say = say_factory(settings.model_copy(update={"runbooks": folder}))
    shown = board(runtime, "carol")
    assert shown["runs"] == [] and shown["emergency"] == []
    broken = [line for line in shown["problems"] if not line.startswith("costs:")]
    assert len(broken) == 1 and broken[0].startswith("emergency: "), broken  # no run to name: runs reads fine
    assert shown["health"] and shown["oncall"] and shown["can_act"] is True
