""" "dashboard" in chat: a one-time sign-in link, sent only to the asker's direct message, that signs in once as
them (core.web_sessions); without OPSBOT_PUBLIC_URL it says what is missing, on the console how to open it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from conversation.dashboard_link import NO_URL, ON_CONSOLE, SENT
from core.models import ConversationRef, Reply
from core.settings import Settings
from core.web_sessions import WebSessions
from tests.conversation.conftest import SayFactory

SLACK_ROOM = ConversationRef(channel="slack", conversation_id="C123ABC456")
TELEGRAM_GROUP = ConversationRef(channel="telegram", conversation_id="-1001234567890")
TELEGRAM_PRIVATE = ConversationRef(channel="telegram", conversation_id="123456789")


def link_token(answer: Reply) -> str:
    [button] = answer.buttons
    assert button.label == "Open dashboard"
    assert button.url is not None
    parts = urlsplit(button.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "ops.example.com", "/app/")
    assert parts.fragment.startswith("link=")
    return parts.fragment.removeprefix("link=")


@pytest.mark.parametrize(("ref", "sender"), [(SLACK_ROOM, "U123ABC"), (TELEGRAM_GROUP, "123456789")])
def test_asked_in_a_channel_the_link_goes_to_the_askers_dm_and_signs_in_once(
    settings: Settings, say_factory: SayFactory, ref: ConversationRef, sender: str
) -> None:
    runtime, say = say_factory(settings.model_copy(update={"public_url": "https://ops.example.com"}))
    direct, where_asked = say("open the dashboard", user=sender, ref=ref)
    assert where_asked.ref == ref and where_asked.text == SENT and not where_asked.buttons
    assert direct.ref == ConversationRef(channel=ref.channel, conversation_id=sender)
    assert "signs you in once" in direct.text
    sessions = WebSessions(runtime.connection, session_seconds=60, link_seconds=60)
    token = link_token(direct)
    assert sessions.redeem_link(token) == ("alice", f"{ref.channel}:{sender}")
    assert sessions.redeem_link(token) is None  # used up


def test_asked_in_a_private_chat_the_link_is_the_answer(settings: Settings, say_factory: SayFactory) -> None:
    _, say = say_factory(settings.model_copy(update={"public_url": "https://ops.example.com"}))
    [answer] = say("dashboard", user="123456789", ref=TELEGRAM_PRIVATE)
    assert answer.ref == TELEGRAM_PRIVATE
    link_token(answer)


def test_two_asks_make_two_links(settings: Settings, say_factory: SayFactory) -> None:
    _, say = say_factory(settings.model_copy(update={"public_url": "https://ops.example.com"}))
    first = link_token(say("dash", user="123456789", ref=TELEGRAM_PRIVATE)[0])
    second = link_token(say("dash", user="123456789", ref=TELEGRAM_PRIVATE)[0])
    assert first != second


def test_without_a_public_url_it_says_what_is_missing(settings: Settings, say_factory: SayFactory) -> None:
    _, say = say_factory(settings)
    [answer] = say("dashboard", user="U123ABC", ref=SLACK_ROOM)
    assert answer.text == NO_URL and not answer.buttons


def test_on_the_console_it_says_how_to_open_it(settings: Settings, say_factory: SayFactory) -> None:
    _, say = say_factory(settings.model_copy(update={"public_url": "https://ops.example.com"}))
    [answer] = say("dashboard")
    assert answer.text == ON_CONSOLE.format(user="alice") and not answer.buttons


def test_a_stranger_gets_no_link(settings: Settings, say_factory: SayFactory) -> None:
    _, say = say_factory(settings.model_copy(update={"public_url": "https://ops.example.com"}))
    replies = say("dashboard", user="U999NOBODY", ref=SLACK_ROOM)
    assert all(not r.buttons for r in replies)
    assert "not on opsbot's list" in replies[0].text


SLACK_DM = ConversationRef(channel="slack", conversation_id="D024BE91L")


def test_a_resource_shown_privately_has_an_open_button_to_its_page(settings: Settings, say_factory: SayFactory) -> None:
    runtime, say = say_factory(settings.model_copy(update={"public_url": "https://ops.example.com"}))
    [telegram] = say("show web-prod", user="123456789", ref=TELEGRAM_PRIVATE)
    [button] = telegram.buttons
    assert button.label == "Open web-prod" and button.url is not None
    parts = urlsplit(button.url)
    assert (parts.path, parts.query.startswith("resource="), parts.fragment) == ("/app/", True, "")  # Mini App
    [slack] = say("show web-prod", user="U123ABC", ref=SLACK_DM)
    [button] = slack.buttons
    assert button.url is not None and urlsplit(button.url).query == parts.query
    sessions = WebSessions(runtime.connection, session_seconds=60, link_seconds=60)
    assert sessions.redeem_link(urlsplit(button.url).fragment.removeprefix("link=")) == ("alice", "slack:U123ABC")


@pytest.mark.parametrize(("ref", "sender"), [(SLACK_ROOM, "U123ABC"), (TELEGRAM_GROUP, "123456789")])
def test_a_resource_shown_in_a_channel_has_no_open_button(
    settings: Settings, say_factory: SayFactory, ref: ConversationRef, sender: str
) -> None:
    _, say = say_factory(settings.model_copy(update={"public_url": "https://ops.example.com"}))
    [answer] = say("show web-prod", user=sender, ref=ref)
    assert "web-prod" in answer.text and not answer.buttons  # a sign-in link there would sign in whoever pressed it
    _, without_url = say_factory(settings)
    [answer] = without_url("show web-prod", user="123456789", ref=TELEGRAM_PRIVATE)
    assert "web-prod" in answer.text and not answer.buttons
