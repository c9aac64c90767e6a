// The health section's words (web/src/health.js): what the person woken at night reads first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { allCounts, briefProblem, healthSummary, notableCounts, staleAge } from "../src/health.js";

const row = {
  total: 1712,
  counts: { degraded: 54, stopped: 79, active: 87, "in-use": 352, available: 306, running: 834 },
  states: ["degraded", "stopped", "active", "in-use", "available", "running"],
  worst: "degraded",
};

test("a row lists only the states that need someone, worst first, of the total", () => {
  assert.equal(notableCounts(row), "54 degraded · 79 stopped of 1,712");
  assert.equal(notableCounts({ total: 40, counts: { running: 40 }, states: ["running"] }), "40 resources");
});

test("the expanded row lists every count", () => {
  assert.equal(allCounts(row), "1,712 total · 54 degraded · 79 stopped · 87 active · 352 in-use · 306 available · 834 running");
});

test("the data's age shows only once older than a minute, or when unknown", () => {
  assert.equal(staleAge(12), null);
  assert.equal(staleAge(60), null);
  assert.equal(staleAge(720), "data 12 min old");
  assert.equal(staleAge(7200), "data 2 h old");
  assert.equal(staleAge(null), "data age unknown");
});

test("the summary counts the rows by their worst state", () => {
  const rows = (...worst) => worst.map((w) => ({ worst: w }));
  assert.equal(healthSummary(rows("ok", "ok", "ok")), "All 3 OK");
  assert.equal(healthSummary(rows(...Array(9).fill("degraded"))), "9 of 9 degraded");
  assert.equal(healthSummary(rows("degraded", "down", "ok", "unknown")), "1 down · 1 unknown · 1 degraded of 4");
  assert.equal(healthSummary([]), "");
});

test("the row's one line drops the cloud's name the row already shows", () => {
  assert.equal(briefProblem({ cloud: "aws", problem: "AWS notify-prod: 1 of 16 instances degraded" }), "notify-prod: 1 of 16 instances degraded");
  assert.equal(briefProblem({ cloud: "gcp", problem: "API unreachable" }), "API unreachable");
  assert.equal(briefProblem({ cloud: "gcp", problem: null }), null);
});
