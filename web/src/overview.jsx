// The overview, ordered for the person woken at night: problems, open alerts (swipe or tap Ack), runbooks and
// deploys in progress, incidents, then compact health, on call and cost. An empty section is one short line or
// nothing at all.
import { memo } from "./memo.js";
import { age, clock, money, percent } from "./format.js";
import { allCounts, briefProblem, healthSummary, notableCounts, staleAge } from "./health.js";
import { swipeHandlers } from "./swipe.js";

// `empty` is the one line an empty section keeps; without it an empty section is not drawn.
function Section({ title, name, items, empty, aside }) {
  if (items.length === 0 && !empty) return null;
  if (items.length === 0) {
    return (
      <section class="section none" data-test={`section-${name}`}>
        <p class="empty">{empty}</p>
      </section>
    );
  }
  return (
    <section class="section" data-test={`section-${name}`}>
      <div class="head">
        <h2>{title}</h2>
        {aside}
      </div>
      {items}
    </section>
  );
}

function Progress({ value, label }) {
  return (
    <div class="progress" role="progressbar" aria-valuenow={value} aria-valuemin="0" aria-valuemax="100" aria-label={label}>
      <span style={{ width: `${value}%` }} />
    </div>
  );
}

// One compact row; tapping it shows the whole problem line, every count and the data's age.
function Health({ row }) {
  const stale = staleAge(row.age_seconds);
  return (
    <details class={`card health ${row.worst}`} data-test="health-row">
      <summary>
        <span class="line">
          <strong>
            {row.cloud} · {row.environment}
          </strong>
          <span class={`badge ${row.worst}`}>{row.worst}</span>
        </span>
        <span class="brief small">
          <span class="hint">{notableCounts(row)}</span>
          {stale && <span class="stale"> · {stale}</span>}
          {row.problem && <span class="problem"> · {briefProblem(row)}</span>}
        </span>
      </summary>
      <div class="more small">
        {row.problem && <p class="problem">{row.problem}</p>}
        <p>{allCounts(row)}</p>
        <p class="hint">{typeof row.age_seconds === "number" ? `Data ${age(row.age_seconds)}` : "Data age unknown"}</p>
      </div>
    </details>
  );
}

function Alert({ alert, canAct, showActions, onRun, onOpen }) {
  const ackable = showActions && alert.can_ack && alert.state === "firing";
  const ack = () => onRun(`ack ${alert.id}`);
  const open = () => alert.resource && onOpen(alert.resource);
  const swipe = swipeHandlers(ackable && canAct ? ack : open);
  return (
    <div class={`card alert ${alert.severity} ${alert.state}`} data-test="alert-card" data-alert-id={alert.id} {...swipe}>
      <div class="line">
        <span class={`badge ${alert.severity}`}>{alert.severity}</span>
        <span class="hint">
          #{alert.id} · since {clock(alert.since)}
        </span>
      </div>
      <button type="button" class="link title" onClick={open} disabled={!alert.resource}>
        {alert.title}
      </button>
      <div class="line small">
        <span>
          {alert.resource || ""}
          {alert.state === "acked" ? ` · acked by ${alert.acked_by || "someone"}` : ""}
        </span>
        {ackable && (
          <button type="button" class="primary" data-test="ack-button" disabled={!canAct} onClick={ack}>
            Ack
          </button>
        )}
      </div>
    </div>
  );
}

function Run({ run }) {
  const value = percent(run.done, run.total);
  return (
    <div class={`card run ${run.state}`} data-test="run-card">
      <div class="line">
        <strong>{run.title}</strong>
        <span class={`badge ${run.state}`}>{run.drill ? `drill · ${run.state}` : run.state}</span>
      </div>
      <Progress value={value} label={`${run.done} of ${run.total} steps`} />
      <div class="line small">
        <span>{run.current || ""}</span>
        <span class="hint">
          {run.done}/{run.total} · {clock(run.started_at)}
        </span>
      </div>
    </div>
  );
}

function Deploy({ deploy }) {
  return (
    <div class={`card deploy ${deploy.state}`} data-test="deploy-card">
      <div class="line">
        <strong>
          {deploy.service} {deploy.version} → {deploy.environment}
        </strong>
        <span class={`badge ${deploy.state}`}>{deploy.state}</span>
      </div>
      <Progress value={deploy.percent || 0} label={`${deploy.percent || 0}%`} />
      <div class="line small hint">
        <span>{deploy.percent || 0}%</span>
        <span>{clock(deploy.started_at)}</span>
      </div>
    </div>
  );
}

function Cost({ cost }) {
  const budget = cost.budget || cost.forecast || 0;
  return (
    <div class="card" data-test="cost">
      <div class="line">
        <strong>{money(cost.month_to_date, cost.currency)} this month</strong>
        <span class="hint">{age(cost.age_seconds)}</span>
      </div>
      {budget > 0 && <Progress value={percent(cost.month_to_date, budget)} label="month to date of budget" />}
      <div class="line small">
        <span>Budget {money(cost.budget, cost.currency)}</span>
        <span>Forecast {money(cost.forecast, cost.currency)}</span>
      </div>
      {cost.problem && <div class="problem">{cost.problem}</div>}
    </div>
  );
}

// Memoised on its props: switching tabs, a reply card or the offline banner does not redraw the whole overview.
export const Overview = memo(function Overview({ board, canAct, onRun, onOpen }) {
  const problems = board.problems || [];
  const health = board.health || [];
  return (
    <div class="overview">
      {problems.length > 0 && (
        <ul class="problems" data-test="problems">
          {problems.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      <Section
        title="Open alerts"
        name="alerts"
        empty="No open alerts"
        items={(board.alerts || []).map((alert) => (
          <Alert key={alert.id} alert={alert} canAct={canAct} showActions={board.can_act} onRun={onRun} onOpen={onOpen} />
        ))}
      />
      <Section title="Runbooks" name="runs" items={(board.runs || []).map((run) => <Run key={run.id} run={run} />)} />
      <Section
        title="Deploys"
        name="deploys"
        items={(board.deploys || []).map((deploy) => <Deploy key={deploy.id} deploy={deploy} />)}
      />
      <Section
        title="Incidents"
        name="incidents"
        items={(board.incidents || []).map((incident) => (
          <div key={incident.id} class={`card incident ${incident.state}`} data-test="incident-card">
            <div class="line">
              <span class={`badge ${incident.severity}`}>{incident.severity}</span>
              <span class="hint">
                #{incident.id} · {incident.state} · {clock(incident.declared_at)}
              </span>
            </div>
            <strong>{incident.title}</strong>
          </div>
        ))}
      />
      <Section
        title="Health"
        name="health"
        empty="No health data yet"
        aside={
          <span class="hint small" data-test="health-summary">
            {healthSummary(health)}
          </span>
        }
        items={health.map((row) => (
          <Health key={`${row.cloud}/${row.environment}`} row={row} />
        ))}
      />
      <Section
        title="On call"
        name="oncall"
        items={(board.oncall || []).map((row) => (
          <div key={row.schedule} class="card line" data-test="oncall-row">
            <strong>{row.schedule}</strong>
            <span>
              now {row.now || "nobody"} · next {row.next || "nobody"}
              {row.next_at ? ` at ${clock(row.next_at)}` : ""}
            </span>
          </div>
        ))}
      />
      <Section title="Cost" name="cost" items={board.cost ? [<Cost key="cost" cost={board.cost} />] : []} />
      <p class="hint small">Updated {clock(board.generated_at)}</p>
    </div>
  );
});
