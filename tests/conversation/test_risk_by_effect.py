"""The approver a change needs follows what it does, whatever way it was asked: every verb, typed or spoken, a
"did you mean" button or a "did you say" button, in prod and in staging. A path that reaches a lower risk than
its effect fails here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from actions.provider import Resource
from audit.log import AuditEvent
from bot.runtime import Runtime
from core.models import Reply
from core.settings import Settings
from fakes.audio import real_note
from policies.loader import DEFAULT_POLICY
from tests.conversation.conftest import Say, SayFactory, button, outbox_after
from tests.conversation.test_voice import heard, press, understood, voice_note

APPROVAL = "needs approval by an admin other than alice"


def critical_line(effect: str) -> str:
    return f"Critical ({effect}): {APPROVAL}."


def only_card(replies: list[Reply]) -> Reply:
    [card] = replies
    assert card.kind == "confirm", card.text
    return card


def assert_needs_an_admin(runtime: Runtime, say: Say, card: Reply, effect: str) -> None:
    """The card names the effect and asks for an admin; the requester's own press is refused; the audit agrees."""
    assert critical_line(effect) in card.text, card.text
    assert [b.label for b in card.buttons] == ["Approve (admin)", "Cancel"]
    [own] = say(press=button([card], "Approve"))
    assert own.text == "alice asked for this: another admin must approve it"
    asked = [r for r in runtime.conversation.services.audit.records() if r.event is AuditEvent.APPROVAL_ASKED]
    assert (asked[-1].params["risk"], asked[-1].params["effect"]) == ("critical", effect)


def assert_confirmed_alone(card: Reply) -> None:
    assert "Critical" not in card.text and "Confirm within" in card.text, card.text
    assert [b.label for b in card.buttons] == ["Confirm", "Cancel"]


# -- typed, one card per test (the default policy, its change limit included) ------------------------------


@pytest.mark.parametrize(
    ("text", "effect"),
    [
        ("scale worker-prod to 0", "capacity to zero in prod"),
        ("scale worker-prod to zero", "capacity to zero in prod"),
        ("scale worker-prod down by 10", "capacity to zero in prod"),
        ("scale api-prod to 0", "capacity to zero in prod"),
        ("stop worker-prod", "capacity to zero in prod"),
        ("turn off worker-prod", "capacity to zero in prod"),
        ("shut down worker-prod", "capacity to zero in prod"),
        ("kill worker-prod", "capacity to zero in prod"),
        ("scale worker-prod to 4", "scale down by more than half in prod"),
        ("scale worker-prod down by 8", "scale down by more than half in prod"),
        ("stop db-prod", "stop in prod"),
        ("turn off db-prod", "stop in prod"),
        ("power off db-prod", "stop in prod"),
        ("shut down db-prod", "stop in prod"),
        ("emergency scale web-prod", "emergency scale in prod"),
        ("fail over web-prod to dr", "failover in prod"),
        ("fail over web-prod to the standby", "failover in prod"),
        ("activate dr for web-prod", "failover in prod"),
        ("emergency scale web-staging", "emergency scale in staging"),  # the catalogue's risk, named by its effect
    ],
)
def test_a_typed_change_needs_the_approver_its_effect_needs(runtime: Runtime, say: Say, text: str, effect: str) -> None:
    assert_needs_an_admin(runtime, say, only_card(say(text)), effect)


def test_stopping_one_member_of_a_prod_group_needs_an_admin(runtime: Runtime, say: Say) -> None:
    member = next(r for r in runtime.conversation.services.provider.snapshot().resources if r.group == "worker-prod")
    assert_needs_an_admin(runtime, say, only_card(say(f"stop {member.name}")), "stop in prod")


@pytest.mark.parametrize(
    "text",
    [
        "scale worker-prod to 5",  # half is not more than half
        "scale worker-prod to 20",
        "restart web-prod",
        "start booking-prod-vm1",
        "scale worker-staging to 0",
        "stop worker-staging",
        "shut down worker-staging",  # the default's `risk: shutdown: {staging: change}`
        "scale notify-staging down by 3",  # 3 of 4: more than half, in staging
        "stop db-staging",
    ],
)
def test_changes_without_a_prod_effect_are_confirmed_by_the_requester(say: Say, text: str) -> None:
    assert_confirmed_alone(only_card(say(text)))


def test_an_admin_other_than_the_requester_approves_a_scale_to_zero(runtime: Runtime, say: Say) -> None:
    card = only_card(say("scale api-prod to 0"))
    assert say(press=button([card], "Approve"), user="carol") == []
    assert outbox_after(runtime)[-1].text.startswith("Done")
    assert runtime.conversation.services.provider.get("api-prod").count == 0
    approved = [r for r in runtime.conversation.services.audit.records() if r.event is AuditEvent.CONFIRMED]
    assert approved[-1].actor == "carol"


# -- buttons from suggestions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pick", "effect"),
    [
        ("scale worker to 0", "worker-prod", "capacity to zero in prod"),
        ("stop worker", "worker-prod", "capacity to zero in prod"),
        ("scale worker to 0", "worker-staging", None),
        ("stop worker", "worker-staging", None),
    ],
)
def test_a_did_you_mean_button_leads_to_the_same_approver(
    runtime: Runtime, say: Say, text: str, pick: str, effect: str | None
) -> None:
    [question] = say(text)
    assert question.text.startswith("Did you mean")
    card = only_card(say(press=button([question], pick)))
    if effect is None:
        assert_confirmed_alone(card)
    else:
        assert_needs_an_admin(runtime, say, card, effect)


@pytest.mark.parametrize(
    ("reading", "effect"),
    [(0, "capacity to zero in prod"), (1, "scale down by more than half in prod"), (2, None)],
)
def test_a_did_you_say_button_leads_to_the_same_approver(
    runtime: Runtime, say: Say, reading: int, effect: str | None
) -> None:
    [question] = understood(
        runtime, heard("scale worker prod to zero", 0.5, "scale worker prod to two", "scale worker prod to twenty")
    )
    card = only_card(press(runtime, question.buttons[reading].id))
    if effect is None:
        assert_confirmed_alone(card)
    else:
        assert_needs_an_admin(runtime, say, card, effect)


# -- spoken ------------------------------------------------------------------------------------------------


@pytest.fixture
def sure(settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    """Asks about nothing for doubt alone: only what the voice rules always ask about."""
    return say_factory(settings.model_copy(update={"voice_confirm_below": 0.0}))


def spoken_card(runtime: Runtime, replies: list[Reply]) -> Reply:
    """The card a spoken change ends in, through its "right?" question when there is one."""
    [first] = replies
    if first.text.endswith("': right?"):
        [first] = press(runtime, button([first], "Yes"))
    assert first.kind == "confirm", first.text
    return first


@pytest.mark.parametrize(
    ("words", "effect"),
    [
        ("scale worker prod to zero", "capacity to zero in prod"),
        ("stop worker prod", "capacity to zero in prod"),
        ("turn off worker prod", "capacity to zero in prod"),
        ("shut down worker prod", "capacity to zero in prod"),
        ("scale worker prod down by eight", "scale down by more than half in prod"),
        ("turn off db prod", "stop in prod"),
        ("emergency scale web prod", "emergency scale in prod"),
        ("fail over web prod to d r", "failover in prod"),
        ("fail over web prod to the standby", "failover in prod"),
        ("scale worker staging to zero", None),
        ("shut down worker staging", None),
    ],
)
def test_a_spoken_change_needs_the_approver_its_effect_needs(
    sure: tuple[Runtime, Say], words: str, effect: str | None
) -> None:
    runtime, say = sure
    card = spoken_card(runtime, understood(runtime, heard(words, 0.99)))
    if effect is None:
        assert_confirmed_alone(card)
    else:
        assert_needs_an_admin(runtime, say, card, effect)


def test_a_voice_note_scaling_prod_to_zero_needs_an_admin(sure: tuple[Runtime, Say]) -> None:
    """The whole way: audio, the recogniser, "right?", the card."""
    runtime, say = sure
    card = spoken_card(runtime, voice_note(runtime, real_note("scale api prod to zero", snr_db=None)))
    assert_needs_an_admin(runtime, say, card, "capacity to zero in prod")


# -- every path, walked ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Path_:
    words: str  # "{name}" is the resource
    after: Callable[[int], int] | None  # a group's size after it (None: not a size change)
    stops: bool = False
    emergency: bool = False
    failover: bool = False


GROUP_PATHS = [
    Path_("scale {name} to 0", lambda n: 0),
    Path_("scale {name} to zero", lambda n: 0),
    Path_("scale {name} down by {count}", lambda n: 0),
    Path_("scale {name} to {half}", lambda n: n // 2),
    Path_("scale {name} to {below_half}", lambda n: max(1, (n - 1) // 2)),
    Path_("scale {name} down by 1", lambda n: n - 1),
    Path_("scale {name} to {more}", lambda n: n + 2),
    Path_("stop {name}", lambda n: 0, stops=True),
    Path_("turn off {name}", lambda n: 0, stops=True),
    Path_("power off {name}", lambda n: 0, stops=True),
    Path_("shut down {name}", lambda n: 0, stops=True),
    Path_("kill {name}", lambda n: 0, stops=True),
    Path_("emergency scale {name}", lambda n: n * 2, emergency=True),
    Path_("restart {name}", None),
    Path_("fail over {name} to dr", None, failover=True),
    Path_("fail over {name} to the standby", None, failover=True),
]
INSTANCE_PATHS = [
    Path_("stop {name}", None, stops=True),
    Path_("turn off {name}", None, stops=True),
    Path_("shut down {name}", None, stops=True),
    Path_("power off {name}", None, stops=True),
    Path_("restart {name}", None),
]


def must_be_critical(path: Path_, target: Resource) -> bool:
    """The rule, written again from the issue and not from the code: in prod, capacity to zero, below half, any
    stop or shutdown, an emergency scale and a failover are critical; in staging only the actions that are
    critical in the catalogue (emergency scale, failover; the default lowers shutdown there)."""
    if target.environment == "prod":
        count = target.count or 0
        after = path.after(count) if path.after is not None and target.kind == "group" else count
        return path.stops or path.emergency or path.failover or (count > 0 and after * 2 < count)
    return path.emergency or path.failover


@pytest.fixture
def unlimited(tmp_path: Path, settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    """The default policy without rate and blast-radius limits, so one test can walk every path."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    del policy["rate_limits"], policy["blast_radius"]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return say_factory(settings.model_copy(update={"policy": path}))


def test_every_path_to_every_effect_reaches_its_approver(unlimited: tuple[Runtime, Say]) -> None:
    runtime, say = unlimited
    resources = runtime.conversation.services.provider.snapshot().resources
    groups = [r for r in resources if r.kind == "group" and r.environment in ("prod", "staging")]
    instances = [r for r in resources if r.kind == "instance" and r.environment in ("prod", "staging")]
    singles = [r for r in instances if r.group is None and r.state == "running"][:6]
    members = [next(r for r in instances if r.group == g.name and r.state == "running") for g in groups[:3]]
    walked: dict[bool, int] = {True: 0, False: 0}
    for target, paths in [*((g, GROUP_PATHS) for g in groups), *((i, INSTANCE_PATHS) for i in singles + members)]:
        count = target.count or 0
        for path in paths:
            words = path.words.format(
                name=target.name, count=count, half=count // 2, below_half=max(1, (count - 1) // 2), more=count + 2
            )
            replies = say(words)
            if replies[0].kind != "confirm":  # nothing to do ("already at 1 instances", "has no DR standby")
                assert replies[0].kind in ("error", "refusal"), (words, replies[0].text)
                continue
            critical = must_be_critical(path, target)
            card = replies[0].text
            assert (APPROVAL in card) is critical, (words, card)
            walked[critical] += 1
    assert walked[True] >= 40 and walked[False] >= 40, walked  # the walk really went through both kinds
