"""The measures taken inside one dashboard page (Playwright's page plus its CDP session): what the page itself can
time with performance.now() (taps, frames, arrivals), and what Chrome counts for it (bytes, heap, task time).
Each function returns plain numbers; bench/dashboard.py turns them into figures."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.dashboard_browser import FAST_3G

if TYPE_CHECKING:
    from playwright.sync_api import CDPSession, Page

HEALTH = '[data-test="section-health"]'

# pointerdown -> the first DOM change after it -> the frame that shows it (rAF runs just before that frame's paint).
TAP_PROBE = """() => {
  window.__taps = [];
  if (window.__tapProbe) return;
  window.__tapProbe = true;
  document.addEventListener("pointerdown", (event) => {
    const start = event.timeStamp;
    const seen = new MutationObserver(() => {
      seen.disconnect();
      requestAnimationFrame(() => window.__taps.push(performance.now() - start));
    });
    seen.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  }, {capture: true});
}"""

# The frame that first shows the board (its health section), stamped in the page from its very start: the time is the
# page's own, without the round trips of Playwright noticing it and asking for performance.now().
BOARD_PROBE = """() => {
  new MutationObserver((_, observer) => {
    if (!document.querySelector('[data-test="section-health"]')) return;
    observer.disconnect();
    requestAnimationFrame(() => (window.__boardShown = performance.now()));
  }).observe(document, {subtree: true, childList: true});
}"""

# Scroll the list by `step` px every frame for `seconds`; frames longer than 20 ms count as dropped.
SCROLL = """async ([seconds, step]) => {
  const list = document.querySelector('[data-test="resource-list"]');
  return await new Promise((resolve) => {
    let frames = 0, dropped = 0, last = 0, end = 0;
    const frame = (now) => {
      if (last) { frames += 1; if (now - last > 20) dropped += 1; } else { end = now + seconds * 1000; }
      last = now;
      list.scrollTop += step;
      if (now < end || !end) requestAnimationFrame(frame); else resolve([frames, dropped, list.scrollTop]);
    };
    requestAnimationFrame(frame);
  });
}"""

# Wall-clock ms (timeOrigin + now) at which each alert card titled "change N" first appeared.
ARRIVALS = """() => {
  window.__arrivals = {};
  new MutationObserver(() => {
    const now = performance.timeOrigin + performance.now();
    for (const card of document.querySelectorAll('[data-test="alert-card"]')) {
      const found = /change (\\d+)/.exec(card.textContent || "");
      if (found && !(found[1] in window.__arrivals)) window.__arrivals[found[1]] = now;
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@dataclass
class Transfers:
    """Bytes on the wire (headers + compressed bodies) as Chrome's network domain counts them."""

    kinds: dict[str, str] = field(default_factory=dict)
    total: int = 0
    code: int = 0  # scripts and stylesheets

    def listen(self, cdp: CDPSession) -> None:
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event: dict[str, Any]) -> None:
        self.kinds[event["requestId"]] = str(event.get("type", ""))

    def _finished(self, event: dict[str, Any]) -> None:
        size = int(event.get("encodedDataLength", 0))
        self.total += size
        if self.kinds.get(event["requestId"]) in {"Script", "Stylesheet"}:
            self.code += size


@dataclass(frozen=True)
class FirstView:
    fcp_ms: float
    board_ms: float
    interactive_ms: float
    heap_mb: float


def first_view(page: Page, cdp: CDPSession, url: str) -> FirstView:
    """Open `url`: the frame that shows the board, and time to interactive - that frame plus the time the first tap
    after it took to be answered (pointerdown -> the frame after the tab switched). Both are the page's own times from
    navigation start, without Playwright's round trips between seeing the board and tapping."""
    page.add_init_script(f"({BOARD_PROBE})()")
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__boardShown !== undefined", timeout=60_000)
    board = float(page.evaluate("window.__boardShown"))
    page.evaluate(TAP_PROBE)
    page.locator('[data-test="tab-emergency"]').tap()
    page.wait_for_function("() => window.__taps.length >= 1")
    interactive = board + float(page.evaluate("window.__taps[0]"))
    page.locator('[data-test="tab-overview"]').tap()
    page.locator('[data-test="tab-overview"][aria-current="page"]').wait_for()
    fcp = float(page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"))
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")
    return FirstView(fcp, board, interactive, float(heap["usedSize"]) / 1e6)


def taps(page: Page, count: int) -> list[float]:
    """`count` taps alternating two tabs: ms from pointerdown to the frame after the DOM changed."""
    page.evaluate(TAP_PROBE)
    for n in range(count):
        name = "emergency" if n % 2 == 0 else "overview"
        page.locator(f'[data-test="tab-{name}"]').tap()
        page.locator(f'[data-test="tab-{name}"][aria-current="page"]').wait_for()
        page.wait_for_function(f"() => window.__taps.length >= {n + 1}")
    return [float(ms) for ms in page.evaluate("window.__taps")]


def scroll(page: Page, seconds: float, step: int = 40) -> tuple[int, int]:
    """(frames, dropped frames) over `seconds` of scrolling the whole resource list, after it has loaded."""
    page.locator('[data-test="tab-search"]').tap()
    page.locator('[data-test="resource-row"]').first.wait_for(timeout=60_000)
    frames, dropped, _ = page.evaluate(SCROLL, [seconds, step])
    page.locator('[data-test="tab-overview"]').tap()
    page.locator(HEALTH).wait_for()
    return int(frames), int(dropped)


def arrivals(page: Page, publish: Callable[[int], None], count: int, gap: float) -> list[float]:
    """ms from publishing change N (in this process) to its card appearing in the page, for N in 0..count-1."""
    page.evaluate(ARRIVALS)
    sent: dict[str, float] = {}
    for n in range(count):
        sent[str(n)] = time.time() * 1000
        publish(n)
        time.sleep(gap)
    page.wait_for_function(f"() => Object.keys(window.__arrivals).length >= {count}", timeout=60_000)
    seen: dict[str, float] = page.evaluate("window.__arrivals")
    return [seen[n] - sent[n] for n in sent]


def busy_share(cdp: CDPSession, seconds: float) -> tuple[float, float]:
    """(all tasks, script) time on the page's main thread over `seconds`, as a share of one core (%)."""

    def metrics() -> dict[str, float]:
        return {m["name"]: float(m["value"]) for m in cdp.send("Performance.getMetrics")["metrics"]}

    before = metrics()
    time.sleep(seconds)
    after = metrics()
    return tuple(  # type: ignore[return-value]
        100 * (after[name] - before[name]) / seconds for name in ("TaskDuration", "ScriptDuration")
    )


def offline_reload(page: Page, cdp: CDPSession) -> tuple[float, int]:
    """Offline, reload: (ms until the banner shows, health rows on the cached board). The throttling session is set
    offline too: its own network conditions would otherwise still let the page through."""
    cdp.send("Network.emulateNetworkConditions", FAST_3G | {"offline": True})
    page.context.set_offline(True)
    page.locator('[data-test="offline-banner"]').wait_for()
    start = time.perf_counter()
    page.reload(wait_until="commit")
    page.locator('[data-test="offline-banner"]').wait_for(timeout=60_000)
    banner = (time.perf_counter() - start) * 1000
    rows = page.locator('[data-test="health-row"]').count()
    page.context.set_offline(False)
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    return banner, rows
