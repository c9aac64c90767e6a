// The live stream: one EventSource while the page is visible and nothing while it is hidden (no timers, no
// polling). The server sends the whole board at each connect, so a reconnect is always current.
import { openEvents } from "./api.js";

const DOWN_AFTER_MS = 3000; // the stream down this long (while visible) counts as offline
const RETRY_MS = 3000; // reopen a stream the browser gave up on (only while visible)

export function startLive(handlers) {
  let source = null;
  let downTimer = 0;
  let retryTimer = 0;
  let lastEventId = "";

  const clearTimers = () => {
    clearTimeout(downTimer);
    clearTimeout(retryTimer);
    downTimer = retryTimer = 0;
  };

  const parse = (event) => {
    if (event.lastEventId) lastEventId = event.lastEventId;
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  };

  const close = () => {
    clearTimers();
    if (source) source.close();
    source = null;
  };

  // The browser saying it is offline wins over a stream event that was already on its way (a board sent at connect
  // and read after the network went away would otherwise clear the banner, and that stream may never error).
  const reachable = () => navigator.onLine !== false;

  const open = () => {
    close();
    if (document.visibilityState === "hidden" || !reachable()) return;
    const current = openEvents(lastEventId);
    source = current;
    current.onopen = () => {
      clearTimers();
      handlers.onOnline(reachable());
    };
    current.addEventListener("board", (event) => {
      const board = parse(event);
      if (board) handlers.onBoard(board);
      handlers.onOnline(reachable());
    });
    current.addEventListener("section", (event) => {
      const section = parse(event);
      if (section && typeof section.name === "string") handlers.onSection(section.name, section.value);
    });
    current.addEventListener("reply", (event) => {
      const reply = parse(event);
      if (reply) handlers.onReply(reply);
    });
    current.onerror = () => {
      if (source !== current || document.visibilityState === "hidden") return;
      if (!downTimer) downTimer = setTimeout(() => handlers.onOnline(false), DOWN_AFTER_MS);
      if (current.readyState === EventSource.CLOSED && !retryTimer) {
        // The browser gives up on an HTTP error (401 after the session expired, 5xx): ask why, then retry.
        retryTimer = setTimeout(() => {
          retryTimer = 0;
          handlers.onGaveUp().then((again) => again && open());
        }, RETRY_MS);
      }
    };
  };

  const onVisibility = () => (document.visibilityState === "hidden" ? close() : open());
  const onOnlineEvent = () => open();
  const onOfflineEvent = () => {
    close(); // nothing more from a stream the network dropped; "online" opens a new one
    handlers.onOnline(false);
  };

  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("online", onOnlineEvent);
  window.addEventListener("offline", onOfflineEvent);
  open();

  return () => {
    document.removeEventListener("visibilitychange", onVisibility);
    window.removeEventListener("online", onOnlineEvent);
    window.removeEventListener("offline", onOfflineEvent);
    close();
  };
}
