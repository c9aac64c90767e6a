// The front end's pure logic, run by `node --test` (part of `make web-check`). The pages themselves are tested
// in a real browser by tests/browser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { credentialsFromUrl } from "../src/api.js";
import { mergeReply } from "../src/replies.js";
import { filterRows, indexRows } from "../src/rows.js";
import { applyTheme } from "../src/theme.js";
import { clock, percent } from "../src/format.js";

const reply = (key, text, editOf = null) => ({ key, text, kind: "info", buttons: [], edit_of: editOf });

test("a later reply with edit_of replaces its card, an edit of the edit too", () => {
  let cards = mergeReply([], reply("p1", "Restart web-prod? Confirm"));
  cards = mergeReply(cards, reply("p2", "Restarting…", "p1"));
  assert.deepEqual(cards.map((c) => c.text), ["Restarting…"]);
  cards = mergeReply(cards, reply("p3", "Done", "p2"));
  cards = mergeReply(cards, reply("x", "Something else"));
  assert.deepEqual(cards.map((c) => c.text), ["Done", "Something else"]);
});

test("the same reply twice (from /say and from the stream) is one card", () => {
  const cards = mergeReply(mergeReply([], reply("p1", "a")), reply("p1", "a"));
  assert.equal(cards.length, 1);
});

test("the filter matches every word, in any column, case-insensitively", () => {
  const data = indexRows({
    columns: ["id", "name", "cloud", "kind", "state", "environment", "region"],
    rows: [
      ["1", "web-prod", "aws", "group", "running", "prod", "us-east-1"],
      ["2", "web-dr", "aws", "group", "stopped", "dr", null],
      ["3", "db-prod", "gcp", "vm", "running", "prod", "europe-west1"],
    ],
    total: 3,
    age_seconds: null,
  });
  const names = (query) => filterRows(data.rows, query).map((e) => e.row[data.cols.name]);
  assert.deepEqual(names("WEB prod"), ["web-prod"]);
  assert.deepEqual(names("gcp"), ["db-prod"]);
  assert.deepEqual(names("null"), []);
  assert.equal(filterRows(data.rows, "  ").length, 3);
});

test("credentials come from Telegram's initData or a link in the fragment", () => {
  const initData = "query_id=AA&user=%7B%22id%22%3A1%7D&auth_date=1&hash=ab";
  assert.deepEqual(credentialsFromUrl(`#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=7.0`), { init_data: initData });
  assert.deepEqual(credentialsFromUrl("#link=Zx9"), { link: "Zx9" });
  assert.equal(credentialsFromUrl("#resource=web-prod"), null);
});

test("Telegram's theme becomes CSS variables and the scheme follows its background", () => {
  const set = {};
  const root = { style: { setProperty: (name, value) => (set[name] = value) }, dataset: {} };
  const theme = encodeURIComponent(JSON.stringify({ bg_color: "#17212b", button_color: "#5288c1", text_color: "url(x)" }));
  assert.equal(applyTheme(`#tgWebAppThemeParams=${theme}`, root), true);
  assert.deepEqual(set, { "--bg": "#17212b", "--accent": "#5288c1" });
  assert.equal(root.dataset.scheme, "dark");
});

test("times are local HH:MM and progress stays within 0-100", () => {
  const ts = new Date(2026, 0, 2, 3, 2).getTime() / 1000;
  assert.equal(clock(ts), "03:02");
  assert.equal(clock(null), "--:--");
  assert.equal(percent(3, 9), 33);
  assert.equal(percent(5, 0), 0);
  assert.equal(percent(12, 9), 100);
});
