"""`opsbot bench --only dashboard`: the phone dashboard (issue 21) in Debian's chromium driven by Playwright, over the
simulated world of 10,000 resources on the real Redis (bench.dashboard_server), as a phone on Fast 3G with a 4x
slower CPU (bench.dashboard_browser) sees it:

- the first view of a fresh phone (no cache): first contentful paint, the board shown, time to interactive (the board
  shown and a tab answering a tap), bytes transferred (all, and scripts + stylesheets), JS heap after a GC;
- tap -> visual feedback over 30 taps (pointerdown to the frame after the DOM changed, timed in the page);
- scrolling the 10,000-row list for 3 s (frames longer than 20 ms count as dropped);
- a change written in Redis (an alert through the alert desk) -> its card in the DOM, 50 times;
- main-thread time over an idle minute visible, and a minute hidden (headless chromium never hides a page, so the
  page is told it is hidden as a browser tells it: visibilityState "hidden" and a visibilitychange event), as % of
  one core measured under the 4x CPU slowdown (a phone's own share is about a quarter of it);
- offline: a reload that shows the banner and the cached board (service worker + IndexedDB).

It also saves the screenshots of docs/dashboard.md (the overview 320, 375, 768 and 1024 px wide and in Telegram's dark
theme, the search list at 375) into docs/dashboard/. OPSBOT_BENCH_DASHBOARD_IDLE_SECONDS shortens the two idle
windows (default 60). Uses the Redis at OPSBOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/14) and FLUSHES that
database."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alerts.model import Severity
from bench.dashboard_browser import PHONE, launch, missing, phone, telegram_url, throttle
from bench.dashboard_page import Transfers, arrivals, busy_share, first_view, offline_reload, scroll, taps
from bench.dashboard_server import ServedDashboard, init_data
from bench.figures import Figure
from bench.loopback import bench_redis
from core.metrics import quantile

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "dashboard"
WIDTHS = {320: 640, 375: 667, 768: 1024, 1024: 768}
DARK = {
    "bg_color": "#17212b",
    "secondary_bg_color": "#232e3c",
    "section_bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "destructive_text_color": "#ec3942",
}  # fmt: skip  (Telegram Desktop's night)
HIDE = """() => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => "hidden"});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@dataclass(frozen=True)
class Sizes:
    resources: int = 10_000
    taps: int = 30
    scroll_seconds: float = 3.0
    changes: int = 50
    change_gap: float = 0.25  # between published changes: more than the server's 100 ms coalescing
    idle_seconds: float = 60.0
    shots: Path | None = SHOTS  # None: no screenshots (a test's run)


def run() -> list[Figure]:
    reason = missing()
    if reason is not None:
        return [Figure(f"dashboard: skipped, {reason}", 0, "")]
    url = bench_redis("redis://127.0.0.1:6379/14")
    if url is None:
        return [Figure("dashboard: skipped, no Redis at OPSBOT_BENCH_REDIS_URL", 0, "")]
    idle = float(os.environ.get("OPSBOT_BENCH_DASHBOARD_IDLE_SECONDS", "60"))
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        return measure(Path(tmp), url, Sizes(idle_seconds=idle))


def measure(tmp: Path, redis_url: str, sizes: Sizes) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    with ServedDashboard(tmp, redis_url, sizes.resources) as served, sync_playwright() as playwright:
        served.fire("5xx above 5% on web-prod")
        served.fire("disk 85% full on db-prod", Severity.WARNING, "db-prod")
        browser = launch(playwright)
        try:
            if sizes.shots is not None:
                screenshots(browser, served.url, sizes.shots)
            return phone_figures(browser, served, sizes)
        finally:
            browser.close()


def phone_figures(browser: Browser, served: ServedDashboard, sizes: Sizes) -> list[Figure]:
    context = phone(browser)
    page = context.new_page()
    cdp = throttle(page)
    cdp.send("Performance.enable")
    transfers = Transfers()
    transfers.listen(cdp)
    view = first_view(page, cdp, telegram_url(served.url, init_data()))
    total, code = transfers.total, transfers.code
    tapped = taps(page, sizes.taps)
    frames, dropped = scroll(page, sizes.scroll_seconds)
    late = arrivals(page, lambda n: served.fire(f"change {n}", resource="api-prod"), sizes.changes, sizes.change_gap)
    visible = busy_share(cdp, sizes.idle_seconds)
    page.evaluate(HIDE)
    hidden = busy_share(cdp, sizes.idle_seconds)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    banner_ms, cached_rows = offline_reload(page, cdp)
    context.close()
    window = f"{sizes.idle_seconds:g} s"
    rows = f"{sizes.resources:,} rows {sizes.scroll_seconds:g} s"
    return [
        Figure("first contentful paint (Fast 3G, 4x CPU)", view.fcp_ms, "ms"),
        Figure("board shown (Fast 3G, 4x CPU)", view.board_ms, "ms"),
        Figure("time to interactive (board + a tap answered)", view.interactive_ms, "ms", "<= 2,000 ms"),
        Figure("first view transferred, all", total / 1024, "KB"),
        Figure("first view transferred, JS + CSS (gzipped)", code / 1024, "KB", "<= 60 KB"),
        Figure("JS heap after load (after a GC)", view.heap_mb, "MB", "<= 20 MB"),
        Figure(f"tap -> visual feedback p50 ({len(tapped)} taps)", quantile(tapped, 0.5), "ms"),
        Figure(f"tap -> visual feedback p99 ({len(tapped)} taps)", quantile(tapped, 0.99), "ms", "<= 50 ms"),
        Figure(f"scroll {rows}: frames", frames, "frames"),
        Figure(f"scroll {rows}: dropped (> 20 ms)", dropped, "frames"),
        Figure(f"Redis change -> DOM p50 ({len(late)} changes)", quantile(late, 0.5), "ms"),
        Figure(f"Redis change -> DOM p99 ({len(late)} changes)", quantile(late, 0.99), "ms"),
        Figure(f"main thread idle, visible ({window})", visible[0], "% of a core"),
        Figure(f"  of which script ({window})", visible[1], "% of a core"),
        Figure(f"main thread hidden ({window})", hidden[0], "% of a core"),
        Figure(f"  of which script, hidden ({window})", hidden[1], "% of a core"),
        Figure("offline reload -> banner + cached board", banner_ms, "ms"),
        Figure("  health rows on the cached board", cached_rows, "rows"),
    ]


def screenshots(browser: Browser, url: str, folder: Path) -> None:
    """The overview at each width, and the phone in Telegram's dark theme (unthrottled: pictures, not timings)."""
    folder.mkdir(parents=True, exist_ok=True)
    shots: list[tuple[int, int, dict[str, str] | None, str]]
    shots = [(width, height, None, f"overview-{width}.png") for width, height in WIDTHS.items()]
    shots.append((PHONE["width"], PHONE["height"], DARK, "overview-375-dark.png"))
    for width, height, theme, name in shots:
        context = phone(browser, width, height, dark=theme is not None)
        page = context.new_page()
        page.goto(telegram_url(url, init_data(), theme))
        page.locator('[data-test="alert-card"]').first.wait_for()
        page.screenshot(path=str(folder / name))
        if width == PHONE["width"] and theme is None:  # the 10,000-row list, filtered as typed
            page.locator('[data-test="tab-search"]').tap()
            page.locator('[data-test="search-input"]').fill("prod web")
            page.locator('[data-test="resource-row"]').first.wait_for()
            page.screenshot(path=str(folder / "search-375.png"))
        context.close()
