"""Telegram long polling in one replica at a time. Two pollers of one bot get 409 Conflict from Telegram (each new
long poll ends the other's), so every replica runs a `PollLeader` and only the holder of the Redis lease
`telegram-poll:<bot id>` polls; the others try to take it every second. The holder renews it every second and stops
polling as soon as it cannot be sure it still holds it: when another holds it, or when Redis has not confirmed a
renewal by the time the last one runs out - before another can take it. A clean stop releases it, so another replica
polls within a second; a killed holder's lease runs out after its time to live. Updates a dead holder fetched but
never confirmed come again to the next holder; the adapter's first-time check drops those already handled."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import redis
from prometheus_client import Gauge
from telegram.error import TelegramError

from core.leases import Lease

log = logging.getLogger(__name__)

LEASE_SECONDS = 5.0  # a killed holder is replaced within this, and the next try: about 5-6 s
TRY_EVERY_SECONDS = 1.0  # the holder renews, and the others try to take it, this often
LEADER = Gauge("opsbot_telegram_poll_leader", "1 while this replica is the one polling Telegram for updates, else 0.")


class PollLeader:
    """Runs `start_polling` while this replica holds `lease` and `stop_polling` when it stops holding it.
    `start()` begins trying; `close()` stops polling and releases the lease. `lease` runs on `clock`."""

    def __init__(
        self, lease: Lease, start_polling: Callable[[], Awaitable[None]], stop_polling: Callable[[], Awaitable[None]],
        *, every: float = TRY_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._lease = lease
        self._start_polling = start_polling
        self._stop_polling = stop_polling
        self._every = every
        self._clock = clock
        self.polling = False
        self._task: asyncio.Task[None] | None = None
        # Its own thread: a Redis that hangs must not hold up anything else, and the lease's deadline is kept here.
        self._redis = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telegram-poll-lease")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="telegram-poll-leader")
            self._task.add_done_callback(_report_failure)

    def running(self) -> bool:
        """Taking part: polling, or ready to take over (a standby replica is as ready as the holder)."""
        return self._task is not None and not self._task.done()

    async def close(self) -> None:
        """Stop trying, stop polling (python-telegram-bot confirms what it fetched), then release the lease, so that
        another replica takes over at once."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # a failure was logged when it happened
        held = self.polling or self._lease.held()  # held, even if a start was cut short
        await self._stopped()  # also when a cancelled start left the updater half started
        if held:
            await self._release()
        self._redis.shutdown(wait=False)

    async def _run(self) -> None:
        while True:
            await self._round()
            pause = self._every
            if self.polling:  # woken when the lease would run out, should the next renewal come too late
                pause = min(pause, max(0.0, self._lease.valid_until - self._clock()))
            await asyncio.sleep(pause)

    async def _round(self) -> None:
        attempt = asyncio.get_running_loop().run_in_executor(self._redis, self._take)
        if self.polling:
            left = max(0.0, self._lease.valid_until - self._clock())
            done, _ = await asyncio.wait({attempt}, timeout=left)
            if not done:
                await self._lost("Redis did not confirm the lease in time")
        held = await attempt
        if held and not self.polling:
            await self._lead()
        elif not held and self.polling:
            holder = await asyncio.get_running_loop().run_in_executor(self._redis, self._holder)
            await self._lost(f"the lease is held by {holder}" if holder else "the lease ran out")

    def _take(self) -> bool:
        """Take or renew; while Redis fails, held as long as the last renewal lasts."""
        try:
            return self._lease.take()
        except redis.RedisError as exc:
            log.warning("telegram: Redis failed renewing the polling lease (%s)", type(exc).__name__)
            return self._lease.held()

    def _holder(self) -> str | None:
        try:
            return self._lease.current_holder()
        except redis.RedisError:
            return None

    async def _lead(self) -> None:
        try:
            await self._start_polling()
        except TelegramError as exc:  # another replica may reach Telegram: let it try
            log.warning("telegram: polling did not start (%s); giving the lease up", type(exc).__name__)
            await self._stopped()
            await self._release()
            return
        self.polling = True
        LEADER.set(1)
        log.info("telegram: polling taken over by %s", self._lease.holder)

    async def _lost(self, why: str) -> None:
        log.warning("telegram: %s stops polling: %s", self._lease.holder, why)
        await self._stopped()

    async def _release(self) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._redis, self._lease.release)
        except redis.RedisError as exc:
            log.warning("telegram: could not release the polling lease (%s); it runs out by itself",
                        type(exc).__name__)  # fmt: skip

    async def _stopped(self) -> None:
        self.polling = False
        LEADER.set(0)
        await self._stop_polling()


def _report_failure(task: asyncio.Task[None]) -> None:
    """The leader stopped by itself: this replica no longer polls nor takes over, and /readyz says so."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("telegram: the polling leader stopped: %s", type(error).__name__, exc_info=error)
