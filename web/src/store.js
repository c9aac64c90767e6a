// The last board and resource list, kept in IndexedDB so the app opens offline with data (and says how old it is).
const DB = "opsbot";
const STORE = "snapshots";

function open() {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") return reject(new Error("no IndexedDB"));
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function run(mode, work) {
  return open().then(
    (db) =>
      new Promise((resolve, reject) => {
        const transaction = db.transaction(STORE, mode);
        const request = work(transaction.objectStore(STORE));
        transaction.oncomplete = () => {
          db.close();
          resolve(request.result);
        };
        transaction.onerror = () => {
          db.close();
          reject(transaction.error);
        };
      }),
  );
}

export const save = (key, value) => run("readwrite", (store) => store.put(value, key)).catch(() => undefined);
export const load = (key) => run("readonly", (store) => store.get(key)).catch(() => undefined);
export const forget = () => run("readwrite", (store) => store.clear()).catch(() => undefined);
