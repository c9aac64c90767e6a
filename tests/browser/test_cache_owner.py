"""Whose cached board a page shows, in a real browser: IndexedDB is shared by everyone who uses the browser (two
Telegram accounts on one phone, a shared laptop), so offline a page shows only the board of the user it proves - its
tab's own sign-in, or the user a Telegram account signed in as here before - and never the last user's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.model import Incoming, Severity
from bench.dashboard_browser import link_url, phone, telegram_url, texts
from tests.web.harness import Dashboard, init_data

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from bot.runtime import Runtime

BOB, CAROL, DAVE = 234567890, 345678901, 456789012  # bob never signs in on this browser
OFFLINE = "Offline: the server cannot be reached."
ALERT = '[data-test="alert-card"]'


def _signed_in(context: BrowserContext, dashboard: Dashboard, user_id: int) -> Page:
    page = context.new_page()
    page.goto(telegram_url(dashboard.url, init_data(user_id)))
    page.locator(ALERT).wait_for()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the shell is cached before going offline
    return page


def _shows_no_data(page: Page) -> None:
    message = page.locator('[data-test="signin-message"]')
    message.wait_for()
    assert message.inner_text().strip() == OFFLINE
    assert texts(page, "user") == [] and page.locator(f'[data-test="section-health"], {ALERT}').count() == 0


def test_offline_each_page_shows_only_its_own_users_board(
    browser: Browser, dashboard: Dashboard, runtime: Runtime
) -> None:
    alert = Incoming(source="generic", fingerprint="5xx", severity=Severity.CRITICAL, summary="5xx", resource="db-prod")
    runtime.alerting.desk.ingest([alert])
    context = phone(browser)
    dave = _signed_in(context, dashboard, DAVE)  # a viewer: his board has no Ack button
    assert texts(dave, "user") == ["dave · viewer"] and dave.locator('[data-test="ack-button"]').count() == 0
    carol = _signed_in(context, dashboard, CAROL)  # another tab, the same browser: her board is the last one kept
    assert texts(carol, "user") == ["carol · admin"] and carol.locator('[data-test="ack-button"]').count() == 1
    carol.close()

    cdp = context.new_cdp_session(dave)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    context.set_offline(True)
    dave.reload()  # dave's tab reopened with its token: dave's cached board, not carol's
    dave.locator('[data-test="offline-banner"]').wait_for()
    assert texts(dave, "user") == ["dave · viewer"]
    assert "5xx" in dave.locator(ALERT).inner_text() and dave.locator('[data-test="ack-button"]').count() == 0

    from_telegram = context.new_page()  # carol opens the dashboard from Telegram, offline: her own board
    from_telegram.goto(telegram_url(dashboard.url, init_data(CAROL)))
    from_telegram.locator('[data-test="offline-banner"]').wait_for()
    assert texts(from_telegram, "user") == ["carol · admin"]
    assert from_telegram.locator('[data-test="ack-button"]').is_disabled()

    stranger = context.new_page()  # a Telegram account that never signed in on this browser: nothing cached
    stranger.goto(telegram_url(dashboard.url, init_data(BOB)))
    _shows_no_data(stranger)

    link = dashboard.adapter.access.sessions.make_link("carol", f"telegram:{CAROL}")
    by_link = context.new_page()  # a link proves no one until the server accepts it
    by_link.goto(link_url(dashboard.url, link))
    _shows_no_data(by_link)

    context.set_offline(False)  # back online, carol's Telegram page signs in again with its own initData and goes live
    from_telegram.locator('[data-test="offline-banner"]').wait_for(state="detached")
    assert texts(from_telegram, "user") == ["carol · admin"]
    assert from_telegram.locator('[data-test="ack-button"]').is_enabled()
    context.close()
