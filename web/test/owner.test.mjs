// Whose cached board a page may show (src/owner.js): the tab's user, or the user a Telegram account signed in as.
import assert from "node:assert/strict";
import { test } from "node:test";
import { boardKey, ownBoard, provenOwner, telegramKey, telegramUserId } from "../src/owner.js";

const initData = (user) => new URLSearchParams({ user: JSON.stringify(user), auth_date: "1", hash: "x" }).toString();
const storage = (entries) => async (key) => entries[key];
const board = (name) => ({ user: { name, role: "operator" } });

test("the Telegram user id comes from initData's user field", () => {
  assert.equal(telegramUserId(initData({ id: 123456789, first_name: "A" })), 123456789);
  assert.equal(telegramUserId(initData({ first_name: "no id" })), null);
  assert.equal(telegramUserId("user=%7Bnot%20json"), null);
  assert.equal(telegramUserId("auth_date=1"), null);
});

test("a resumed tab proves the user its token was given to; nothing else proves anyone", async () => {
  const load = storage({});
  assert.equal(await provenOwner(null, "alice", load), "alice");
  assert.equal(await provenOwner(null, null, load), null);
});

test("offline from Telegram proves the user that account signed in as here; a link or a new account no one", async () => {
  const load = storage({ [telegramKey(234567890)]: "bob" });
  assert.equal(await provenOwner({ init_data: initData({ id: 234567890 }) }, "alice", load), "bob");
  assert.equal(await provenOwner({ init_data: initData({ id: 345678901 }) }, "alice", load), null);
  assert.equal(await provenOwner({ link: "abc" }, "alice", load), null);
});

test("a cached board is its owner's only", async () => {
  const load = storage({ [boardKey("alice")]: board("alice"), [boardKey("bob")]: board("alice") });
  assert.equal((await ownBoard("alice", load)).user.name, "alice");
  assert.equal(await ownBoard("bob", load), null);
  assert.equal(await ownBoard("carol", load), null);
  assert.equal(await ownBoard(null, load), null);
});
