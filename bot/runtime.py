"""The composition root: builds every part of a running opsbot from the settings, once per process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

from actions.metrics.model import MetricSource
from actions.provider import CloudProvider
from actions.registry import build_provider
from alerts.store import AlertBook
from audit.stores import open_audit
from bot.alerting import Alerting, build_alerting, start_ticker
from bot.embedded_state import EmbeddedState
from bot.simulated_pager import SimulatedPager
from conversation.confirmations import OPEN, ConfirmationStore
from conversation.core import Conversation
from conversation.services import Services
from conversation.watches import EVERY_SECONDS, Watches
from core.errors import ConfigError
from core.outbox import Outbox
from core.redis import connect, is_embedded
from core.schedule import Clock, Schedule, Ticker
from core.settings import Settings
from policies.engine import PolicyEngine
from policies.loader import load_policy
from policies.ratelimit import RateLimiter
from voice.backends import check as check_voice
from workers.context import DeployParts, DrParts, WorkerContext, install_context
from workers.cost_refresh import CostRefresher, start_cost_refresher
from workers.deploy_watch import DeployWatcher, start_deploy_watcher
from workers.escalation.ticker import EscalationTicker
from workers.inventory import InventoryRefresher, start_refresher
from workers.runbook_watch import RunbookWatcher, start_runbook_watcher
from workers.runner import InProcessWorker

if TYPE_CHECKING:
    from actions.metrics.reader import MetricsReader

# The embedded demo's incident channel when none is configured: the conversation `opsbot shell` and `say` use.
DEMO_INCIDENT_CHANNEL = "console:shell"
_SWEEP_WAKE = "opsbot:confirm-sweep:wake"  # nothing pushes it: the sweeper wakes when a confirmation expires


class ExpirySweeper:
    """Runs `sweep` (`Conversation.sweep_expired`: settle confirmations nobody pressed in time, so their buttons go
    away; close floods that are over) on a `core.schedule.Ticker` over the confirmations' expiry times: when the
    earliest one expires, and every `every_seconds` besides (for a confirmation made while it waits, and the floods).
    While Redis is unreachable it tries again every `every_seconds`."""

    def __init__(self, sweep: Callable[[], object], connection: redis.Redis, every_seconds: float = 2.0) -> None:
        self._sweep = sweep
        expiries = Schedule(connection, OPEN, _SWEEP_WAKE)
        # A confirmation the sweep cannot settle (the audit cannot be written) is tried again every `every_seconds`.
        self._ticker = Ticker("confirmation-sweeper", expiries, self._run, longest=every_seconds,
                              retry_seconds=every_seconds, overdue_pause=every_seconds)  # fmt: skip

    def start(self) -> None:
        self._ticker.start()

    def stop(self) -> None:
        self._ticker.stop()

    def _run(self) -> None:
        self._sweep()


def start_watches(watches: Watches) -> Ticker:
    """The metric watches' edits, on their schedule: whichever replica claims a due watch edits its message."""
    ticker = Ticker("metric-watches", watches.due, watches.tick, longest=EVERY_SECONDS, overdue_pause=1.0)
    ticker.start()
    return ticker


@dataclass
class Runtime:
    settings: Settings
    connection: redis.Redis
    conversation: Conversation
    outbox: Outbox
    worker: InProcessWorker | None
    sweeper: ExpirySweeper
    alerting: Alerting
    refresher: InventoryRefresher | None = None
    ticker: EscalationTicker | None = None
    embedded: EmbeddedState | None = None  # the demo's in-process Redis, kept in the data dir between runs
    watch_ticker: Ticker | None = None  # edits of the running metric watches (`conversation.watches`)
    cost_refresher: CostRefresher | None = None  # the worker side's cost cache reads
    deploy_watcher: DeployWatcher | None = None  # follows running deploys (workers.deploy_watch)
    runbook_watcher: RunbookWatcher | None = None  # runs the runbooks' steps (workers.runbook_watch)

    @property
    def notes(self) -> list[str]:
        """One line each about what this run could not do as usual; the console shows them first."""
        return [self.embedded.note] if self.embedded is not None and self.embedded.note else []

    @classmethod
    def build(
        cls, settings: Settings, *, with_worker: bool = True, provider: CloudProvider | None = None,
        clock: Clock = time.time, metric_sources: Sequence[MetricSource] | None = None,
    ) -> Runtime:  # fmt: skip
        """`provider` replaces the one the settings name: for clouds reached with credentials the settings cannot
        express (the tests' own token or anonymous credentials against loopback fakes); so do `metric_sources`
        (default: `actions.metric_sources.build_sources`, on the first metrics question or the warm-up). `clock`:
        the time metrics ranges and watches go by (tests move it)."""
        connection = connect(settings)
        try:
            connection.ping()
        except redis.ConnectionError as exc:
            raise ConfigError("Redis does not answer at OPSBOT_REDIS_URL: start it or unset the variable") from exc
        embedded = None
        if is_embedded(settings):  # before anything reads or writes it: what the previous run left
            embedded = EmbeddedState(settings.data_dir, connection)
            embedded.open()
            if _console_only(settings) and not settings.incident_channels:  # the demo's alerts and DR news
                settings = settings.model_copy(update={"incident_channels": [DEMO_INCIDENT_CHANNEL]})
        try:
            return cls._assemble(settings, connection, embedded, provider, with_worker=with_worker, clock=clock,
                                 metric_sources=metric_sources)  # fmt: skip
        except BaseException:
            if embedded is not None:
                embedded.release()
            raise

    @classmethod
    def _assemble(
        cls, settings: Settings, connection: redis.Redis, embedded: EmbeddedState | None,
        provider: CloudProvider | None, *, with_worker: bool, clock: Clock,
        metric_sources: Sequence[MetricSource] | None,
    ) -> Runtime:  # fmt: skip
        pager = None
        voice_problems = check_voice(settings)
        if voice_problems:  # a configured speech model that cannot load stops start-up, plainly
            raise ConfigError(voice_problems[0], voice_problems)
        provider = provider if provider is not None else build_provider(settings, connection)
        audit = open_audit(settings, connection)
        outbox = Outbox(connection)
        deploys = DeployParts(settings, connection, clock=clock)  # deploys are stamped and watched on `clock` too
        dr = DrParts(settings, connection, clock=clock)  # runbook runs too: stamped and run on `clock`
        context = WorkerContext(settings=settings, connection=connection, provider=provider, audit=audit, outbox=outbox,
                                deploy_parts=deploys, dr_parts=dr)  # fmt: skip
        install_context(context)
        policy = load_policy(settings.policy)
        if is_embedded(settings) and _console_only(settings) and not settings.twilio:  # whom it would page, and how
            pager = SimulatedPager(AlertBook(connection), outbox)
        alerting = build_alerting(settings, connection, policy, audit, outbox, pager)
        dr.pager = alerting.escalator.pager  # a runbook's SMS at start and end go the way alerts' pages do
        services = Services(
            settings=settings,
            connection=connection,
            provider=provider,
            policy=PolicyEngine(policy, RateLimiter(connection)),
            audit=audit,
            confirmations=ConfirmationStore(connection, settings.confirm_ttl_seconds),
            workers=context,
            alerts=alerting.desk,
            clock=clock,
            metrics_reader=_reader(metric_sources, connection, clock),
        )
        # Embedded mode has no other process to run jobs: the worker must live here.
        worker = InProcessWorker(context) if (with_worker or is_embedded(settings)) else None
        refresher = ticker = cost_refresher = deploy_watcher = runbook_watcher = None
        if worker is not None:
            worker.start()
            refresher = start_refresher(provider, settings)  # the worker side keeps the clouds' cache fresh
            ticker = start_ticker(alerting)  # and runs the escalation timers
            # and the cost cache: the demo reads a cold one at once, a chat process only once someone asks
            cost_refresher = start_cost_refresher(context, read_cold=is_embedded(settings))
            deploy_watcher = start_deploy_watcher(context, clock=clock)  # and follows the running deploys
            runbook_watcher = start_runbook_watcher(context, clock=clock)  # and runs the runbooks' steps
        conversation = Conversation(services)
        threading.Thread(target=conversation.warm_up, name="warm-up", daemon=True).start()
        sweeper = ExpirySweeper(conversation.sweep_expired, connection)
        sweeper.start()
        watch_ticker = start_watches(conversation.watches)
        return cls(settings, connection, conversation, outbox, worker, sweeper, alerting, refresher, ticker, embedded,
                   watch_ticker, cost_refresher, deploy_watcher, runbook_watcher)  # fmt: skip

    def close(self) -> None:
        self.sweeper.stop()
        if self.watch_ticker is not None:
            self.watch_ticker.stop()
        if self.ticker is not None:
            self.ticker.stop()
        if self.refresher is not None:
            self.refresher.stop()
        if self.deploy_watcher is not None:  # its leases go at once: another process follows the deploys now
            self.deploy_watcher.stop()
        if self.runbook_watcher is not None:  # so do its runs' leases
            self.runbook_watcher.stop()
        if self.cost_refresher is not None:  # the demo keeps a first read that is nearly done, for its next run
            self.cost_refresher.stop(wait_seconds=10.0 if self.embedded else 5.0, finish_read=self.embedded is not None)
        if self.worker is not None:
            self.worker.stop()
        if self.embedded is not None:
            self.embedded.save()
        if self.conversation.services.metrics_reader is not None:
            self.conversation.services.metrics_reader.close()
        self.conversation.services.audit.close()  # the PostgreSQL store's connection; nothing for the file


def _reader(sources: Sequence[MetricSource] | None, connection: redis.Redis, clock: Clock) -> MetricsReader | None:
    if sources is None:
        return None  # Services builds one from the settings when first asked
    from actions.metrics.reader import MetricsReader

    return MetricsReader(sources, connection, clock=clock)


def _console_only(settings: Settings) -> bool:
    """The demo: no chat platform configured, so the console is where everything is shown."""
    return settings.slack_bot_token is None and settings.telegram_token is None
