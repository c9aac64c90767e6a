"""A drill and "dr status" from chat, and the failback's preview: the shipped runbooks with every expected time cut to
3 s (a drill's simulated change then lasts 0.05 s), an in-process worker and the runbook watcher looking every
0.05 s. A drill reads and checks for real and changes nothing: the standby stays at 0, DNS stays on the primary, and
"dr status" shows the drill with its RTO afterwards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.runtime import Runtime
from core.settings import Settings
from policies.runbooks import SHIPPED
from tests.conversation.conftest import Say, SayFactory, button, outbox_after
from tests.conversation.test_deploys import edited
from tests.eventually import eventually


@pytest.fixture
def dr(settings: Settings, say_factory: SayFactory, tmp_path: Path) -> tuple[Runtime, Say]:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    for shipped in SHIPPED.glob("*.yaml"):
        quick = re.sub(r"expect_seconds: \d+", "expect_seconds: 3", shipped.read_text())
        (folder / shipped.name).write_text(quick)
    return say_factory(settings.model_copy(update={"runbook_poll_seconds": 0.05, "runbooks": folder}))


def test_dr_status_before_any_drill(dr: tuple[Runtime, Say]) -> None:
    _runtime, say = dr
    (status,) = say("dr status", user="dave")  # a viewer may read it
    assert status.text.splitlines() == [
        "DR status, 1 protected:",
        "web: web-prod -> web-dr",
        "  standby 0 of 12 instances (web-prod (AWS us-east-1): 12/12 running; web-dr (Azure westeurope): 0 instances)",
        "  no drill yet: dr drill web-prod",
        "  DNS www.wedding.example. -> web-prod",
    ]


def test_a_drill_is_confirmed_by_who_asked_changes_nothing_and_reports_its_rto(dr: tuple[Runtime, Say]) -> None:
    runtime, say = dr
    (refused,) = say("dr drill web-prod", user="dave")
    assert refused.kind == "refusal"

    (preview,) = say("dr drill web", user="bob")
    lines = preview.text.splitlines()
    assert lines[0] == "Drill of web-failover: Fail web-prod over to web-dr (dry run)"
    assert "Drill: every read and check runs; every change is simulated and timed. Nothing changes." in lines
    assert lines[-1].startswith("Confirm within ")
    (other,) = say(user="carol", press=button([preview], "Confirm"))  # a drill is its asker's to confirm
    assert other.kind == "refusal" and other.text == "Only bob can confirm their drill."

    assert say(user="bob", press=button([preview], "Confirm")) == []
    edited(runtime, preview.key, lambda text: text.startswith("Confirmed by bob"))
    first = edited(runtime, preview.key, lambda text: "waiting for a person" in text)
    (ticked,) = say(user="carol", press=button([first], "Done: Confirm the database replica"))
    assert ticked.text.startswith("Ticked step 4 of drill ")
    second = edited(runtime, preview.key, lambda text: "[x] 4." in text and "waiting for a person" in text)
    say(user="bob", press=button([second], "Done: Tell the wedding"))
    edited(runtime, preview.key, lambda text: text.startswith("Drill ") and " - done" in text.splitlines()[0])

    services = runtime.conversation.services
    assert services.provider.get("web-dr").count == 0  # nothing scaled
    (status,) = say("dr status", user="dave")
    assert re.search(r"  last drill #\d+ passed, RTO about ", status.text), status.text
    assert "  DNS www.wedding.example. -> web-prod" in status.text  # nothing switched


def standby_takes_traffic(runtime: Runtime) -> None:
    """DNS at web-dr, as a failover leaves it."""
    services = runtime.conversation.services
    target = services.runbooks["web-failback"].dns
    assert target is not None
    services.dns[None].point(target, "web-dr")


def test_a_failback_is_refused_while_traffic_is_on_the_primary(dr: tuple[Runtime, Say]) -> None:
    _runtime, say = dr
    (refused,) = say("fail back web-prod")
    assert refused.kind == "refusal"
    assert refused.text == "Cannot fail back web: precondition failed - DNS points at web-prod, not web-dr."


def test_a_drill_lists_the_preconditions_a_real_run_would_fail_and_goes_on(dr: tuple[Runtime, Say]) -> None:
    runtime, say = dr
    standby_takes_traffic(runtime)
    (preview,) = say("dr drill web", user="bob")
    assert preview.kind == "confirm"
    assert (
        "Preconditions: 1 failed - a real fail over would be refused: DNS points at web-dr, not web-prod."
        in preview.text.splitlines()
    )
    assert say(user="bob", press=button([preview], "Confirm")) == []
    first = edited(runtime, preview.key, lambda text: "waiting for a person" in text)
    say(user="carol", press=button([first], "Done: Confirm the database replica"))
    second = edited(runtime, preview.key, lambda text: "[x] 4." in text and "waiting for a person" in text)
    say(user="bob", press=button([second], "Done: Tell the wedding"))
    report = eventually(
        lambda: next(
            (r for r in outbox_after(runtime) if r.reply_to == preview.key and "RTO estimate" in r.text), None
        ),
        what="the drill's report",
    )
    assert "Would have failed: preconditions: DNS points at web-dr, not web-prod" in report.text


def test_a_failback_is_previewed_whole_and_needs_a_second_admin(dr: tuple[Runtime, Say]) -> None:
    runtime, say = dr
    standby_takes_traffic(runtime)
    (preview,) = say("fail back web-prod")
    lines = preview.text.splitlines()
    assert "Preconditions: all 2 hold." in lines
    assert lines[0] == "Failback: Fail web back from web-dr to web-prod: web-prod 12, web-dr 0 instances"
    assert lines[1].startswith("Runbook web-failback (9 steps, about ")
    assert "  2. Scale web-prod back to its size: web-prod 12 -> 12, about 3 s" in lines
    assert lines[-1].startswith("Critical: needs approval by an admin other than alice.")
    (nothing,) = say("fail back db-prod")
    assert nothing.kind == "error" and nothing.text.startswith("No failback runbook protects db-prod")
