"""Keeps the cost cache fresh: every cost source (Cost Explorer, Azure Cost Management, the BigQuery billing export,
or the simulated world) is read every `every_seconds` - the last `history_days` days through yesterday and today so
far, and the cloud's own month-end forecast - into the CostStore, which the chat reads.

The schedule is the store's (`core.schedule`), shared by every worker process: a process claims a source that is
due (pushing it a lease ahead), so one process reads it while the others wait for the next; a per-source lock keeps
a cold-start `refresh_now` from reading it beside a scheduled read. Sources are read in turn on the ticker's thread:
they are billed per request and slow, and nobody waits on them (the chat answers from the cache). A source that
fails is recorded with its error beside its last good table (`store.fail`), and the others go on.

After each round that read something, `after(view)` gets the fresh view: the budget and anomaly alerts hook in there
(workers/cost_alerts.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import redis
from prometheus_client import Counter

from actions.costs.model import CostSource, today_number
from actions.costs.store import CostStore, CostView
from actions.unexpected_errors import unexpected_error
from core.errors import OpsbotError
from core.schedule import Ticker

if TYPE_CHECKING:
    from workers.context import WorkerContext

log = logging.getLogger(__name__)

LEASE_SECONDS = 900.0  # a claimed source is due again after this if its reader died mid-read
RETRY_SECONDS = 300.0  # a source that failed is tried again this soon (or at its period, if sooner)

REFRESHES = Counter("opsbot_cost_refreshes", "Cost source reads, by source and outcome.", ["source", "outcome"])

After = Callable[[CostView], None]


class CostRefresher:
    def __init__(
        self, store: CostStore, sources: Sequence[CostSource], *, every_seconds: float, history_days: int,
        clock: Callable[[], float] = time.time, after: After | None = None, read_cold: bool = True,
    ) -> None:  # fmt: skip
        """`clock`: what "today" and the read times are taken from (tests move it; the store's schedule runs on the
        store's own clock). `after`: called with the fresh view after each round that read something. `read_cold`:
        read an empty cache at start; else only once a chat question asks for it (`CostStore.want`) - a chat process
        with a worker inside reads no bills nobody asked for."""
        self._store = store
        self._sources = {source.name: source for source in sources}
        self._every = every_seconds
        self._history_days = history_days
        self._clock = clock
        self._after = after
        self._read_cold = read_cold
        self._stopped = threading.Event()  # a read still in flight when it is set writes nothing
        self._ticker = Ticker("cost-refresher", store.schedule, self._safe_tick, longest=max(every_seconds, 1.0))

    def start(self) -> None:
        """Read every source that is due (all of them on a cold cache) at once, then on the schedule."""
        if self._read_cold and self._store.version() is None and self._sources:
            self._store.mark_reading()  # from now: the chat says "the first read is running", not just "no data"
        self._ticker.start()

    def stop(self, wait_seconds: float = 5.0, *, finish_read: bool = False) -> None:
        """Stop scheduling; a read in flight gets `wait_seconds` to end. It writes nothing unless `finish_read` and
        it ends within them: a stopped refresher's late answer must not land in a cache someone else now owns (a
        test's next database). `finish_read`: the one-shot demo process (`opsbot say`) keeps its first read, so
        the next run has data."""
        if not finish_read:
            self._stopped.set()
        self._ticker.stop(wait_seconds)
        self._stopped.set()

    def refresh_now(self) -> CostView | None:
        """Read every source now, in turn, and wait (a cold start, tests, benchmarks); a source another process is
        reading is left to it. The view afterwards."""
        read = [name for name in self._sources if self._read(name)]
        return self._finish(read)

    def tick(self) -> None:
        """Read the sources that are due now (claimed: one process each) and put each back at its next time."""
        schedule = self._store.schedule
        states = self._store.states()
        if not states and not self._read_cold and not self._store.wanted():
            return  # on demand: nobody has asked yet
        first = {}
        for name in self._sources:  # a new source, or a Redis that lost the schedule: due when its data is old
            state = states.get(name)
            last = max(state.fetched_at or 0.0, state.failed_at or 0.0) if state is not None else 0.0
            first[name] = last + self._every_for(self._sources[name]) if last else self._store.clock()
        schedule.set(first, only_new=True, wake=False)
        claimed = [name for name in schedule.claim(LEASE_SECONDS) if name in self._sources]
        # a source not ours (another configuration) is claimed by its own process when our lease ends
        read = [name for name in claimed if self._read(name)]
        if read:
            self._finish(read)

    def _every_for(self, source: CostSource) -> float:
        """The refresh period, or longer for a source that bills per request and changes its data rarely (Cost
        Explorer: `min_refresh_seconds`)."""
        return max(self._every, float(getattr(source, "min_refresh_seconds", 0.0)))

    def _safe_tick(self) -> float | None:
        try:
            self.tick()
        except redis.RedisError:
            raise  # the ticker waits for Redis and says so once
        except Exception:  # a bug in one round must not end the refreshes: logged, tried again
            log.exception("cost refresh: a round failed")
            return RETRY_SECONDS
        return None

    def _read(self, name: str) -> bool:
        """Read one source into the store and set its next time (False: another process is reading it)."""
        source = self._sources[name]
        if not self._store.lock(name, LEASE_SECONDS):
            return False
        try:
            self._store.mark_reading()
            outcome = self._fetch(source)
        finally:
            self._store.unlock(name)
        if outcome is not None:
            REFRESHES.labels(source=name, outcome=outcome).inc()
            again = self._every_for(source) if outcome == "ok" else min(self._every, RETRY_SECONDS)
            self._store.schedule.set({name: self._store.clock() + again}, wake=False)
        return True

    def _fetch(self, source: CostSource) -> str | None:
        """ "ok" or "failed", as written to the store; None when the refresher stopped meanwhile (nothing written)."""
        today = today_number(self._clock())
        try:
            table = source.history(today - self._history_days, today)
            forecast = source.forecast(today)
        except OpsbotError as exc:
            log.info("%s: cost read failed: %s", source.name, exc)
            error = str(exc)
        except Exception as exc:  # a surprise must not stop the other sources: one line naming the source
            error = str(unexpected_error(source.name, "cost read", exc))
        else:
            if self._stopped.is_set():
                return None
            self._store.save(source.name, source.provider, table, fetched_at=self._clock(), forecast=forecast)
            return "ok"
        if self._stopped.is_set():
            return None
        self._store.fail(source.name, source.provider, error, at=self._clock())
        return "failed"

    def _finish(self, read: list[str]) -> CostView | None:
        if read:
            self._store.done_reading()
        view = self._store.load()
        if read and view is not None and self._after is not None:
            try:
                self._after(view)
            except Exception:  # an alert hook's bug must not stop the refreshes
                log.exception("cost refresh: the after-refresh hook failed")
        return view


def start_cost_refresher(
    context: WorkerContext, *, after: After | None = None, read_cold: bool = True
) -> CostRefresher:
    """The cost refresher of a worker process (or of the embedded shell), over the configured cost sources, started:
    a cold cache is read at once in the background. `after`: the budget and anomaly alerts' hook
    (`workers.cost_alerts.CostAlerter(connection, BudgetBook(...), desk)`), called with each fresh view."""
    from actions.cost_sources import build_cost_sources

    settings = context.settings
    store = CostStore(context.connection)
    refresher = CostRefresher(
        store, build_cost_sources(settings, context.provider), every_seconds=settings.cost_refresh_seconds,
        history_days=settings.cost_history_days, after=after, read_cold=read_cold,
    )  # fmt: skip
    refresher.start()
    return refresher
