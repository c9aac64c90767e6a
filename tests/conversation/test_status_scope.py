"""Status for the scope asked - a region, environment, cloud, group, resource or service - named in its first
line, with every problem a phone-sized page at a time (More, or typed `more`); commands we do not have yet and
typos answered for what they are."""

from __future__ import annotations

import re

import pytest

from bot.runtime import Runtime
from core.models import ConversationRef, Reply
from tests.conversation.conftest import ROOM, Say

ELSEWHERE = ConversationRef(channel="console", conversation_id="another-room")
CLOUD_LINE = re.compile(r"^(AWS|Azure|GCP): ")


def clouds(reply: Reply) -> list[str]:
    """The clouds that have a line of their own (after the first line, which names the scope)."""
    return [line.split(":")[0] for line in reply.text.splitlines()[1:] if CLOUD_LINE.match(line)]


@pytest.mark.parametrize(
    ("text", "first", "only"),
    [
        ("status eu-west-1", "eu-west-1: ", ["AWS"]),
        ("status of web-prod", "web-prod: ", ["AWS"]),
        ("status web-prod", "web-prod: ", ["AWS"]),
        ("what's wrong with api-prod", "api-prod: ", ["GCP"]),
        ("how is aws doing", "AWS: ", ["AWS"]),
        ("status of prod in azure", "Azure prod: ", ["Azure"]),
        ("status of db-prod", "db-prod: ", ["Azure"]),
    ],
)
def test_status_answers_for_its_scope_and_names_it_first(say: Say, text: str, first: str, only: list[str]) -> None:
    [answer] = say(text)
    assert answer.text.startswith(first), answer.text
    assert clouds(answer) == only


def test_status_of_a_group_counts_its_instances_only(say: Say) -> None:
    [answer] = say("status of web-prod")
    assert answer.text.splitlines()[0] == "web-prod: OK. $6.15/h."
    assert "AWS: 12 up, 0 stopped, 0 degraded" in answer.text


def test_status_of_a_service_without_a_group_of_that_name(runtime: Runtime, say: Say) -> None:
    names = {r.name for r in runtime.conversation.services.provider.snapshot().resources}
    assert "search-prod" not in names  # no group of that name in the demo world: its service and environment
    [answer] = say("what's wrong with search-prod")
    assert answer.text.startswith("search service in prod: ")
    problems = [line for line in answer.text.splitlines() if line.startswith("! ")]
    assert problems and all(" search-prod-" in line for line in problems)


def test_a_degraded_instance_of_a_group_is_a_problem_of_its_own(runtime: Runtime, say: Say) -> None:
    sick = next(
        r for r in runtime.conversation.services.provider.snapshot().resources if r.group and r.state == "degraded"
    )
    [answer] = say(f"status of {sick.name}")
    assert answer.text.startswith(f"{sick.name}: 1 problem.")
    assert f" {sick.name}: 1 instance degraded in {sick.environment}" in answer.text


def test_an_unknown_scope_says_so(say: Say) -> None:
    [answer] = say("status of zzz-nothing")
    assert answer.text.startswith("I can't find 'zzz-nothing'")


def _problems(reply: Reply) -> list[str]:
    return [line for line in reply.text.splitlines() if line.startswith("! ")]


def test_every_problem_is_listed_a_phone_page_at_a_time_with_more(say: Say) -> None:
    [page] = say("status")
    total = int(re.search(r"(\d+) problems", page.text.splitlines()[0]).group(1))  # type: ignore[union-attr]
    seen = _problems(page)
    while page.buttons:
        assert len(page.text.splitlines()) <= 8
        [more] = [b for b in page.buttons if b.label == "More"]
        [page] = say(press=more.id)
        assert re.match(r"All clouds: problems \d+(-\d+)? of \d+:", page.text)
        seen += _problems(page)
    assert len(seen) == len(set(seen)) == total > 8


def test_typed_more_pages_on_channels_without_buttons_until_the_end(say: Say) -> None:
    [page] = say("status of prod")
    total = int(re.search(r"(\d+) problems", page.text).group(1))  # type: ignore[union-attr]
    seen = _problems(page)
    for _ in range(total):
        [page] = say("more")
        if page.text == "That was the last page.":
            break
        assert page.text.startswith("prod: problems ")
        seen += _problems(page)
    assert len(seen) == len(set(seen)) == total
    assert say("next")[0].text == "That was the last page."


def test_more_belongs_to_its_conversation(say: Say) -> None:
    say("status")
    assert say("more", ref=ELSEWHERE)[0].text.startswith("Nothing to show more of")
    assert say("more", ref=ROOM)[0].text.startswith("All clouds: problems ")


def test_typed_more_follows_the_latest_answer(say: Say) -> None:
    say("status")
    say("status of web-prod")  # one page: nothing more to show
    assert say("more")[0].text.startswith("Nothing to show more of")


def test_typed_more_continues_a_search_too(say: Say) -> None:
    say("find web")
    [page2] = say("more")
    assert page2.text.startswith("11-20 of ")


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("logs of web-prod", "show logs"),
        ("show me the logs of db-prod", "show logs"),
        ("iops of db-prod", "show disk metrics"),
        ("restore db-prod", "restore"),
    ],
)
def test_commands_we_do_not_have_yet_say_so(say: Say, text: str, what: str) -> None:
    [answer] = say(text, user="dave")  # a viewer may ask anything
    first, second = answer.text.splitlines()
    assert first == f"I can't {what} yet - here is what I can do:"
    assert second.startswith("status, search, show, scale")
    assert not answer.buttons


def test_a_typo_of_status_is_status_not_the_bots_timings(say: Say) -> None:
    [answer] = say("stauts of prod")
    assert answer.text.startswith("prod: ")


def test_a_typo_of_a_change_asks_for_nothing(say: Say) -> None:
    [answer] = say("restrat db-prod")
    assert answer.text.startswith("I didn't get that. Did you mean 'restart db-prod'?") and not answer.buttons
    assert len(answer.text.splitlines()) == 1


def test_many_degraded_resources_are_one_line_that_says_how_to_list_them(say: Say) -> None:
    lines: list[str] = []
    [page] = say("status")
    lines += _problems(page)
    while page.buttons:
        [page] = say(press=page.buttons[0].id)
        lines += _problems(page)
    suggested = [line for line in lines if ": find degraded " in line]
    assert suggested
    for line in suggested:
        count = int(re.search(r" (\d+) \w+", line).group(1))  # type: ignore[union-attr]
        [found] = say(line.split(": ", 1)[1])
        listed = int(re.match(r"\d+ of (\d+):", found.text).group(1))  # type: ignore[union-attr]
        assert listed >= count, (line, found.text.splitlines()[0])


@pytest.mark.parametrize("pasted", ["7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "xoxb-1234567890-abcdefghijkl"])
def test_a_pasted_credential_is_not_said_back(say: Say, pasted: str) -> None:
    for text in (f"status {pasted}", f"show {pasted}"):
        [answer] = say(text)
        # The text is masked before it is parsed, so the name looked for is the mask, never the credential.
        assert pasted not in answer.text and "redacted" in answer.text


def test_status_of_a_tag_counts_only_what_carries_it(runtime: Runtime, say: Say) -> None:
    tagged = [
        r
        for r in runtime.conversation.services.provider.snapshot().resources
        if r.kind == "instance" and r.tags.get("team") == "payments"
    ]
    [answer] = say("status of team=payments")
    assert answer.text.startswith("team=payments: "), answer.text
    counted = sum(int(line.split(": ")[1].split(" up")[0].replace(",", "")) for line in answer.text.splitlines()
                  if CLOUD_LINE.match(line))  # fmt: skip
    assert counted == sum(1 for r in tagged if r.state == "running")
