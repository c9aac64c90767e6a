"""The phone dashboard in a real browser: Debian's chromium driven by Playwright (never Playwright's own download),
as a phone sees it - 375x667, touch, and on demand Chrome DevTools' "Fast 3G" with 4x CPU throttling. Shared by
`opsbot bench --only dashboard` and tests/browser, so both open the page the same way."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright is in the bench extra: imported where a browser is started
    from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 667}
# Chrome DevTools' "Fast 3G" preset: 562.5 ms latency, 180 KB/s down, 84 KB/s up (bytes per second as CDP takes them).
FAST_3G = {"offline": False, "latency": 562.5, "downloadThroughput": 180 * 1024, "uploadThroughput": 84 * 1024}
CPU_SLOWDOWN = 4


def missing() -> str | None:
    """Why no browser can run here (one line), or None."""
    if shutil.which(str(CHROMIUM)) is None:
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ModuleNotFoundError:
        return "no playwright (pip install 'opsbot[bench]')"
    return None


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def phone(
    browser: Browser, width: int = PHONE["width"], height: int = PHONE["height"], dark: bool = False
) -> BrowserContext:
    """A fresh phone-sized context (its own cookies, storage and service workers)."""
    return browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        color_scheme="dark" if dark else "light",
    )


def throttle(page: Page) -> CDPSession:
    """Fast 3G and a 4x slower CPU for `page`; the CDP session stays open for further measures."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return cdp


def telegram_url(base: str, init_data: str, theme: dict[str, str] | None = None) -> str:
    """The address Telegram opens a Mini App at: initData (and the theme) in the fragment."""
    fragment = {"tgWebAppData": init_data, "tgWebAppPlatform": "android"}
    if theme is not None:
        fragment["tgWebAppThemeParams"] = json.dumps(theme, separators=(",", ":"))
    return f"{base}/app/#{urllib.parse.urlencode(fragment, quote_via=urllib.parse.quote)}"


def link_url(base: str, link: str) -> str:
    return f"{base}/app/#link={link}"


def texts(page: Page, name: str) -> list[str]:
    """The text of every element with data-test=`name`."""
    return [text.strip() for text in page.locator(f'[data-test="{name}"]').all_inner_texts()]
