// Inside Telegram (the fragment names tgWebAppVersion or tgWebAppData), tell the client the app is ready and ask
// for the full height - the two calls telegram-web-app.js would make, posted the way it posts them, without
// loading any script from telegram.org.
function postEvent(eventType, eventData = {}) {
  const proxy = window.TelegramWebviewProxy;
  if (proxy && typeof proxy.postEvent === "function") return proxy.postEvent(eventType, JSON.stringify(eventData));
  if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType, eventData }), "https://web.telegram.org");
  return undefined;
}

export function greetTelegram(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  if (!params.has("tgWebAppVersion") && !params.has("tgWebAppData")) return false;
  try {
    postEvent("web_app_ready");
    postEvent("web_app_expand");
  } catch {
    return false;
  }
  return true;
}
