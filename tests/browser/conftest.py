"""Fixtures of the browser tests: Debian's chromium through Playwright (one browser per test module), a fresh phone
context per test, and the dashboard served for real by tests/web's fixtures (the runtime with its worker, on the
test Redis). The whole folder is skipped, with one reason, where chromium or playwright is missing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from bench.dashboard_browser import launch, missing, phone, telegram_url
from tests.web.conftest import dashboard, runtime, web_settings
from tests.web.harness import Dashboard, init_data

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["browser", "dashboard", "open_app", "runtime", "web_settings"]

OpenApp = Callable[[int], "Page"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = missing()
    if reason is not None:
        pytest.skip(f"the browser tests need chromium and playwright: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        started = launch(playwright)
        yield started
        started.close()


@pytest.fixture
def open_app(browser: Browser, dashboard: Dashboard) -> Iterator[OpenApp]:
    """`open_app(telegram_user_id)`: a new phone opening the Mini App as Telegram would for that user."""
    contexts = []

    def opened(user_id: int) -> Page:
        context = phone(browser)
        contexts.append(context)
        page = context.new_page()
        page.goto(telegram_url(dashboard.url, init_data(user_id)))
        return page

    yield opened
    for context in contexts:
        context.close()
