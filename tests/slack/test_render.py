"""Rendering replies as Slack blocks, and reading Slack's markup back into words."""

from __future__ import annotations

from typing import Any

from bot.slack.events import RecentIds, plain_text
from bot.slack.render import LABEL_CHARS, SECTION_CHARS, render
from core.models import Button, ConversationRef, Reply

REF = ConversationRef(channel="slack", conversation_id="C1")


def _blocks(reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    text, blocks = render(reply)
    return text, [b.to_dict() for b in blocks]


def _reply(text: str, *buttons: Button) -> Reply:
    return Reply(ref=REF, key="k", text=text, buttons=buttons)


def test_a_users_words_never_become_a_mention_a_ping_or_a_link() -> None:
    text, [section] = _blocks(_reply("I can't find '<!channel> <@U123> <https://evil.example|login> & co'"))
    expected = "I can't find '&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|login&gt; &amp; co'"
    assert section["text"] == {"type": "mrkdwn", "text": expected, "verbatim": True}
    assert text == expected


def test_buttons_carry_our_ids_back_and_fit_a_phone() -> None:
    long_label = "Approve the failover of web-prod to web-dr in Azure westeurope right now please"
    reply = _reply(
        "Failover?", Button(id="confirm:K7Q2M9", label=long_label, style="primary"),
        Button(id="cancel:K7Q2M9", label="Cancel", style="danger"), Button(id="more:10", label="More"),
    )  # fmt: skip
    _text, [_section, actions] = _blocks(reply)
    first, cancel, more = actions["elements"]
    assert (first["action_id"], first["value"], first["style"]) == ("confirm:K7Q2M9", "confirm:K7Q2M9", "primary")
    assert len(first["text"]["text"]) <= LABEL_CHARS
    assert first["text"]["text"].endswith("…")
    assert cancel["style"] == "danger"
    assert "style" not in more


def test_long_replies_are_split_between_lines_within_slacks_limits() -> None:
    lines = [f"- web-{i:04d} (AWS us-east-1, instance, running) & more" for i in range(400)]
    _text, blocks = _blocks(_reply("\n".join(lines)))
    sections = [b["text"]["text"] for b in blocks]
    assert len(sections) > 1
    assert all(len(s) <= SECTION_CHARS for s in sections)
    assert "\n".join(sections) == "\n".join(lines).replace("&", "&amp;")


def test_an_overlong_line_is_cut_without_breaking_an_escape() -> None:
    _text, blocks = _blocks(_reply("&" * 5000))
    sections = [b["text"]["text"] for b in blocks]
    assert all(len(s) <= SECTION_CHARS for s in sections)
    assert "".join(sections) == "&amp;" * 5000
    assert all(s.startswith("&amp;") and s.endswith("&amp;") for s in sections)


def test_slack_markup_is_read_back_as_what_the_user_typed() -> None:
    raw = "<@U0BOT> scale <#C1|ops> &lt;web&gt; &amp; <mailto:a@b.c|a@b.c>  <https://x.example> <!here> <@U2|bob>"
    assert plain_text(raw, "U0BOT") == "scale #ops <web> & a@b.c https://x.example @here @bob"
    assert plain_text("<@U0BOT>", "U0BOT") == ""


def test_a_repeated_event_id_is_recognised_until_it_is_forgotten() -> None:
    seen = RecentIds(2)
    assert seen.first_time("Ev1")
    assert not seen.first_time("Ev1")
    assert seen.first_time("Ev2")
    assert seen.first_time("Ev3")  # Ev1 is now the oldest beyond the window
    assert seen.first_time("Ev1")
