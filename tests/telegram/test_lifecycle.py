"""Starting and stopping: the settings each mode needs are checked before anything runs, a refused token
stops the start in one line, and a Bot API that does not answer yet is retried in the background."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.inbox import Inbox
from bot.runtime import Runtime
from bot.telegram.adapter import build_telegram_adapter
from core.errors import ConfigError
from core.settings import Settings
from fakes.telegram_api import FakeTelegramAPI
from tests.telegram.conftest import SECRET, TOKEN, StackFactory, policy_file


@pytest.mark.parametrize(("mode", "first_call"), [("polling", "getMe"), ("webhook", "setWebhook")])
def test_a_bot_api_that_does_not_answer_yet_is_retried_until_it_does(
    make_stack: StackFactory, api: FakeTelegramAPI, mode: str, first_call: str
) -> None:
    api.fail_next(first_call, 1, status=502)  # Telegram (or the self-hosted server) briefly down
    stack = make_stack(mode)
    not_yet = stack.http.get(stack.url + "/readyz")
    assert not_yet.status_code == 503 and "telegram: not ready" in not_yet.text
    stack.wait_for(lambda: stack.http.get(stack.url + "/readyz").status_code == 200)
    assert stack.say("help scale").text.startswith("scale:")


def _adapter_settings(settings: Settings, tmp_path: Path, **values: object) -> Settings:
    return Settings(**{**settings.model_dump(), "policy": policy_file(tmp_path), **values})


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({}, "OPSBOT_TELEGRAM_TOKEN is not set"),
        ({"telegram_token": TOKEN, "telegram_webhook_secret": SECRET}, "needs OPSBOT_PUBLIC_URL"),
        (
            {"telegram_token": TOKEN, "telegram_webhook_secret": "has spaces!", "public_url": "http://127.0.0.1:1"},
            "OPSBOT_TELEGRAM_WEBHOOK_SECRET: use 1-256 characters",
        ),
    ],
)
def test_missing_or_unusable_settings_are_one_line_errors(
    settings: Settings, tmp_path: Path, values: dict[str, object], problem: str
) -> None:
    runtime = Runtime.build(_adapter_settings(settings, tmp_path, **values), with_worker=False)
    try:
        with pytest.raises(ConfigError, match=problem):
            build_telegram_adapter(runtime, Inbox(runtime.conversation, runtime.outbox))
    finally:
        runtime.close()


def test_a_token_telegram_refuses_stops_the_start_without_showing_the_token(
    settings: Settings, tmp_path: Path, api: FakeTelegramAPI
) -> None:
    wrong = "7000000001:AAwrongwrongwrongwrongwrongwrongwron"
    runtime = Runtime.build(
        _adapter_settings(settings, tmp_path, telegram_token=wrong, telegram_api_url=api.url), with_worker=False
    )
    adapter = build_telegram_adapter(runtime, Inbox(runtime.conversation, runtime.outbox))

    async def start() -> None:
        try:
            await adapter.start()
        finally:
            await adapter.stop()

    try:
        with pytest.raises(ConfigError) as refused:
            asyncio.run(start())
    finally:
        runtime.close()
    assert "refused OPSBOT_TELEGRAM_TOKEN" in str(refused.value)
    assert wrong not in str(refused.value)
    assert not adapter.ready()
