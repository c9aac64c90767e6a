"""A name several resources carry, on a configured AWS account (boto3 against moto): the members of the Auto
Scaling group web-prod carry its Name tag, two instances are both called batch. What is about to change, and what
`show` and `status` are about, is named by instance id too ("web-prod i-0abc123 (AWS us-east-1)"), so nobody
confirms a stop of "web-prod" not knowing it is one member; a name that is a resource's own stays plain."""

from __future__ import annotations

from tests.actions.aws.conftest import REGION
from tests.conversation.test_ids_aws import Account, account, moto_url

__all__ = ["account", "moto_url"]  # the AWS account of the id tests, on the session's moto server


def test_a_member_s_plan_names_its_instance_id(account: Account) -> None:
    member = account.members()[0]
    [ask] = account.say(f"stop {member}")
    assert ask.text.startswith(f"Stop: web-prod {member} (AWS us-east-1): running -> stopped"), ask.text
    [ask] = account.say(f"restart {account.members()[1]}")
    assert ask.text.startswith(f"Restart: web-prod {account.members()[1]} (AWS us-east-1): restart"), ask.text


def test_instances_sharing_a_name_are_planned_by_id(account: Account) -> None:
    second = account.world.ids["batch 2"]
    [ask] = account.say(f"stop {second}")
    assert ask.text.startswith(f"Stop: batch {second} (AWS us-east-1): running -> stopped"), ask.text


def test_what_a_name_means_stays_plain(account: Account) -> None:
    [ask] = account.say("scale web-prod to 4")
    assert ask.text.startswith("Scale: web-prod (AWS us-east-1): 3 -> 4 instances"), ask.text
    [ask] = account.say("stop db-prod")  # the instance, not its volume of the same name
    assert f"db-prod (AWS {REGION}): running -> stopped" in ask.text, ask.text


def test_show_names_a_member_and_a_volume_by_id_in_its_first_line(account: Account) -> None:
    member = account.members()[0]
    [shown] = account.say(f"show {member}")
    assert shown.text.startswith(f"web-prod {member}: running. AWS instance, us-east-1, prod."), shown.text
    volume = account.world.ids["db-prod volume"]
    assert account.say(f"show {volume}")[0].text.startswith(f"db-prod {volume}: available. AWS disk")
    assert account.say("show web-prod")[0].text.startswith("web-prod: running. AWS group")
    assert account.say("show db-prod")[0].text.startswith("db-prod: running. AWS instance")


def test_status_of_a_member_by_id_is_about_it_alone(account: Account) -> None:
    member = account.members()[0]
    [status] = account.say(f"status {member}")
    assert status.text.startswith(f"web-prod {member}: OK."), status.text
    assert "AWS: 1 up, 0 stopped, 0 degraded" in status.text, status.text
    [group] = account.say("status of web-prod")
    assert "AWS: 3 up" in group.text, group.text
