// The resource list as the search filters it: each row with its lower-cased text, matched word by word.
export function indexRows(data) {
  const at = (name) => data.columns.indexOf(name);
  const cols = { id: at("id"), name: at("name"), cloud: at("cloud"), kind: at("kind"), state: at("state"), environment: at("environment"), region: at("region") };
  const rows = data.rows.map((row) => ({ row, text: row.map((value) => (value == null ? "" : String(value))).join(" ").toLowerCase() }));
  return { cols, rows, total: data.total, age: data.age_seconds };
}

export function filterRows(rows, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows;
  return rows.filter((entry) => words.every((word) => entry.text.includes(word)));
}
