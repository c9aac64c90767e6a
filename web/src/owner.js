// Whose data a cached board is. IndexedDB is per origin, so everyone who uses this browser (two Telegram accounts on
// one phone, a shared laptop) shares it: boards and resource lists are kept per user, and a page shows one only for
// the user it proves - the user its tab signed in as (the tab's token), or, opened from Telegram while offline, the
// user that Telegram account signed in as here before. A link proves no one until the server accepts it.

export const boardKey = (name) => `board/${name}`;
export const resourcesKey = (name) => `resources/${name}`;
export const telegramKey = (id) => `telegram:${id}`;

// The Telegram user id in initData's `user` field (JSON), or null.
export function telegramUserId(initData) {
  try {
    const user = JSON.parse(new URLSearchParams(initData).get("user") || "null");
    return user && Number.isSafeInteger(user.id) ? user.id : null;
  } catch {
    return null;
  }
}

// The user whose cached data this page may show, or null. `credentials`: what the fragment carried, when their
// sign-in could not reach the server; `tabUser`: whom this tab's token was given to; `load`: a key's stored value.
export async function provenOwner(credentials, tabUser, load) {
  if (!credentials) return tabUser || null;
  const id = credentials.init_data ? telegramUserId(credentials.init_data) : null;
  if (id === null) return null;
  const name = await load(telegramKey(id));
  return typeof name === "string" && name ? name : null;
}

// The cached board of `owner`, only if it is theirs.
export async function ownBoard(owner, load) {
  if (!owner) return null;
  const board = await load(boardKey(owner));
  return board && board.user && board.user.name === owner ? board : null;
}
