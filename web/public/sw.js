// The dashboard's service worker (scope /app/): the app shell offline.
// Hashed assets: cache first (they never change). index.html and the manifest: network first, the cache when offline.
// API answers are never cached here: the app keeps the last board in IndexedDB itself.
const CACHE = "opsbot-shell-v1";
const SHELL = "/app/";

// The shell and the assets it names, so the page that registered this worker opens offline next time.
async function precache() {
  const cache = await caches.open(CACHE);
  const response = await fetch(SHELL, { cache: "no-cache" });
  if (!response.ok) return;
  const html = await response.clone().text();
  await cache.put(SHELL, response);
  await cache.addAll([...new Set(html.match(/\/app\/assets\/[^"' )]+/g) || [])]);
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().catch(() => undefined).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// Keep only the assets the newest index.html names, so old builds do not pile up.
async function prune(cache, html) {
  const wanted = new Set(html.match(/\/app\/assets\/[^"' )]+/g) || []);
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/app/assets/") && !wanted.has(path)) await cache.delete(request);
  }
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(key, response.clone());
      if (key === SHELL) prune(cache, await response.clone().text());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/app/api/")) return;
  if (url.pathname.startsWith("/app/assets/")) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate" || url.pathname === "/app/" || url.pathname === "/app" || url.pathname === "/app/index.html") {
    event.respondWith(networkFirst(request, SHELL));
  } else if (url.pathname === "/app/manifest.json") {
    event.respondWith(networkFirst(request, url.pathname));
  }
});
