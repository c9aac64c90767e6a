// A tiny development server (not shipped): the built app from bot/web/static under /app and a fake API with the
// shapes of the shared plan. `npm run build && node dev/server.mjs [port]`, then open
// http://127.0.0.1:5180/app/#link=dev (add &viewer=1 to the link for a viewer).
import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "bot", "web", "static");
const sample = JSON.parse(readFileSync(join(here, "board.json"), "utf8"));
const port = Number(process.argv[2] || 5180);
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };
const clouds = ["aws", "gcp", "azure"];
const states = ["running", "running", "running", "stopped", "unhealthy"];
const resources = {
  columns: ["id", "name", "cloud", "kind", "state", "environment", "region"],
  rows: Array.from({ length: 10000 }, (_, i) => [`r${i}`, `svc-${i}-${["prod", "staging"][i % 2]}`, clouds[i % 3], "vm", states[i % 5], ["prod", "staging"][i % 2], "eu-west-1"]),
  total: 10000,
  age_seconds: 20,
};
const streams = new Set();
let eventId = 0;
let viewer = false;

function json(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function board() {
  const b = { ...sample, generated_at: Date.now() / 1000 };
  return viewer ? { ...b, user: { name: "vic", role: "viewer" }, can_act: false, emergency: [] } : b;
}

function send(res, event, data) {
  res.write(`id: ${++eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function body(req) {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => resolve(text ? JSON.parse(text) : {}));
  });
}

createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  const path = url.pathname;
  if (path === "/app/api/session") {
    const given = await body(req);
    viewer = String(given.link || "").includes("viewer");
    return json(res, 200, { token: "dev-token", user: viewer ? "vic" : "alice", role: viewer ? "viewer" : "admin", expires_at: Date.now() / 1000 + 3600 });
  }
  if (path.startsWith("/app/api/")) {
    const auth = req.headers.authorization || "";
    if (auth !== "Bearer dev-token" && url.searchParams.get("token") !== "dev-token") return json(res, 401, { error: "Sign in again: the session expired." });
  }
  if (path === "/app/api/board") return json(res, 200, board());
  if (path === "/app/api/resources") return json(res, 200, resources);
  if (path.startsWith("/app/api/resources/")) {
    const id = decodeURIComponent(path.slice("/app/api/resources/".length));
    const points = Array.from({ length: 30 }, (_, i) => [1765000000 + i * 60, 30 + 25 * Math.sin(i / 4)]);
    return json(res, 200, { id, name: id, cloud: "aws", kind: "vm", state: "running", environment: "prod", region: "eu-west-1", count: 3, size: "m5.large", tags: { team: "web" }, cost_month: 321.5, cpu: { points, problem: null }, standby: "web-dr", actions: viewer ? [] : [{ label: "Restart", command: `restart ${id}`, danger: false, needs_number: false }, { label: "Scale", command: `scale ${id} to {n}`, danger: false, needs_number: true }] });
  }
  if (path === "/app/api/say") {
    const given = await body(req);
    if (given.text) return json(res, 200, { replies: [{ key: "p1", text: `About to: ${given.text}. Confirm?`, kind: "preview", buttons: [{ id: "confirm:AB12", label: "Confirm", style: "primary", url: null }, { id: "cancel:AB12", label: "Cancel", style: null, url: null }], edit_of: null }] });
    setTimeout(() => streams.forEach((s) => send(s, "reply", { key: "p3", text: "Done.", kind: "result", buttons: [], edit_of: "p1" })), 500);
    return json(res, 200, { replies: [{ key: "p2", text: given.button.startsWith("confirm") ? "Running…" : "Cancelled.", kind: "progress", buttons: [], edit_of: "p1" }] });
  }
  if (path === "/app/api/events") {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    streams.add(res);
    send(res, "board", board());
    req.on("close", () => streams.delete(res));
    return undefined;
  }
  if (path === "/app/api/logout") return json(res, 200, {});
  let file = path === "/app" || path === "/app/" ? "index.html" : path.replace(/^\/app\//, "");
  file = normalize(join(root, file));
  if (!file.startsWith(root) || !existsSync(file)) return json(res, 404, { error: "Not found." });
  res.writeHead(200, { "Content-Type": types[file.slice(file.lastIndexOf("."))] || "application/octet-stream" });
  res.end(readFileSync(file));
}).listen(port, "127.0.0.1", () => console.log(`http://127.0.0.1:${port}/app/#link=dev`));
