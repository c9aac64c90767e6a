// Search over every resource: loaded once when the tab opens, filtered as you type, drawn as a virtualised list
// (only the visible rows and a small overscan exist in the DOM, so 10,000+ rows scroll smoothly).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getResources } from "./api.js";
import { load, save } from "./store.js";
import { resourcesKey } from "./owner.js";
import { filterRows, indexRows } from "./rows.js";
import { swipeHandlers } from "./swipe.js";

export const ROW_HEIGHT = 56;
const OVERSCAN = 8;
let memory = null; // the list survives switching tabs

export function forgetResources() {
  memory = null;
}

function Row({ entry, cols, top, onOpen }) {
  const id = entry.row[cols.id];
  const swipe = swipeHandlers(() => onOpen(id));
  return (
    <button type="button" class="row" style={{ top: `${top}px` }} data-test="resource-row" data-id={id} onClick={() => onOpen(id)} {...swipe}>
      <span class="name">{entry.row[cols.name]}</span>
      <span class={`badge ${entry.row[cols.state]}`}>{entry.row[cols.state]}</span>
      <span class="meta">
        {entry.row[cols.cloud]} · {entry.row[cols.environment]} · {entry.row[cols.kind]} · {entry.row[cols.region]}
      </span>
    </button>
  );
}

// `owner`: the signed-in user, whose cached list (only) is shown offline. `visible`: the tab is shown (it stays mounted while hidden, so its list is measured again when shown).
export function Search({ owner, visible, onOpen, onError }) {
  const [data, setData] = useState(memory);
  const [problem, setProblem] = useState("");
  const [query, setQuery] = useState("");
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  const box = useRef(null);
  const frame = useRef(0);

  useEffect(() => {
    if (memory) return;
    getResources().then(
      (answer) => {
        memory = indexRows(answer);
        setData(memory);
        save(resourcesKey(owner), answer);
      },
      async (error) => {
        onError(error);
        const cached = await load(resourcesKey(owner));
        if (cached) setData((memory = indexRows(cached)));
        else setProblem(error.message);
      },
    );
  }, []);

  useEffect(() => {
    const element = box.current;
    if (!element) return undefined;
    const measure = () => setScroll({ top: element.scrollTop, height: element.clientHeight });
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  }, [data, visible]);

  const shown = useMemo(() => (data ? filterRows(data.rows, query) : []), [data, query]);

  const onScroll = (event) => {
    const element = event.currentTarget;
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setScroll({ top: element.scrollTop, height: element.clientHeight });
    });
  };

  const first = Math.max(0, Math.floor(scroll.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((scroll.top + scroll.height) / ROW_HEIGHT) + OVERSCAN);

  return (
    <div class="search">
      <input
        type="search"
        class="filter"
        placeholder="Filter resources: name, cloud, state…"
        aria-label="Filter resources"
        data-test="search-input"
        value={query}
        onInput={(event) => {
          setQuery(event.currentTarget.value);
          if (box.current) box.current.scrollTop = 0;
        }}
      />
      <p class="hint small" data-test="result-count">
        {data ? `${shown.length} of ${data.total} resources` : problem || "Loading resources…"}
      </p>
      <div class="list" ref={box} onScroll={onScroll} data-test="resource-list">
        <div class="spacer" style={{ height: `${shown.length * ROW_HEIGHT}px` }}>
          {data && shown.slice(first, last).map((entry, i) => <Row key={entry.row[data.cols.id]} entry={entry} cols={data.cols} top={(first + i) * ROW_HEIGHT} onOpen={onOpen} />)}
        </div>
      </div>
    </div>
  );
}
