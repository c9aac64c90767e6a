"""Acting on alerts and the pager from chat: silence, escalate, "I'll take tonight" -> intent and slots, and
what the shipped policy lets each person do with them."""

from __future__ import annotations

import pytest

from core.models import ConversationRef, IntentName
from intents.durations import MAX_DURATION_SECONDS
from intents.parser import parse
from policies.engine import PolicyEngine, PolicyRequest
from policies.loader import load_policy

S = dict[str, object]
HOUR = 3600

SILENCE: list[tuple[str, S]] = [
    ("silence 42 1h", {"alert_id": 42, "duration_seconds": HOUR}),
    ("silence 42 for 30 minutes", {"alert_id": 42, "duration_seconds": 1800}),
    ("silence alert 42 for an hour", {"alert_id": 42, "duration_seconds": HOUR}),
    ("mute 42 2h", {"alert_id": 42, "duration_seconds": 2 * HOUR}),
    ("snooze 42 for 15 min", {"alert_id": 42, "duration_seconds": 900}),
    ("silence 42", {"alert_id": 42}),
    ("silence alert four two for one hour", {"alert_id": 42, "duration_seconds": HOUR}),
    ("silence 42 for two hours", {"alert_id": 42, "duration_seconds": 2 * HOUR}),
    ("silence 42 90m", {"alert_id": 42, "duration_seconds": 90 * 60}),
    ("silence 42 1h30m", {"alert_id": 42, "duration_seconds": 90 * 60}),
    ("silence 42 for half an hour", {"alert_id": 42, "duration_seconds": 1800}),
    ("silence 42 for an hour and a half", {"alert_id": 42, "duration_seconds": 90 * 60}),
    ("silence 42 for 1 hour and 30 minutes", {"alert_id": 42, "duration_seconds": 90 * 60}),
    ("silence 42 for a day", {"alert_id": 42, "duration_seconds": 24 * HOUR}),
    ("Silence #42 1H", {"alert_id": 42, "duration_seconds": HOUR}),
    ("/silence 42 1h", {"alert_id": 42, "duration_seconds": HOUR}),
    ("silence for 1h", {"duration_seconds": HOUR}),
    ("silence the alert", {}),
    ("silence", {}),
    ("mute", {}),
    ("silence please", {}),
    # a spoken id runs into the length: the reading that uses every word wins
    ("silence four two two hours", {"alert_id": 42, "duration_seconds": 2 * HOUR}),
    ("silence four two hours", {"alert_id": 4, "duration_seconds": 2 * HOUR}),
    # longer than the cap is read as the cap: the alert comes back sooner, never later
    ("silence 42 for two weeks", {"alert_id": 42, "duration_seconds": MAX_DURATION_SECONDS}),
    ("silence 42 for 99999 hours", {"alert_id": 42, "duration_seconds": MAX_DURATION_SECONDS}),
]

ESCALATE: list[tuple[str, S]] = [
    ("escalate 42", {"alert_id": 42}),
    ("escalate alert 42", {"alert_id": 42}),
    ("escalate alert four two", {"alert_id": 42}),
    ("page the next person for 42", {"alert_id": 42}),
    ("escalate 42 to the next person", {"alert_id": 42}),
    ("wake up the next person", {}),
    ("escalate", {}),
]

TAKE_ONCALL: list[tuple[str, str]] = [
    ("i'll take tonight", "tonight"),
    ("I will take tonight", "tonight"),
    ("i take tonight", "tonight"),
    ("I’ll take tonight", "tonight"),
    ("ill take tonight", "tonight"),
    ("i'll take the pager tonight", "tonight"),
    ("i'll take on call tonight", "tonight"),
    ("i'll take on-call tonight", "tonight"),
    ("i'll cover tonight", "tonight"),
    ("I'll take tonight's shift", "tonight"),
    ("i can do the night shift", "tonight"),
    ("i'll be on call tonight", "tonight"),
    ("i'll take the pager until tomorrow", "tonight"),
    ("i'll take the pager", "tonight"),
    ("take the pager", "tonight"),
    ("i'll take today", "today"),
    ("i'll take this week", "week"),
    ("i will take the pager for the week", "week"),
    # weekends are the busiest days (weddings)
    ("i'll take the weekend", "weekend"),
    ("i'll cover this weekend", "weekend"),
    ("i'll take the pager this weekend", "weekend"),
    ("i'll be on call this weekend", "weekend"),
    ("I'll be on-call over the weekend", "weekend"),
    ("i will take the weekend", "weekend"),
    ("I’ll take the weekend shift", "weekend"),
    ("i can do the whole weekend", "weekend"),
    ("i'll take the pager for the weekend", "weekend"),
    ("i'll take saturday and sunday", "weekend"),
    ("take the pager this weekend", "weekend"),
    ("take the pager for the week", "week"),
]


@pytest.mark.parametrize(("text", "slots"), SILENCE, ids=[c[0] for c in SILENCE])
def test_silence(text: str, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (IntentName.SILENCE, slots)
    assert parsed.confidence >= 0.95


@pytest.mark.parametrize(("text", "slots"), ESCALATE, ids=[c[0] for c in ESCALATE])
def test_escalate(text: str, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (IntentName.ESCALATE, slots)
    assert parsed.confidence >= 0.95


@pytest.mark.parametrize(("text", "period"), TAKE_ONCALL, ids=[c[0] for c in TAKE_ONCALL])
def test_taking_the_pager(text: str, period: str) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.present()) == (IntentName.TAKE_ONCALL, {"period": period})
    assert parsed.confidence >= 0.95


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i'll take it", IntentName.ACK),
        ("I'm on it", IntentName.ACK),
        ("i will take it", IntentName.ACK),
        ("i got it", IntentName.ACK),
        ("ack 42", IntentName.ACK),
        ("resolve 42", IntentName.RESOLVE),
        ("who is on call", IntentName.ONCALL),
        ("who has the pager", IntentName.ONCALL),
        ("show alert 42", IntentName.ALERTS),
        ("page", IntentName.ALERTS),
        ("take two nodes off api prod", IntentName.SCALE),
    ],
)
def test_neighbours_keep_their_meaning(text: str, intent: IntentName) -> None:
    assert parse(text).name is intent


@pytest.mark.parametrize(
    "text",
    [
        "did someone escalate 42",
        "escalate 42 no wait",
        "silence 42 no wait",
        "i will take tonight no wait",
        "why did you silence 42",
        "should i escalate 42",
        "never silence 42",
        "i won't take tonight",
        "i won't take the weekend",
        "i will not be on call this weekend",
        "who will take the weekend",
        "who is on call this weekend",
        "can someone take the weekend",
        "i will not take tonight",
        "who will take tonight",
        "bob will take tonight",
        "did someone ack 42",
        "resolve 42 no wait",
    ],
)
def test_questions_and_negations_never_act(text: str) -> None:
    assert parse(text).name not in {
        IntentName.SILENCE,
        IntentName.ESCALATE,
        IntentName.TAKE_ONCALL,
        IntentName.ACK,
        IntentName.RESOLVE,
    }


@pytest.mark.parametrize(
    "text",
    [
        "i'll take the pager next weekend",
        "i'll take the pager on saturday",
        "i'll take the pager sunday",
        "i'll take tonight and tomorrow",
        "take the pager next week",
        "i'll be on call the weekend after next",
    ],
)
def test_taking_the_pager_for_a_period_not_understood_is_not_guessed_as_tonight(text: str) -> None:
    """The words dropped may have been the period asked for: the pager taken tonight instead is a surprise."""
    assert parse(text).name is IntentName.UNKNOWN


@pytest.mark.parametrize(
    "text",
    [
        "silence 42 for 0 minutes",
        "silence 42 for 1h1h",
        "silence 42 for half a second",
        "silence 42 30",  # thirty what?
        "silence 42 until tomorrow",  # a time of day, not a length
        "silence 42 for a fortnight",
        "silence 42 for -5 minutes",
    ],
)
def test_a_silence_whose_length_is_not_understood_is_not_guessed(text: str) -> None:
    """Not "silence 42" for the default length: the words dropped may have been the length asked for."""
    parsed = parse(text)
    assert parsed.name is IntentName.UNKNOWN
    assert parsed.slots.present() == {}


@pytest.mark.parametrize(
    "text",
    ["silence " + "9" * 5000, "silence 42 for " + "1h" * 300, "mute " + "four " * 40 + "hours", "snooze 42 " * 30],
)
def test_oversized_silences_are_not_commands(text: str) -> None:
    assert parse(text).name is IntentName.UNKNOWN


@pytest.mark.parametrize("word", ["silence", "mute", "snooze", "escalate", "take", "cover", "tonight", "weekend"])
def test_new_words_do_not_crash_with_odd_company(word: str) -> None:
    for text in (f"{word}?", f"{word} 🔥", f"{word} ٤٢", f"{word} -1h", f"{word} 42 for -5 minutes", f"@opsbot {word}"):
        intent = parse(text)
        assert 0.0 <= intent.confidence <= 1.0


# What each of the four people of the shipped policy sees. Phones are identities like chat accounts.
_ROOM = ConversationRef(channel="console", conversation_id="ops-room")


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine(load_policy())


@pytest.mark.parametrize(
    ("text", "doing"),
    [
        ("silence 42 1h", "silencing alerts"),
        ("escalate 42", "escalating alerts"),
        ("i'll take tonight", "taking the pager"),
        ("i'll take the weekend", "taking the pager"),
    ],
)
def test_viewer_is_refused_in_one_line_operator_may(engine: PolicyEngine, text: str, doing: str) -> None:
    intent = parse(text).name
    refused = engine.evaluate(PolicyRequest(user="dave", intent=intent, ref=_ROOM))
    assert refused.reason == f"dave is a viewer: {doing} needs operator"
    for user in ("alice", "bob", "carol"):
        assert engine.evaluate(PolicyRequest(user=user, intent=intent, ref=_ROOM)).allowed


@pytest.mark.parametrize(
    ("number", "user"),
    [("+15550100001", "alice"), ("+15550100002", "bob"), ("+15550100003", "carol"), ("+15550100004", "dave")],
)
def test_each_person_is_known_by_phone(engine: PolicyEngine, number: str, user: str) -> None:
    assert engine.user_for("phone", number) == user


def test_an_unknown_phone_is_a_stranger(engine: PolicyEngine) -> None:
    stranger = engine.user_for("phone", "+15550100099")
    assert stranger == "phone:+15550100099"
    assert not engine.evaluate(PolicyRequest(user=stranger, intent=IntentName.SILENCE, ref=_ROOM)).allowed
