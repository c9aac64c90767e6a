"""A group's own limit changed from chat on AWS: boto3 -> the limit-enforcing proxy -> moto, with web-prod an Auto
Scaling group of 3 (min 0, max 10) and worker-prod of 2 (min 1, max 8). The typed "scale web-prod to 20 and raise
the max" and the button under the refusal of "scale web-prod to 12" both end in an approval card naming the new
maximum; an operator cannot approve it, carol can, and AWS then holds the new MaxSize with the new DesiredCapacity.
Without the words nothing reaches AWS."""

from __future__ import annotations

import boto3

from actions.multicloud import MultiCloud
from audit.log import AuditEvent
from bot.runtime import Runtime
from core.models import Reply
from fakes.aws_limits import AwsLimits
from tests.actions.aws.conftest import REGION, World
from tests.actions.aws.test_aws_limits import aws, clouds, limits
from tests.conversation.conftest import ROOM, button, outbox_after, speaker

__all__ = ["aws", "clouds", "limits"]  # the proxy, the backend behind it and opsbot in front (test_aws_limits)

CRITICAL = "Critical (change of a group's limits in prod): needs approval by an admin other than alice."


def _say(runtime: Runtime, text: str = "", *, user: str = "alice", press: str | None = None) -> list[Reply]:
    return speaker(runtime)(text, user=user, press=press)


def _sizes(world: World, name: str) -> tuple[int, int, int]:
    client = boto3.client("autoscaling", region_name=REGION, endpoint_url=world.url)
    group = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return int(group["MinSize"]), int(group["MaxSize"]), int(group["DesiredCapacity"])


def _approved_by_carol_only(runtime: Runtime, card: Reply) -> None:
    approve = button([card], "Approve")
    assert _say(runtime, press=approve)[0].text == "alice asked for this: another admin must approve it"
    assert _say(runtime, press=approve, user="bob")[0].text.startswith("bob is an operator")
    _say(runtime, press=approve, user="carol")
    outbox_after(runtime)


def test_the_typed_raise_of_the_maximum_reaches_aws_once_an_admin_approves(
    clouds: tuple[Runtime, MultiCloud], world: World, limits: AwsLimits
) -> None:
    runtime, _provider = clouds
    [card] = _say(runtime, "scale web-prod to 20 and raise the max")
    assert card.kind == "confirm", card.text
    assert card.text.startswith("Scale: web-prod (AWS us-east-1): 3 -> 20 instances, max 10 -> 20"), card.text
    assert CRITICAL in card.text
    assert _sizes(world, "web-prod") == (0, 10, 3)  # nothing before the approval
    _approved_by_carol_only(runtime, card)
    assert _sizes(world, "web-prod") == (0, 20, 20)
    assert limits.refused == []


def test_the_button_under_the_refusal_leads_to_the_same_approval(
    clouds: tuple[Runtime, MultiCloud], world: World, limits: AwsLimits
) -> None:
    runtime, _provider = clouds
    [refused] = _say(runtime, "scale web-prod to 12")
    assert refused.text == (
        "web-prod's maximum is 10 (Auto Scaling group): ask for 10 or less, or raise the maximum in AWS first"
    )
    [offer] = refused.buttons
    assert offer.label == "Raise max to 12 and scale (admin approves)"
    [card] = _say(runtime, press=offer.id)
    assert card.kind == "confirm" and ", max 10 -> 12" in card.text and CRITICAL in card.text, card.text
    _approved_by_carol_only(runtime, card)
    assert _sizes(world, "web-prod") == (0, 12, 12)
    assert limits.refused == []
    records = runtime.conversation.services.audit.records()
    [offered] = [r for r in records if r.event is AuditEvent.REFUSED and r.what == "scale web-prod to 12"]
    assert offered.outcome == refused.text
    [asked] = [r for r in records if r.event is AuditEvent.APPROVAL_ASKED]
    assert (asked.actor, asked.params["new_max_count"], asked.params["desired_count"]) == ("alice", 12, 12)
    assert asked.params["effect"] == "change of a group's limits in prod"


def test_lowering_the_minimum_takes_a_group_to_zero(clouds: tuple[Runtime, MultiCloud], world: World) -> None:
    runtime, _provider = clouds
    [card] = _say(runtime, "scale worker-prod to 0 and lower the min")
    assert card.kind == "confirm" and ", min 1 -> 0" in card.text and "Critical" in card.text, card.text
    _approved_by_carol_only(runtime, card)
    assert _sizes(world, "worker-prod") == (0, 8, 0)


def test_without_the_words_nothing_reaches_aws(
    clouds: tuple[Runtime, MultiCloud], world: World, limits: AwsLimits
) -> None:
    runtime, _provider = clouds
    for text in ("scale web-prod to 20", "should I raise the max of web-prod?", "scale web-prod to 20, raise max"):
        [answer] = _say(runtime, text)
        assert answer.kind != "confirm", (text, answer.text)
    assert runtime.conversation.services.confirmations.latest(ROOM) is None
    assert _sizes(world, "web-prod") == (0, 10, 3) and limits.refused == []
