// Talking to `opsbot serve`: sign-in, the JSON routes, the live stream. Every error body is {"error": "<one line>"}.
const TOKEN_KEY = "opsbot_token";
const USER_KEY = "opsbot_user"; // whom the tab's token was given to: the owner of the cached board it may show

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function read(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export const token = () => read(TOKEN_KEY);
export const tabUser = () => (token() ? read(USER_KEY) : null);

function keep(value, user = null) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
    if (value && user) sessionStorage.setItem(USER_KEY, user);
    else sessionStorage.removeItem(USER_KEY);
  } catch {
    /* private mode: the cookie still carries the session */
  }
}

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`/app/api/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "Offline: the server cannot be reached.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string" ? data.error : `The server answered ${response.status}.`;
    if (response.status === 401) keep(null);
    throw new ApiError(response.status, message);
  }
  return data;
}

// The credentials the page was opened with: Telegram's initData or a one-time link, both in the URL fragment.
export function credentialsFromUrl(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const initData = params.get("tgWebAppData");
  if (initData) return { init_data: initData };
  const link = params.get("link");
  if (link) return { link };
  return null;
}

export async function signIn(credentials) {
  const session = await call("POST", "session", credentials);
  keep(session.token, session.user);
  return session;
}

export async function signOut() {
  try {
    await call("POST", "logout", {});
  } finally {
    keep(null);
  }
}

export const getBoard = () => call("GET", "board");
export const getResources = () => call("GET", "resources");
export const getResource = (id) => call("GET", `resources/${encodeURIComponent(id)}`);
export const say = (payload) => call("POST", "say", payload);

// `last_event_id`: where a stream this page closed (hidden) left off, since a new EventSource cannot send the
// Last-Event-ID header; the browser's own reconnects send the header.
export function openEvents(lastEventId) {
  const query = new URLSearchParams();
  const current = token();
  if (current) query.set("token", current);
  if (lastEventId) query.set("last_event_id", lastEventId);
  const text = query.toString();
  return new EventSource(`/app/api/events${text ? `?${text}` : ""}`);
}
