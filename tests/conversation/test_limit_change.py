"""A group's own limit changed from chat, on the demo world: "scale web-canary to 8 and raise the max" (web-canary is
an AWS Auto Scaling group with 2-6 instances) asks an admin other than the requester to approve a plan that names
the new maximum; the refusal of the plain "scale web-canary to 8" offers the same as a button, bound to whoever was
refused. Without the words the refusal stays, and Azure or Google Cloud groups are refused in one line."""

from __future__ import annotations

from bot.runtime import Runtime
from conversation.targets import KEY
from core.settings import Settings
from fakes.audio import real_note
from tests.conversation.conftest import ROOM, Say, SayFactory, button, outbox_after
from tests.conversation.test_voice import heard, understood, voice_note

REFUSAL = "web-canary's maximum is 6 (Auto Scaling group): ask for 6 or less, or raise the maximum in AWS first"
CRITICAL = "Critical (change of a group's limits in prod): needs approval by an admin other than alice."


def _group(runtime: Runtime, name: str) -> tuple[int | None, int | None, int | None]:
    found = runtime.conversation.services.index(runtime.conversation.services.provider.snapshot()).by_name[name]
    return found.min_count, found.max_count, found.count


def test_the_words_ask_an_admin_to_approve_the_new_maximum_with_the_scale(runtime: Runtime, say: Say) -> None:
    [card] = say("scale web-canary to 8 and raise the max")
    assert card.kind == "confirm", card.text
    assert card.text.startswith("Scale: web-canary (AWS us-west-2): 2 -> 8 instances"), card.text
    assert ", max 6 -> 8" in card.text and CRITICAL in card.text
    [own] = say(press=button([card], "Approve"))
    assert own.text == "alice asked for this: another admin must approve it"
    [operator] = say(press=button([card], "Approve"), user="bob")
    assert operator.text.startswith("bob is an operator")
    say(press=button([card], "Approve"), user="carol")
    outbox_after(runtime)
    assert _group(runtime, "web-canary") == (2, 8, 8)


def test_the_refusal_offers_the_same_change_as_a_button(runtime: Runtime, say: Say) -> None:
    [refused] = say("scale web-canary to 9")
    assert refused.text == REFUSAL and refused.kind == "error"
    [offer] = refused.buttons
    assert offer.label == "Raise max to 9 and scale (admin approves)"
    assert say(press=offer.id, user="bob")[0].text.startswith("Nothing picked")  # not bob's to press
    [card] = say(press=offer.id)
    assert card.kind == "confirm" and ", max 6 -> 9" in card.text and CRITICAL in card.text, card.text
    assert say(press=offer.id)[0].text.startswith("Nothing picked")  # single use
    say(press=button([card], "Approve"), user="carol")
    outbox_after(runtime)
    assert _group(runtime, "web-canary") == (2, 9, 9)


def test_the_offer_expires_with_the_confirmation_window(runtime: Runtime, say: Say) -> None:
    [refused] = say("scale web-canary to 9")
    keys = runtime.connection.keys(f"{KEY}*")
    ttl = runtime.conversation.services.settings.confirm_ttl_seconds
    assert len(keys) == 1 and 0 < runtime.connection.ttl(keys[0]) <= ttl
    runtime.connection.delete(*keys)  # as Redis does when it runs out
    assert say(press=refused.buttons[0].id)[0].text.startswith("Nothing picked")


def test_lowering_the_minimum_with_the_scale(runtime: Runtime, say: Say) -> None:
    [refused] = say("scale web-canary to 1")
    assert refused.text.startswith("web-canary's minimum is 2") and refused.buttons[0].label == (
        "Lower min to 1 and scale (admin approves)"
    )
    [card] = say("scale web-canary to 1 and lower the min")
    assert card.kind == "confirm" and ", min 2 -> 1" in card.text, card.text
    say(press=button([card], "Approve"), user="carol")
    outbox_after(runtime)
    assert _group(runtime, "web-canary") == (1, 6, 1)


def test_without_the_words_the_refusal_stays_and_nothing_changes(runtime: Runtime, say: Say) -> None:
    for text in ("scale web-canary to 8", "scale web-canary to 8, and we might raise the max later"):
        [answer] = say(text)
        assert answer.kind != "confirm" and answer.text.startswith("web-canary's maximum is 6"), text
    assert say("should I raise the max of web-canary?")[0].kind != "confirm"
    [viewer] = say("scale web-canary to 8", user="dave")  # may not ask for it at all: no button to press
    assert viewer.text.startswith("web-canary's maximum is 6") and viewer.buttons == ()
    assert runtime.conversation.services.confirmations.latest(ROOM) is None
    assert _group(runtime, "web-canary") == (2, 6, 2)


def test_the_limit_moves_only_as_far_as_the_scale(runtime: Runtime, say: Say) -> None:
    [further] = say("scale web-canary to 8 raising max to 12")
    assert further.text == (
        "I move web-canary's maximum only to the size asked for (8), not 12: scale web-canary to 8 and raise the max"
    )
    [exact] = say("scale web-canary to 8 raising max to 8")
    assert ", max 6 -> 8" in exact.text
    [inside] = say("scale web-staging to 5 and raise the max")  # 0-100: no limit to move
    assert inside.kind == "confirm" and "max" not in inside.text and "Critical" not in inside.text, inside.text


def test_azure_and_google_cloud_groups_are_refused_in_one_line(say: Say) -> None:
    [azure] = say("scale web-preview to 6 and raise the max")
    assert azure.text == (
        "web-preview's limits are changed from chat on AWS groups only: change them in Azure first"
    ), azure.text
    [gcp] = say("scale web-edge-prod to 14 and raise the max")
    assert gcp.text.endswith("change them in GCP first") and "\n" not in gcp.text, gcp.text
    [plain] = say("scale web-preview to 6")
    assert plain.buttons == () and plain.text.startswith("web-preview's maximum is 4")


def test_spoken_the_words_lead_to_the_same_approval(runtime: Runtime, say: Say) -> None:
    [answer] = understood(runtime, heard("scale web canary to eight and raise the max", 0.99))
    assert answer.kind == "confirm" and answer.text.startswith("I heard: 'scale web canary to eight and raise the max'")
    assert ", max 6 -> 8" in answer.text and CRITICAL in answer.text, answer.text
    [plain] = understood(runtime, heard("scale web canary to eight", 0.99))
    assert REFUSAL in plain.text and plain.kind != "confirm", plain.text


def test_a_real_voice_note_is_heard_with_its_limit(settings: Settings, say_factory: SayFactory) -> None:
    """espeak -> OGG/Opus -> the recogniser with the command grammar: the limit's words are heard, not taken for
    more digits of the size ("eight hundred nine")."""
    runtime, say = say_factory(settings.model_copy(update={"voice_confirm_below": 0.0}))
    for words, limit in (("scale web canary to eight and raise the max", ", max 6 -> 8"),
                         ("scale web canary to one and lower the min", ", min 2 -> 1")):  # fmt: skip
        [card] = voice_note(runtime, real_note(words, snr_db=10.0))
        assert card.kind == "confirm" and card.text.startswith(f"I heard: '{words}'"), card.text
        assert limit in card.text and "Critical (change of a group's limits in prod)" in card.text, card.text
        say(press=button([card], "Cancel"))
