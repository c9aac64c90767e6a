"""Telegram around the chat: the command menu (setMyCommands) and, with an https OPSBOT_PUBLIC_URL, the menu button
that opens the dashboard as a Mini App (setChatMenuButton), both set at start and never fatal; "dashboard" answers
with an "Open dashboard" button that is a Mini App (web_app) in a private chat and a plain link in a group, which
is where Telegram refuses web_app buttons. Through python-telegram-bot against the fake Bot API."""

from __future__ import annotations

import logging

import pytest

from bot.telegram import menu
from bot.telegram.menu import COMMANDS
from bot.telegram.render import render
from core.models import Button, ConversationRef, Reply
from fakes.telegram_api import FakeTelegramAPI
from tests.telegram import updates
from tests.telegram.conftest import StackFactory

PUBLIC = "https://ops.example.com"


def test_commands_and_the_menu_button_are_set_at_start(make_stack: StackFactory) -> None:
    stack = make_stack(public_url=PUBLIC)
    names = [c["command"] for c in stack.api.commands]
    assert names == [name for name, _ in COMMANDS]
    assert {"status", "alerts", "oncall", "cost", "deploy_status", "dr_status", "dashboard", "help"} <= set(names)
    assert stack.api.menu_button == {"type": "web_app", "text": "Dashboard", "web_app": {"url": f"{PUBLIC}/app"}}


def test_a_menu_command_is_understood(make_stack: StackFactory) -> None:
    stack = make_stack()
    answer = stack.say("/deploy_status")
    assert not answer.text.startswith("I didn't get that"), answer.text


def test_without_an_https_address_there_is_no_menu_button(make_stack: StackFactory) -> None:
    stack = make_stack()
    assert stack.api.commands
    assert stack.api.menu_button is None
    assert not stack.api.calls("setChatMenuButton")


def test_a_refused_menu_is_logged_and_the_bot_still_answers(
    api: FakeTelegramAPI, make_stack: StackFactory, log_lines: pytest.LogCaptureFixture
) -> None:
    api.fail_next("setMyCommands", 1, status=400, description="Bad Request: BOT_COMMAND_INVALID")
    api.fail_next("setChatMenuButton", 1, status=400, description="Bad Request: BUTTON_URL_INVALID")
    stack = make_stack(public_url=PUBLIC)
    assert stack.say("help").text.startswith("Try:")
    logged = [r.getMessage() for r in log_lines.records if r.levelno == logging.WARNING]
    assert any("setMyCommands refused" in line for line in logged), logged
    assert any("setChatMenuButton refused" in line for line in logged), logged
    assert stack.api.menu_button is None


def test_the_dashboard_link_is_a_mini_app_in_a_private_chat(make_stack: StackFactory) -> None:
    stack = make_stack(public_url=PUBLIC)
    answer = stack.say("dashboard")
    [key] = answer.keys()
    assert key["text"] == "Open dashboard"
    assert key["web_app"] == {"url": f"{PUBLIC}/app/"}  # Telegram signs it in (initData): no link token in it
    assert "callback_data" not in key and "url" not in key


def test_in_a_group_the_dashboard_link_goes_privately_as_a_mini_app(make_stack: StackFactory) -> None:
    stack = make_stack(public_url=PUBLIC)
    said = stack.say("/dashboard", chat=updates.KNOWN_GROUP)
    assert said.text == "Sent you the dashboard link in a direct message."
    assert said.reply_markup is None
    direct = stack.reply(updates.ALICE, "Your dashboard link")
    [key] = direct.keys()
    assert key["web_app"] == {"url": f"{PUBLIC}/app/"}


@pytest.mark.parametrize(
    ("chat", "public", "kind"),
    [("123456789", PUBLIC, "web_app"), ("-1001234567890", PUBLIC, "url"), ("123456789", "http://10.0.0.5", "url")],
)
def test_a_link_to_the_dashboard_opens_as_a_mini_app_only_in_a_private_chat_over_https(
    chat: str, public: str, kind: str
) -> None:
    ref = ConversationRef(channel="telegram", conversation_id=chat)
    link = Button(id="dashboard-link", label="Open dashboard", url=f"{public}/app/#link=abc")
    other = Button(id="docs", label="Docs", url="https://example.com/app/")  # not ours: a plain link everywhere
    shown = render(Reply(ref=ref, key="k1", text="Your link", buttons=(link, other)), menu.app_url(public))
    assert shown.keyboard is not None
    [[ours, theirs]] = shown.keyboard.inline_keyboard
    assert (ours.web_app is not None, ours.url is not None) == (kind == "web_app", kind == "url")
    assert theirs.url == "https://example.com/app/" and theirs.web_app is None
