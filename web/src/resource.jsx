// One resource: state, size, CPU sparkline (inline SVG), cost, tags, standby and the actions this role may ask.
import { useEffect, useState } from "preact/hooks";
import { getResource } from "./api.js";
import { money } from "./format.js";

// The y axis spans the data (at least 10 points of percent), so a steady 57% is not a flat line at the top.
function Sparkline({ points }) {
  if (!points || points.length < 2) return <p class="hint">No CPU data.</p>;
  const times = points.map((p) => p[0]);
  const values = points.map((p) => Math.max(0, Math.min(100, p[1])));
  const first = Math.min(...times);
  const span = Math.max(...times) - first || 1;
  let low = Math.max(0, Math.min(...values) - 2);
  let high = Math.min(100, Math.max(...values) + 2);
  if (high - low < 10) [low, high] = low + 10 > 100 ? [90, 100] : [low, low + 10];
  const y = (v) => (60 - ((v - low) / (high - low)) * 60).toFixed(1);
  const path = points.map(([t], i) => `${i ? "L" : "M"}${(((t - first) / span) * 300).toFixed(1)},${y(values[i])}`).join("");
  const last = Math.round(values[values.length - 1]);
  return (
    <figure class="spark">
      <svg viewBox="0 0 300 60" preserveAspectRatio="none" data-test="cpu-sparkline" role="img" aria-label={`CPU, now ${last}%`}>
        <path d={path} fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" />
      </svg>
      <figcaption class="hint">
        CPU now {last}% · {Math.round(Math.min(...values))}-{Math.round(Math.max(...values))}% over {Math.round(span / 60)} min
      </figcaption>
    </figure>
  );
}

function Action({ action, canAct, onRun }) {
  const [number, setNumber] = useState("");
  const ready = canAct && (!action.needs_number || /^\d+$/.test(number));
  const run = () => onRun(action.needs_number ? action.command.replace("{n}", number) : action.command);
  return (
    <div class="action">
      {action.needs_number && (
        <input
          type="number"
          inputmode="numeric"
          min="0"
          placeholder="n"
          aria-label={`${action.label}: how many`}
          data-test="action-number"
          value={number}
          onInput={(event) => setNumber(event.currentTarget.value)}
        />
      )}
      <button type="button" class={action.danger ? "danger" : "primary"} data-test="action-button" data-command={action.command} disabled={!ready} onClick={run}>
        {action.label}
      </button>
    </div>
  );
}

export function Resource({ id, canAct, showActions, onBack, onRun, onError }) {
  const [item, setItem] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    setItem(null);
    setError("");
    getResource(id).then(setItem, (failure) => {
      onError(failure);
      setError(failure.message);
    });
  }, [id]);
  return (
    <div class="resource" data-test="resource-page">
      <button type="button" class="quiet" data-test="back" onClick={onBack}>
        ‹ Back
      </button>
      {error && <p class="problem">{error}</p>}
      {!item && !error && <p class="empty">Loading {id}…</p>}
      {item && (
        <div class="card">
          <div class="line">
            <h2>{item.name}</h2>
            <span class={`badge ${item.state}`} data-test="resource-state">
              {item.state}
            </span>
          </div>
          <dl class="facts">
            <dt>Where</dt>
            <dd>
              {item.cloud} · {item.region} · {item.environment}
            </dd>
            <dt>Kind</dt>
            <dd>
              {item.kind}
              {item.size ? ` · ${item.size}` : ""}
              {typeof item.count === "number" ? ` · ${item.count} running` : ""}
            </dd>
            <dt>Cost</dt>
            <dd>{typeof item.cost_month === "number" ? `${money(item.cost_month)} this month` : "-"}</dd>
            <dt>Standby</dt>
            <dd>{item.standby || "none"}</dd>
          </dl>
          {item.cpu && item.cpu.problem ? <p class="problem">{item.cpu.problem}</p> : <Sparkline points={item.cpu && item.cpu.points} />}
          {Object.keys(item.tags || {}).length > 0 && (
            <ul class="tags">
              {Object.entries(item.tags).map(([key, value]) => (
                <li key={key}>
                  {key}={value}
                </li>
              ))}
            </ul>
          )}
          {showActions && (item.actions || []).length > 0 && (
            <div class="actions">
              {item.actions.map((action) => (
                <Action key={action.command} action={action} canAct={canAct} onRun={onRun} />
              ))}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
