"""Signing in from Telegram in a real browser: initData that is forged, too old or signed for another bot is refused;
the page shows the server's line on its sign-in screen and no data request succeeds."""

from __future__ import annotations

import time
import urllib.parse
from typing import TYPE_CHECKING

import pytest

from bench.dashboard_browser import phone, telegram_url, texts
from tests.web.harness import OTHER_BOT_TOKEN, Dashboard, init_data

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CAROL = 345678901


def _forged() -> str:
    """Carol's genuine initData with the user swapped for another id: the hash no longer matches."""
    fields = dict(urllib.parse.parse_qsl(init_data(CAROL)))
    fields["user"] = fields["user"].replace(str(CAROL), "999")
    return urllib.parse.urlencode(fields)


NOT_THIS_BOT = "Telegram's sign-in data is not signed for this bot."
REFUSED = {  # what Telegram would open the page with -> the line the page shows
    "forged": (_forged, NOT_THIS_BOT),
    "expired": (
        lambda: init_data(CAROL, auth_date=time.time() - 2 * 86400),
        "Telegram's sign-in data expired: open the dashboard again from Telegram.",
    ),
    "another bot": (lambda: init_data(CAROL, token=OTHER_BOT_TOKEN), NOT_THIS_BOT),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_init_data_is_refused_and_shows_no_data(browser: Browser, dashboard: Dashboard, case: str) -> None:
    context = phone(browser)
    answered: list[tuple[str, int]] = []
    page = context.new_page()
    page.on("response", lambda response: answered.append((response.url, response.status)))
    made, line = REFUSED[case]
    page.goto(telegram_url(dashboard.url, made()))
    message = page.locator('[data-test="signin-message"]')
    message.wait_for()
    page.wait_for_load_state("networkidle")
    assert message.inner_text().strip() == line
    assert texts(page, "user") == [] and page.locator('[data-test="section-health"]').count() == 0
    api = [(url, status) for url, status in answered if "/app/api/" in url]
    assert api and all(status >= 400 for _, status in api), api
    context.close()


def test_genuine_init_data_signs_in(browser: Browser, dashboard: Dashboard) -> None:
    context = phone(browser)
    page = context.new_page()
    page.goto(telegram_url(dashboard.url, init_data(CAROL)))
    page.locator('[data-test="section-health"]').wait_for()
    assert texts(page, "user") == ["carol · admin"]
    context.close()
