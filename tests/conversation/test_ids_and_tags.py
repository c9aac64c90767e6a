"""Every resource answers to its id, its name and its tags, through the whole conversation on the simulated world:
a group member shown and restarted by its instance id (whole, the cloud's part, a unique prefix), `find` with
key=value tag filters alone, together and with words and states, and a tag no resource has said in one line."""

from __future__ import annotations

from actions.provider import Resource
from bot.runtime import Runtime
from tests.conversation.conftest import Say, button, outbox_after


def _resources(runtime: Runtime) -> tuple[Resource, ...]:
    return runtime.conversation.services.provider.snapshot().resources


def _member(runtime: Runtime, group: str = "web-prod") -> Resource:
    return next(r for r in _resources(runtime) if r.group == group and r.id.startswith("aws:"))


def test_a_group_member_is_shown_by_its_id_whole_or_the_clouds_part(runtime: Runtime, say: Say) -> None:
    member = _member(runtime)
    native = member.id.rsplit(":", 1)[-1]  # "i-0abc..."
    for typed in (member.id, native, native.upper(), f"the {native} instance"):
        [shown] = say(f"show {typed}")
        assert shown.text.startswith(f"{member.name}: "), (typed, shown.text)
        assert "In group web-prod" in shown.text


def test_a_unique_prefix_of_an_id_finds_it_and_an_ambiguous_one_asks(runtime: Runtime, say: Say) -> None:
    member = _member(runtime)
    ids = [r.id.rsplit(":", 1)[-1] for r in _resources(runtime) if r.id.startswith("aws:") and ":i-" in r.id]
    native = member.id.rsplit(":", 1)[-1]
    unique = next(native[:n] for n in range(6, len(native)) if sum(i.startswith(native[:n]) for i in ids) == 1)
    assert say(f"show {unique}")[0].text.startswith(f"{member.name}: ")

    shared = next(p for p in (i[:6] for i in ids) if 2 <= sum(i.startswith(p) for i in ids) <= 5)
    [asked] = say(f"show {shared}")
    assert asked.text.startswith(f"No {shared}. Did you mean {shared}"), asked.text


def test_a_member_is_restarted_by_its_instance_id(runtime: Runtime, say: Say) -> None:
    member = _member(runtime)
    native = member.id.rsplit(":", 1)[-1]
    [ask] = say(f"restart {native}")
    assert ask.kind == "confirm", ask.text
    assert ask.text.startswith(f"Restart: {member.name} "), ask.text
    say(press=button([ask], "Confirm"))
    texts = [r.text for r in outbox_after(runtime)]
    assert any(t.startswith("Done") and member.name in t for t in texts), texts
    asked = [r for r in runtime.conversation.services.audit.records() if r.params.get("resource_id")]
    assert {r.params["resource_id"] for r in asked} == {member.id}


def _with(runtime: Runtime, **tags: str) -> list[Resource]:
    return [r for r in _resources(runtime) if all(r.tags.get(k) == v for k, v in tags.items())]


def test_find_filters_by_a_tag(runtime: Runtime, say: Say) -> None:
    expected = _with(runtime, team="payments")
    [found] = say("find team=payments")
    assert found.text.startswith(f"10 of {len(expected):,}:"), found.text
    names = {r.name for r in expected}
    assert all(line[2:].split(" (")[0] in names for line in found.text.splitlines()[1:])


def test_find_takes_several_tags_words_and_a_state(runtime: Runtime, say: Say) -> None:
    both = _with(runtime, env="prod", team="frontend")
    assert say("find env=prod team=frontend")[0].text.startswith(f"10 of {len(both):,}:")

    running_web = [r for r in _with(runtime, team="frontend") if "web" in r.name and r.state == "running"]
    [found] = say("find web team=frontend running")
    assert found.text.startswith(f"10 of {len(running_web):,}:"), found.text
    assert "standby" not in found.text


def test_a_tag_no_resource_has_is_one_plain_line(say: Say) -> None:
    [answer] = say("find colour=red")
    assert answer.text == "No resource has a tag colour (tags: env, owner, service, team, traffic)."
    [answer] = say("find team=paymnts")
    assert answer.text.startswith("No resource has team=paymnts (team: ")
    assert "payments" in answer.text and "\n" not in answer.text
