"""Read intents and bad input through the conversation core, as a user sees them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from actions.costs.model import CostTable, today_number
from actions.costs.store import CostView
from audit.log import AuditEvent
from bot.runtime import Runtime
from conversation.replies import money
from tests.conversation.conftest import Say, button, outbox_after
from tests.eventually import eventually


def test_status_leads_with_the_verdict_and_shows_data_age(say: Say) -> None:
    [status] = say("status of prod", user="dave")
    first, *rest = status.text.splitlines()
    assert first.startswith("prod: ")
    assert any(line.startswith("AWS: ") and "data" in line and "old" in line for line in rest)


def test_search_pages_with_a_more_button(say: Say) -> None:
    [page] = say("find web", user="dave")
    assert page.text.startswith("10 of ")
    [page2] = say(press=button([page], "More"), user="dave")
    assert page2.text.startswith("11-20 of ")
    assert set(page.text.splitlines()[1:]).isdisjoint(page2.text.splitlines()[1:])


def test_show_resolves_spoken_names(say: Say) -> None:
    [shown] = say("show web prod", user="dave")
    assert shown.text.startswith("web-prod: running. AWS group, us-east-1, prod.")
    assert "12 instances" in shown.text and "DR standby: web-dr" in shown.text


def test_unknown_text_gets_a_one_line_hint(say: Say) -> None:
    [hint] = say("purple monkey dishwasher")
    assert len(hint.text.splitlines()) == 1 and "Try:" in hint.text


def test_a_negated_change_does_nothing_and_says_so(say: Say) -> None:
    [answer] = say("we should probably restart api-prod later")
    assert answer.text.startswith("I did nothing: that doesn't read as an order.") and not answer.buttons


def test_oversized_emoji_and_rtl_input_are_answered_plainly(say: Say) -> None:
    [big] = say("scale web-prod to 20 " + "x" * 40_000)
    assert big.kind == "refusal" and big.text.startswith("That message is too long (40,")
    assert say("🔥🔥 status 🔥")  # answered, whatever it understood
    assert say("מה המצב של prod؟ \u202e status")


def test_every_message_is_audited_received_then_parsed_without_secrets(runtime: Runtime, say: Say) -> None:
    say("status xoxb-1234567890-abcdefghijkl")
    records = runtime.conversation.services.audit.records()
    assert [r.event for r in records[:2]] == [AuditEvent.RECEIVED, AuditEvent.PARSED]
    assert "xoxb-1234567890" not in (runtime.conversation.services.settings.data_dir / "audit.jsonl").read_text()


def test_perf_reports_its_own_stages(say: Say) -> None:
    say("status")
    [perf] = say("perf")
    assert perf.text.splitlines()[0] == "My timings (p50 / p99):"
    assert any(line.startswith("parse: ") for line in perf.text.splitlines())


def test_perf_includes_the_workers_stages(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 13")
    say(press=button([ask], "Confirm"))
    outbox_after(runtime)
    [perf] = say("perf")
    stages = {line.split(":")[0] for line in perf.text.splitlines()[1:]}
    assert {"parse", "queue_wait", "execution"} <= stages


def _billed(runtime: Runtime) -> CostTable:
    """This month's rows of the runtime's cost cache (the simulated world's billed history), once its first read
    landed: the worker side reads a cold cache at start; the test reads it again and waits for it."""
    assert runtime.cost_refresher is not None
    runtime.cost_refresher.refresh_now()
    costs = runtime.conversation.services.costs

    def loaded() -> CostView | None:
        view = costs.load()
        return view if view is not None and view.has_data else None

    view = eventually(loaded, what="the first cost read")
    today = today_number(time.time())
    return view.table.between(today - datetime.now(UTC).day + 1, today)


def _paid(table: CostTable, column: str, label: str | None = None) -> str:
    """What the month's rows (of one provider or environment) add up to, as the answers write it."""
    rows = table if label is None else table.where(table.column(column).mask(label))
    return money(rows.total())


def test_cost_of_an_environment_is_that_environments_billed_rows(runtime: Runtime, say: Say) -> None:
    month = _billed(runtime)
    [whole] = say("cost this month")
    [prod] = say("cost of prod")
    assert whole.text.splitlines()[0] == f"Cost this month: {_paid(month, 'provider')}"
    assert prod.text.splitlines()[0] == f"Cost this month, prod: {_paid(month, 'environment', 'prod')}"
    assert whole.text.splitlines()[-1].startswith("Data: simulated ")


def test_cost_before_the_first_read_is_said_or_billed(say: Say) -> None:
    [answer] = say("cost this month")  # the refresher's first read is under way, or has just landed
    assert answer.text.startswith(("No cost data yet: ", "Cost this month: $")), answer.text
    assert "$0" not in answer.text.splitlines()[0]


@pytest.mark.parametrize(
    ("text", "head"),
    [
        ("how much does azure cost", "Cost this month, Azure: $"),
        ("cost of aws prod", "Cost this month, AWS prod: $"),
        ("cost of team=payments", "Cost this month, team=payments: $"),
        ("cost of web-prod", "Cost this month, web-prod: $"),
        ("forecast for prod", "Month-end forecast, prod: $"),
    ],
)
def test_cost_answers_for_the_scope_asked(runtime: Runtime, say: Say, text: str, head: str) -> None:
    _billed(runtime)
    [answer] = say(text)
    assert answer.text.startswith(head), answer.text
    assert "Data: simulated " in answer.text


def test_cost_of_one_cloud_is_split_by_service(runtime: Runtime, say: Say) -> None:
    month = _billed(runtime)
    [answer] = say("how much does aws cost")
    assert answer.text.splitlines()[0] == f"Cost this month, AWS: {_paid(month, 'provider', 'aws')}"
    assert answer.text.splitlines()[1].startswith("Amazon EC2 $"), answer.text
