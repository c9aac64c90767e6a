// The health section's words: only the counts that need someone, a one-line summary, and an age only when stale.

// States that need nobody; every other count is worth a look (the board lists states worst first).
const HEALTHY = new Set(["running", "active", "in-use", "available", "healthy", "ok", "ready", "succeeded"]);
const STALE_AFTER_SECONDS = 60;
const ORDER = ["down", "unknown", "degraded"];

export const number = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : "?");

// "54 degraded · 79 stopped of 1,712", or "1,712 resources" when nothing needs a look.
export function notableCounts(row) {
  const states = row.states || Object.keys(row.counts || {});
  const notable = states.filter((state) => !HEALTHY.has(state) && row.counts[state] > 0);
  if (notable.length === 0) return `${number(row.total)} resources`;
  return `${notable.map((state) => `${number(row.counts[state])} ${state}`).join(" · ")} of ${number(row.total)}`;
}

// Every count, for the expanded row: "1,712 total · 54 degraded · ... · 834 running".
export function allCounts(row) {
  const states = row.states || Object.keys(row.counts || {});
  return [`${number(row.total)} total`, ...states.map((state) => `${number(row.counts[state])} ${state}`)].join(" · ");
}

// "data 12 min old" when older than a minute or unknown; null while fresh.
export function staleAge(seconds) {
  if (typeof seconds !== "number") return "data age unknown";
  if (seconds <= STALE_AFTER_SECONDS) return null;
  if (seconds < 5400) return `data ${Math.round(seconds / 60)} min old`;
  return `data ${Math.round(seconds / 3600)} h old`;
}

// "All 9 OK", "9 of 9 degraded", "1 down · 2 degraded of 9".
export function healthSummary(rows) {
  if (rows.length === 0) return "";
  const bad = ORDER.map((worst) => [worst, rows.filter((row) => row.worst === worst).length]).filter(([, n]) => n > 0);
  if (bad.length === 0) return `All ${rows.length} OK`;
  if (bad.length === 1) return `${bad[0][1]} of ${rows.length} ${bad[0][0]}`;
  return `${bad.map(([worst, n]) => `${n} ${worst}`).join(" · ")} of ${rows.length}`;
}

// The problem for the row's one line, without the cloud's name the row already shows ("AWS notify-prod: ...").
export function briefProblem(row) {
  if (!row.problem) return null;
  const prefix = `${row.cloud} `;
  return row.problem.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase() ? row.problem.slice(prefix.length) : row.problem;
}
