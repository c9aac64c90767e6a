"""Read intents and bad input through the conversation core, as a user sees them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actions.provider import Resource
from audit.log import AuditEvent
from bot.runtime import Runtime
from conversation.replies import money
from tests.conversation.conftest import Say, button, outbox_after


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


def _hourly(runtime: Runtime, keep: Callable[[Resource], bool]) -> str:
    """What the resources the user means cost per hour, from the inventory the provider holds."""
    resources = runtime.conversation.services.provider.snapshot().resources
    return money(sum(r.hourly_cost for r in resources if r.kind != "group" and keep(r)))


def test_cost_of_an_environment_is_that_environment_and_an_estimate(runtime: Runtime, say: Say) -> None:
    [whole] = say("cost this month")
    [prod] = say("cost of prod")
    assert whole.text.startswith("Cost this month: ") and " - estimate from list prices." in whole.text
    assert prod.text.startswith("Cost this month, prod: "), prod.text
    assert f"({_hourly(runtime, lambda r: r.environment == 'prod')}/h now)" in prod.text
    assert f"({_hourly(runtime, lambda r: True)}/h now)" in whole.text


@pytest.mark.parametrize(
    ("text", "head", "keep"),
    [
        ("how much does azure cost", "Cost this month, Azure: ", lambda r: r.cloud == "azure"),
        ("cost of aws prod", "Cost this month, AWS prod: ", lambda r: r.cloud == "aws" and r.environment == "prod"),
        ("cost of team=payments", "Cost this month, team=payments: ", lambda r: r.tags.get("team") == "payments"),
        ("cost of web-prod", "Cost this month, web-prod: ", lambda r: r.group == "web-prod"),
        ("forecast for prod", "Month-end forecast, prod: ", lambda r: r.environment == "prod"),
    ],
)
def test_cost_answers_for_the_scope_asked(
    runtime: Runtime, say: Say, text: str, head: str, keep: Callable[[Resource], bool]
) -> None:
    [answer] = say(text)
    assert answer.text.startswith(head), answer.text
    assert f"{_hourly(runtime, keep)}/h" in answer.text.splitlines()[0]
    assert "estimate from list prices" in answer.text.splitlines()[0]


def test_cost_of_one_cloud_is_split_by_region(say: Say) -> None:
    [answer] = say("how much does aws cost")
    assert answer.text.splitlines()[1].startswith(("us-east-1 ", "us-west-2 ", "eu-west-1 ")), answer.text
