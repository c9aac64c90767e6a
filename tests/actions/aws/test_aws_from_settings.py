"""opsbot configured for AWS the way an operator does it - an account and its regions in the settings, boto3's
own credential chain and AWS_ENDPOINT_URL - then used from chat: status, a scale confirmed and carried out."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import boto3
import pytest

from bot.runtime import Runtime
from core.models import ConversationRef, Reply
from core.settings import Settings
from tests.actions.aws.conftest import ACCOUNT, REGION, World, billed
from tests.conversation.conftest import button, outbox_after, speaker

ROOM = ConversationRef(channel="console", conversation_id="ops-room")


@pytest.fixture
def runtime(world: World, settings: Settings) -> Iterator[Runtime]:
    configured = settings.model_copy(update={"aws_accounts": [ACCOUNT], "cloud_poll_seconds": 0.05})
    rt = Runtime.build(configured, with_worker=True)
    assert rt.refresher is not None
    rt.refresher.refresh_all()
    yield rt
    rt.close()


def _say(rt: Runtime, text: str = "", *, user: str = "alice", press: str | None = None) -> list[Reply]:
    return speaker(rt)(text, user=user, press=press)


def test_status_and_a_scale_from_chat_on_aws(runtime: Runtime) -> None:
    status = _say(runtime, "status of aws")[0].text
    assert "AWS: 7 up, 0 stopped, 0 degraded - data" in status, status  # two regions
    asked = _say(runtime, "scale web prod to 5")
    assert asked[0].text.startswith("Scale: web-prod (AWS us-east-1): 3 -> 5 instances, about +$0.19/h"), asked[0].text
    _say(runtime, press=button(asked, "Confirm"))
    texts = [r.text for r in outbox_after(runtime)]
    assert any(t.startswith("Done: web-prod is at 5 instances") for t in texts), texts
    group = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups(
        AutoScalingGroupNames=["web-prod"]
    )["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 5
    assert "5 instances of m5.large" in _say(runtime, "show web-prod")[0].text


def test_stop_an_instance_needs_its_own_confirmation_and_is_audited(runtime: Runtime, world: World) -> None:
    asked = _say(runtime, "stop db-prod")
    assert asked[0].text.startswith("Stop: db-prod (AWS us-east-1): running -> stopped"), asked[0].text
    refused = _say(runtime, press=button(asked, "Approve"), user="bob")  # a stop in prod needs an admin
    assert refused[0].text == "bob is an operator: approving needs admin"
    _say(runtime, press=button(asked, "Approve"), user="carol")
    texts = [r.text for r in outbox_after(runtime)]
    assert any(t.startswith("Done: db-prod is stopped") for t in texts), texts
    state = boto3.client("ec2", region_name=REGION).describe_instances(InstanceIds=[world.ids["db-prod"]])
    assert state["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped"
    events = [record.event for record in runtime.conversation.services.audit.tail(20)]
    assert "confirmed" in events and "succeeded" in events


def test_without_a_cost_source_cost_shows_what_cost_explorer_billed_beside_the_estimate(
    world: World, settings: Settings
) -> None:
    """OPSBOT_COST_EXPLORER=false: no billed history (docs/cost.md); the list-price estimate answers, with the month
    so far as the backend's billing read found it."""
    configured = settings.model_copy(
        update={"aws_accounts": [ACCOUNT], "cloud_poll_seconds": 0.05, "cost_explorer": False}
    )
    runtime = Runtime.build(configured, with_worker=True)
    try:
        assert runtime.refresher is not None
        runtime.refresher.refresh_all()
        world.seed_costs([billed("2026-11-01", "2026-11-29", {
            "Amazon Elastic Compute Cloud - Compute": "1234.5", "Amazon Simple Storage Service": "12.35",
        })])  # fmt: skip
        runtime.refresher.refresh_billing()
        text = _say(runtime, "cost this month")[0].text
        yesterday = _say(runtime, "cost yesterday")[0].text
    finally:
        runtime.close()
    assert text.startswith("Cost this month: ")  # the list-price estimate first
    assert "AWS prod billed so far (Cost Explorer, 0 s ago): $1,247 - top EC2 - Compute $1,234" in text, text
    assert "billed" not in yesterday  # Cost Explorer's figure is for the month


def test_a_malformed_endpoint_url_is_one_named_line_in_status_and_the_log(
    world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", world.url.replace("http://", "http//"))
    configured = settings.model_copy(update={"aws_accounts": [ACCOUNT], "cloud_poll_seconds": 0.05})
    rt = Runtime.build(configured, with_worker=True)
    try:
        assert rt.refresher is not None
        rt.refresher.refresh_all()
        status = _say(rt, "status of aws")[0].text
    finally:
        rt.close()
    assert "DescribeInstances failed: ValueError (invalid endpoint URL) - check AWS_ENDPOINT_URL" in status, status
    assert "unexpected error" not in status
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert {r.getMessage() for r in warned} >= {
        f"AWS prod {region}: DescribeInstances failed: ValueError (invalid endpoint URL) - check AWS_ENDPOINT_URL"
        for region in ACCOUNT.regions
    }
    assert all(r.exc_info is None for r in warned), "no traceback at WARNING"
