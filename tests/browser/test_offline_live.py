"""The live and offline dashboard in a real browser: a change written in Redis appears on the page by itself; offline
the banner says how old the data is and every action is disabled; a reload while offline shows the cached board
(service worker + IndexedDB); back online the page syncs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from alerts.model import Incoming, Severity
from tests.browser.conftest import OpenApp
from tests.eventually import eventually

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from bot.runtime import Runtime

CAROL = 345678901
BANNER = '[data-test="offline-banner"]'


def _fire(runtime: Runtime, name: str) -> None:
    alert = Incoming(source="generic", fingerprint=name, severity=Severity.CRITICAL, summary=name, resource="db-prod")
    runtime.alerting.desk.ingest([alert])


def _alerts(page: Page) -> list[str]:
    return page.locator('[data-test="alert-card"]').all_inner_texts()


def test_a_change_in_redis_appears_on_the_page(open_app: OpenApp, runtime: Runtime) -> None:
    page = open_app(CAROL)
    page.locator('[data-test="section-health"]').wait_for()
    assert _alerts(page) == []
    _fire(runtime, "disk full on db-prod")
    seen = eventually(lambda: _alerts(page), what="the new alert on the page")
    assert "disk full on db-prod" in seen[0]


def test_offline_banner_cached_reload_and_sync(open_app: OpenApp, runtime: Runtime) -> None:
    _fire(runtime, "5xx above 5%")
    page = open_app(CAROL)
    page.locator('[data-test="alert-card"]').wait_for()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the shell is cached before going offline
    ack = page.locator('[data-test="ack-button"]')
    assert ack.is_enabled()

    page.context.set_offline(True)
    banner = page.locator(BANNER)
    banner.wait_for()
    assert re.fullmatch(r"Offline - data from \d\d:\d\d", banner.inner_text().strip())
    assert ack.is_disabled()

    page.reload()  # offline: the service worker's shell and the board kept in IndexedDB
    page.locator(BANNER).wait_for()
    assert "5xx above 5%" in page.locator('[data-test="alert-card"]').inner_text()
    assert page.locator('[data-test="ack-button"]').is_disabled()

    _fire(runtime, "disk full on db-prod")  # written while the page is offline
    page.context.set_offline(False)
    eventually(lambda: len(_alerts(page)) == 2, what="both alerts after syncing")
    page.locator(BANNER).wait_for(state="detached")
    assert page.locator('[data-test="ack-button"]').first.is_enabled()
