// Telegram's theme parameters (the fragment's tgWebAppThemeParams JSON) as CSS variables and data-scheme
// light/dark on <html>; without them data-scheme follows prefers-color-scheme. No script from telegram.org.
const MAP = {
  bg_color: "--bg",
  secondary_bg_color: "--bg2",
  section_bg_color: "--card",
  text_color: "--text",
  hint_color: "--hint",
  subtitle_text_color: "--hint",
  link_color: "--link",
  button_color: "--accent",
  button_text_color: "--accent-text",
  destructive_text_color: "--danger",
};

function dark(hex) {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex || "");
  if (!match) return false;
  const n = parseInt(match[1], 16);
  const luminance = 0.2126 * (n >> 16) + 0.7152 * ((n >> 8) & 255) + 0.0722 * (n & 255);
  return luminance < 128;
}

function setScheme(root, scheme) {
  root.dataset.scheme = scheme;
  root.style.colorScheme = scheme;
}

function followSystem(root) {
  const query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  const follow = () => setScheme(root, query && query.matches ? "dark" : "light");
  follow();
  if (query && query.addEventListener) query.addEventListener("change", follow);
}

export function applyTheme(hash, root = document.documentElement) {
  const raw = new URLSearchParams(hash.replace(/^#/, "")).get("tgWebAppThemeParams");
  let params = null;
  try {
    params = raw ? JSON.parse(raw) : null;
  } catch {
    params = null;
  }
  if (!params || typeof params !== "object") {
    followSystem(root);
    return false;
  }
  for (const [key, variable] of Object.entries(MAP)) {
    const value = params[key];
    if (typeof value === "string" && /^#[0-9a-f]{3,8}$/i.test(value)) root.style.setProperty(variable, value);
  }
  setScheme(root, dark(params.bg_color) ? "dark" : "light");
  return true;
}
