"""A spoken change that would shrink or stop prod, and a failover, are said back with "right?" before their
confirmation card, however sure the recogniser is: a misheard number or name must not take prod down."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.runtime import Runtime
from core.settings import Settings
from fakes.audio import real_note
from policies.loader import DEFAULT_POLICY
from tests.conversation.conftest import ROOM, Say, SayFactory, button
from tests.conversation.test_voice import heard, press, understood, voice_note


@pytest.fixture
def sure(settings: Settings, say_factory: SayFactory) -> Runtime:
    """Asks about nothing for doubt alone (confidence below 0.0 never happens)."""
    return say_factory(settings.model_copy(update={"voice_confirm_below": 0.0}))[0]


@pytest.mark.parametrize(
    ("words", "resource"),
    [("stop api prod", "api-prod"), ("shut down db prod", "db-prod"), ("scale api prod to zero", "api-prod")],
)
def test_a_spoken_stop_or_shrink_of_prod_is_asked_about_before_its_card(
    sure: Runtime, words: str, resource: str
) -> None:
    [question] = voice_note(sure, real_note(words, snr_db=None))
    assert question.text.startswith(f"I heard: '{words.split()[0]}") and question.text.endswith("': right?")
    assert [b.label for b in question.buttons] == ["Yes", "No"]
    assert sure.conversation.services.confirmations.latest(ROOM) is None  # nothing to confirm yet
    [card] = press(sure, button([question], "Yes"))
    assert card.kind == "confirm" and f"{resource} (" in card.text
    assert card.buttons[0].id.startswith("confirm:")


@pytest.mark.parametrize(
    ("words", "asked"),
    [
        ("scale web prod to five", True),  # 12 -> 5: more than half
        ("remove eight from web prod", True),  # 12 -> 4
        ("scale web prod to six", False),  # 12 -> 6: half, not more
        ("scale web prod to twenty", False),
        ("stop web staging", False),  # not prod
        ("scale web staging to zero", False),
        ("restart web prod", False),  # neither stops nor shrinks
        ("stop web prodd thing", True),  # cannot be told: asked anyway
        ("emergency shutdown db prod", True),
    ],
)
def test_which_spoken_changes_are_asked_about(sure: Runtime, words: str, asked: bool) -> None:
    [answer] = understood(sure, heard(words, 0.99))
    if asked:
        assert answer.text == f"I heard: '{words}': right?"
    else:
        assert answer.text.startswith(f"I heard: '{words}'\n")


def test_no_to_a_prod_stop_does_nothing(sure: Runtime) -> None:
    [question] = understood(sure, heard("stop db prod", 0.99))
    [answer] = press(sure, button([question], "No"))
    assert answer.text == "OK, nothing done. Say it again, or type it."
    assert sure.conversation.services.confirmations.latest(ROOM) is None


def test_a_typed_prod_stop_goes_straight_to_its_card(sure: Runtime, say_factory: SayFactory) -> None:
    say: Say = say_factory(sure.settings)[1]
    [card] = say("stop db-prod")
    assert card.kind == "confirm"


def test_how_far_down_is_asked_about_follows_the_policys_fraction(
    settings: Settings, say_factory: SayFactory, tmp_path: Path
) -> None:
    """The voice rule reads a change's effects as the policy does: with `scale_down_below: 0.75`, 12 -> 8 is asked."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["effects"]["scale_down_below"] = 0.75
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    runtime = say_factory(settings.model_copy(update={"voice_confirm_below": 0.0, "policy": path}))[0]
    [asked] = understood(runtime, heard("scale web prod to eight", 0.99))
    assert asked.text == "I heard: 'scale web prod to eight': right?"
    [card] = press(runtime, button([asked], "Yes"))
    assert "Critical (scale down by more than 25% in prod): needs approval by an admin other than alice." in card.text
    [straight] = understood(runtime, heard("scale web prod to ten", 0.99))
    assert straight.kind == "confirm" and "Confirm within" in straight.text
