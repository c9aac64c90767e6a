"""Help is short enough for a phone and answers every topic by any of its names."""

from __future__ import annotations

import pytest

from intents.help import TOPICS, examples, help_text, hint, not_yet
from intents.parser import parse


def test_hint_is_one_line_with_examples() -> None:
    line = hint()
    assert "\n" not in line
    assert "scale web-prod to 20" in line


@pytest.mark.parametrize(
    "text", ["did bob scale web-prod?", "if web-prod dies we fail over", "who restarted worker-prod"]
)
def test_a_change_spoken_of_but_not_ordered_is_told_nothing_was_done(text: str) -> None:
    assert parse(text).name.value == "unknown"
    line = hint(parse(text).slots.topic, text)
    assert line.startswith("I did nothing: that doesn't read as an order.") and "\n" not in line


def test_index_lists_every_topic() -> None:
    index = help_text(None)
    for topic in ("status", "search", "show", "scale", "start/stop/restart", "emergency", "shutdown", "failover"):
        assert topic in index
    for topic in ("deploy", "rollback", "cost", "alerts", "oncall", "confirm"):
        assert topic in index


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_is_phone_sized_and_its_examples_parse(topic: str) -> None:
    text = help_text(topic)
    lines = text.splitlines()
    assert 1 < len(lines) <= 3
    assert len(text) <= 240
    kept = {example: intents for name, example, intents in examples() if name == topic}
    assert [e.strip() for e in lines[-1].split("·")] == list(kept)
    for example, intents in kept.items():
        assert parse(example).name in intents, example


def test_the_index_examples_are_read_as_their_topics() -> None:
    for name, example, intents in examples():
        if name is None:
            assert example in help_text(None).splitlines()[0]
            assert parse(example).name in intents, example


def test_a_command_we_do_not_have_yet_says_so_with_what_we_can_do() -> None:
    text = not_yet("restore")
    first, rest = text.split("\n")
    assert first == "I can't restore yet - here is what I can do:"
    assert "status" in rest and "scale" in rest
    assert "deploy" in rest and "rollback" in rest


@pytest.mark.parametrize(
    ("name", "topic"),
    [("scaling", "scale"), ("restart", "restart"), ("stop", "restart"), ("on call", "oncall"), ("ack", "alerts")],
)
def test_topics_answer_to_other_names(name: str, topic: str) -> None:
    assert help_text(name) == help_text(topic)


def test_unknown_topic_says_so_and_shows_the_index() -> None:
    text = help_text("teleport")
    assert text.startswith("No help on 'teleport'.")
    assert help_text(None) in text


def test_topic_parsed_from_help_text_gets_the_topic_page() -> None:
    topic = parse("help with failing over").slots.topic
    assert help_text(topic) == help_text("failover")
