// The dashboard's shell: sign-in, the board and its live stream, the offline banner, the tabs and the replies.
import { useCallback, useEffect, useState } from "preact/hooks";
import { credentialsFromUrl, getBoard, say, signIn, signOut, tabUser, token, ApiError } from "./api.js";
import { early } from "./boot.js";
import { clock } from "./format.js";
import { startLive } from "./live.js";
import { mergeReply } from "./replies.js";
import { load, save, forget } from "./store.js";
import { boardKey, ownBoard, provenOwner, telegramKey, telegramUserId } from "./owner.js";
import { Overview } from "./overview.jsx";
import { Search, forgetResources } from "./search.jsx";
import { Resource } from "./resource.jsx";
import { Emergency } from "./emergency.jsx";
import { Replies } from "./reply-cards.jsx";

const TABS = [
  ["overview", "Overview"],
  ["search", "Search"],
  ["emergency", "Emergency"],
];

const EMPTY = [];
const OPEN_FROM_BOT = "Open the dashboard from the bot: the Telegram menu button, or ask for a dashboard link in chat.";

function startResource(hash, search) {
  const fromHash = new URLSearchParams(hash.replace(/^#/, "")).get("resource");
  return fromHash || new URLSearchParams(search).get("resource") || null;
}

export function App({ hash, search }) {
  const [phase, setPhase] = useState("starting"); // starting | signed-out | ready
  const [message, setMessage] = useState("");
  const [board, setBoard] = useState(null);
  const [online, setOnline] = useState(typeof navigator === "undefined" || navigator.onLine !== false);
  const [tab, setTab] = useState("overview");
  const [resource, setResource] = useState(() => startResource(hash, search));
  const [cards, setCards] = useState([]);
  const [retry, setRetry] = useState(null); // credentials whose sign-in failed offline (see below)

  const signedOut = useCallback((text) => {
    forget();
    forgetResources();
    setBoard(null);
    setMessage(text);
    setPhase("signed-out");
  }, []);

  const fail = useCallback(
    (error) => {
      if (error instanceof ApiError && error.status === 401) signedOut(error.message);
      else if (error instanceof ApiError && error.status === 0) setOnline(false);
      return error;
    },
    [signedOut],
  );

  const keepBoard = useCallback((next) => {
    setBoard(next);
    save(boardKey(next.user.name), next);
  }, []);

  // Signed in from the fragment: the board, and which user this Telegram account is here (for an offline open).
  const signedIn = useCallback((credentials, session) => {
    const id = credentials.init_data ? telegramUserId(credentials.init_data) : null;
    if (id !== null) save(telegramKey(id), session.user);
    keepBoard(session.board);
  }, []);

  // Sign in from the fragment (then drop it from the address bar): the answer carries the board, so the first view
  // costs one round trip after the shell. Else resume the tab's session: with this tab's token the last board shows
  // at once and the live stream (the whole board at connect) brings the current one; without a token, the session
  // cookie an earlier tab got is tried with GET /board. A cached board is shown only to its owner (src/owner.js).
  useEffect(() => {
    const credentials = credentialsFromUrl(hash);
    if (credentials) history.replaceState(null, "", location.pathname + location.search);
    (async () => {
      let offline = null; // the sign-in's error when it could not reach the server
      if (credentials) {
        try {
          const session = await (early || signIn(credentials));
          if (session instanceof Error) throw session;
          if (session.board) {
            signedIn(credentials, session);
            return setPhase("ready");
          }
        } catch (error) {
          if (error.status !== 0) return signedOut(error.message);
          offline = error; // opened from the bot without a network: the last board of the user it proves, if any
        }
      }
      const cached = await ownBoard(await provenOwner(offline && credentials, tabUser(), load), load);
      if (offline) {
        if (!cached) return signedOut(offline.message);
        setOnline(false);
        setRetry(credentials);
      }
      if (cached) {
        setBoard(cached);
        return setPhase("ready");
      }
      const hadToken = Boolean(token());
      try {
        keepBoard(await getBoard()); // with the tab's token, or the session cookie of an earlier tab
        setPhase("ready");
      } catch (error) {
        if (error.status === 401) return signedOut(hadToken ? error.message : OPEN_FROM_BOT);
        signedOut(fail(error).message);
      }
    })();
  }, []);

  // Opened from the bot offline with a cached board: sign in with the same credentials once back online (the tab's
  // token or the browser's cookie may be someone else's), and only then go live.
  useEffect(() => {
    if (!retry) return undefined;
    const again = () =>
      signIn(retry).then(
        (session) => (signedIn(retry, session), setOnline(true), setRetry(null)),
        (error) => error.status !== 0 && signedOut(error.message),
      );
    const visible = () => document.visibilityState === "visible" && again();
    window.addEventListener("online", again);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.removeEventListener("online", again);
      document.removeEventListener("visibilitychange", visible);
    };
  }, [retry]);

  useEffect(() => {
    if (phase !== "ready" || retry) return undefined;
    return startLive({
      onBoard: keepBoard,
      onSection: (name, value) =>
        setBoard((current) => {
          if (!current) return current;
          const next = { ...current, [name]: value };
          save(boardKey(next.user.name), next);
          return next;
        }),
      onReply: (reply) => setCards((current) => mergeReply(current, reply)),
      onOnline: setOnline,
      onGaveUp: () =>
        getBoard().then(
          (next) => (keepBoard(next), true),
          (error) => fail(error).status !== 401,
        ),
    });
  }, [phase, retry]);

  const [opened, setOpened] = useState(["overview"]); // each tab's view stays mounted once opened (switched by hidden)

  const act = useCallback(
    async (payload, fromCard) => {
      if (fromCard) setCards((current) => current.map((card) => (card === fromCard ? { ...card, pending: true } : card)));
      try {
        const answer = await say(payload);
        setCards((current) => (answer.replies || []).reduce(mergeReply, current));
      } catch (error) {
        fail(error);
        const key = `error-${Date.now()}`;
        setCards((current) => mergeReply(current, { key, text: error.message, kind: "error", buttons: [] }));
      }
    },
    [fail],
  );
  const run = useCallback((command) => act({ text: command }), [act]);
  const press = useCallback((card, button) => act({ button: button.id }, card), [act]);

  if (phase === "starting") return <p class="boot">Signing in…</p>;
  if (phase === "signed-out")
    return (
      <main class="signin" data-test="signin">
        <h1>opsbot</h1>
        <p data-test="signin-message">{message}</p>
      </main>
    );

  const canAct = Boolean(board && board.can_act) && online;
  const onTab = (name) => !resource && tab === name;
  // A view not shown stays mounted but skipped (class "off": content-visibility hidden) and inert.
  const view = (name, base = "") => (onTab(name) ? { class: base } : { class: `${base} off`, inert: true });

  return (
    <div class="shell">
      {!online && (
        <div class="banner" role="status" data-test="offline-banner">
          Offline - data from {board ? clock(board.generated_at) : "--:--"}
        </div>
      )}
      <header class="top">
        <strong>opsbot</strong>
        {board && (
          <span class="who" data-test="user">
            {board.user.name} · {board.user.role}
          </span>
        )}
        <button type="button" class="quiet" data-test="sign-out" onClick={() => signOut().catch(() => undefined).then(() => signedOut("Signed out."))}>
          Sign out
        </button>
      </header>
      <main class="content">
        {!board && <p class="empty">Loading the board…</p>}
        {board && resource && (
          <Resource id={resource} canAct={canAct} showActions={board.can_act} onBack={() => setResource(null)} onRun={run} onError={fail} />
        )}
        {board && opened.includes("overview") && (
          <div {...view("overview")}>
            <Overview board={board} canAct={canAct} onRun={run} onOpen={setResource} />
          </div>
        )}
        {board && opened.includes("search") && (
          <div {...view("search", "fill")}>
            <Search owner={board.user.name} visible={onTab("search")} onOpen={setResource} onError={fail} />
          </div>
        )}
        {board && opened.includes("emergency") && (
          <div {...view("emergency")}>
            <Emergency items={board.emergency || EMPTY} canAct={canAct} showActions={board.can_act} onRun={run} />
          </div>
        )}
      </main>
      <Replies cards={cards} canAct={canAct} onPress={press} onClose={(card) => setCards((c) => c.filter((x) => x !== card))} />
      <nav class="tabs">
        {TABS.map(([name, label]) => (
          <button
            key={name}
            type="button"
            data-test={`tab-${name}`}
            aria-current={tab === name && !resource ? "page" : undefined}
            onClick={() => {
              setResource(null);
              setTab(name);
              setOpened((current) => (current.includes(name) ? current : [...current, name]));
            }}
          >
            {label}
          </button>
        ))}
      </nav>
    </div>
  );
}
