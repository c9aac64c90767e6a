"""Ids as people type them, from the parser's slot to the resource: opsbot's whole id, the cloud's own part, an
Azure resource id, a Google Cloud selfLink, a unique prefix; an id is exact and beats names that look like it; a
name several resources share means the group, or asks with their ids."""

from __future__ import annotations

import pytest

from actions.provider import Resource
from conversation.services import Index, named
from core.models import Cloud
from intents.ids import IdIndex, typed_id
from intents.parser import parse
from intents.resolve import Resolution, Resolver

SUB, RG = "11111111-1111-4111-8111-111111111111", "Shop"
ARM_VM = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/db-prod"
SELF_LINK = "https://www.googleapis.com/compute/v1/projects/shop-prod-7/zones/europe-west1-c/instances/api-1"


def _resource(rid: str, name: str, kind: str = "instance", group: str | None = None) -> Resource:
    cloud = Cloud(rid.split(":", 1)[0])
    return Resource(
        id=rid, name=name, cloud=cloud, kind=kind, region="r", environment="prod", state="running", size="s",
        hourly_cost=0.1, group=group,
    )  # fmt: skip


RESOURCES = (
    _resource("aws:prod:us-east-1:asg/web-prod", "web-prod", "group"),
    _resource("aws:prod:us-east-1:i-0aaa111122223333a", "web-prod", group="web-prod"),  # the group's Name tag
    _resource("aws:prod:us-east-1:i-0aaa111122224444b", "web-prod", group="web-prod"),
    _resource("aws:prod:us-east-1:i-0bbb555566667777c", "batch"),
    _resource("aws:prod:eu-west-1:i-0bbb555566668888d", "batch"),
    _resource("aws:prod:us-east-1:i-0ccc999900001111e", "i-0ccc999900001111f"),  # named like another's id
    _resource("aws:prod:us-east-1:i-0ccc999900001111f", "api-worker"),
    _resource("aws:prod:us-east-1:vol-0ddd22223333", "db-prod", "disk"),
    _resource(f"azure:{SUB}:{RG}:vm/db-prod", "db-prod"),
    _resource("gcp:shop-prod-7:europe-west1-b:instance/api-1", "api-1"),
    _resource("gcp:shop-prod-7:europe-west1-c:instance/api-1", "api-1"),
)


@pytest.fixture(scope="module")
def index() -> Index:
    by_name, shared = named(RESOURCES)
    return Index(RESOURCES, by_name, Resolver(r.name for r in RESOURCES if r.group is None), shared)


def _resolved(index: Index, phrase: str) -> Resource:
    found = index.resolve(phrase)
    assert found.match is not None, (phrase, found)
    return index.by_name[found.match]


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("show i-0abc1234567890def", "i-0abc1234567890def"),
        ("restart the i-0abc12345 instance", "i-0abc12345"),
        ("reboot aws:prod:us-east-1:i-0abc12345", "aws:prod:us-east-1:i-0abc12345"),
        ("restart vm/db-prod", "vm/db-prod"),
        (f"restart {ARM_VM}", ARM_VM.lstrip("/")),
        (f"show {SELF_LINK}", SELF_LINK.replace("://", " ")),
    ],
)
def test_the_parser_keeps_an_id_whole_in_the_target(text: str, target: str) -> None:
    assert parse(text).slots.target == target


@pytest.mark.parametrize(
    ("phrase", "form"),
    [
        ("i-0abc12345", "i-0abc12345"),
        ("  I-0ABC12345 ", "i-0abc12345"),
        ("the i-0abc12345 instance", "i-0abc12345"),
        ("aws:prod:us-east-1:i-0abc", "aws:prod:us-east-1:i-0abc"),
        (ARM_VM.lstrip("/"), f"azure:{SUB}:shop:vm/db-prod"),
        (
            ARM_VM.replace("Machines/db-prod", "MachineScaleSets/web-dr/virtualMachines/3"),
            f"azure:{SUB}:shop:vmss/web-dr/3",
        ),
        (SELF_LINK.replace("://", " "), "gcp:shop-prod-7:europe-west1-c:instance/api-1"),
        ("web-prod", None),
        ("db prod", None),
        ("api-1", None),
        ("web-beef", None),  # hex-looking words of a name are no id
    ],
)
def test_typed_ids_take_the_form_ids_are_filed_under(phrase: str, form: str | None) -> None:
    assert typed_id(phrase) == form


def test_an_id_whole_or_the_clouds_part_names_a_member_whose_name_is_its_groups(index: Index) -> None:
    member = RESOURCES[2]
    for phrase in (member.id, "i-0aaa111122224444b", "I-0AAA111122224444B", "the i-0aaa111122224444b instance"):
        assert _resolved(index, phrase) is member, phrase
    assert index.resolve("i-0aaa111122224444b").match == member.id  # its name is not its own: the id is the key
    assert _resolved(index, "web-prod") is RESOURCES[0]  # the name means the group


def test_a_unique_prefix_resolves_and_an_ambiguous_one_offers_the_ids(index: Index) -> None:
    assert _resolved(index, "i-0aaa11112222444") is RESOURCES[2]
    assert index.resolve("i-0aaa1111") == Resolution(
        match=None, candidates=("i-0aaa111122223333a", "i-0aaa111122224444b")
    )
    assert _resolved(index, "aws:prod:eu-west-1:i-0b") is RESOURCES[4]


def test_an_exact_id_beats_a_name_that_looks_like_it(index: Index) -> None:
    assert _resolved(index, "i-0ccc999900001111f") is RESOURCES[6]  # not the instance named so
    assert _resolved(index, "i-0ccc999900001111e") is RESOURCES[5]


def test_a_name_two_resources_share_asks_with_their_ids(index: Index) -> None:
    found = index.resolve("batch")
    assert found == Resolution(match=None, candidates=("i-0bbb555566667777c", "i-0bbb555566668888d"))
    assert _resolved(index, found.candidates[1]) is RESOURCES[4]  # a picked candidate resolves


def test_a_name_means_the_instance_before_its_volume(index: Index) -> None:
    assert _resolved(index, "db-prod") is RESOURCES[8]  # the VM, not the AWS volume of that name
    assert _resolved(index, "vol-0ddd22223333") is RESOURCES[7]


def test_azure_and_google_ids_as_their_consoles_show_them(index: Index) -> None:
    assert _resolved(index, ARM_VM.lstrip("/")) is RESOURCES[8]
    assert _resolved(index, ARM_VM.lower()) is RESOURCES[8]
    assert _resolved(index, "vm/db-prod") is RESOURCES[8]
    assert _resolved(index, SELF_LINK.replace("://", " ")) is RESOURCES[10]
    same_name = index.resolve("instance/api-1")  # in two zones: the whole ids tell them apart
    assert same_name.candidates == (RESOURCES[9].id, RESOURCES[10].id)
    assert _resolved(index, RESOURCES[9].id) is RESOURCES[9]


def test_an_id_index_files_whole_ids_and_the_clouds_part() -> None:
    ids = IdIndex([r.id for r in RESOURCES])
    assert ids.exact("i-0bbb555566667777c") == ("aws:prod:us-east-1:i-0bbb555566667777c",)
    assert ids.prefixed("vm/db") == ()  # the cloud's part of an Azure id is whole, never a prefix
    assert ids.short(RESOURCES[3].id) == "i-0bbb555566667777c"
    assert ids.short(RESOURCES[9].id) == RESOURCES[9].id
