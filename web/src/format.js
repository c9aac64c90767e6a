// Small display helpers.
const pad = (n) => String(n).padStart(2, "0");

export function clock(ts) {
  if (typeof ts !== "number") return "--:--";
  const date = new Date(ts * 1000);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function age(seconds) {
  if (typeof seconds !== "number") return "age unknown";
  if (seconds < 90) return `${Math.round(seconds)} s old`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min old`;
  return `${Math.round(seconds / 3600)} h old`;
}

export function money(value, currency) {
  if (typeof value !== "number") return "-";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD", maximumFractionDigits: 0 }).format(value);
  } catch {
    return `${Math.round(value)} ${currency || ""}`.trim();
  }
}

export const percent = (done, total) => (total > 0 ? Math.max(0, Math.min(100, Math.round((done / total) * 100))) : 0);
