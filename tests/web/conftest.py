"""Fixtures of the dashboard tests: the runtime (with its in-process worker, so confirmed actions run) on settings
that name a Telegram bot, and the dashboard served by it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pytest
from pydantic import SecretStr

from bot.runtime import Runtime
from core.settings import Settings
from tests.web.harness import BOT_TOKEN, Dashboard


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"telegram_token": SecretStr(BOT_TOKEN), "sim_resources": 200})


@pytest.fixture
def runtime(web_settings: Settings) -> Iterator[Runtime]:
    with closing(Runtime.build(web_settings, with_worker=True)) as built:
        yield built


@pytest.fixture
def dashboard(runtime: Runtime) -> Iterator[Dashboard]:
    served = Dashboard(runtime).start()
    yield served
    served.stop()
