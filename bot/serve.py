"""`opsbot serve`: the long-running chat process. It starts the configured channel adapters, one Deliverer per
adapter transport and the HTTP server (probes, metrics, webhooks), and on SIGINT/SIGTERM stops them in an order
that loses nothing: /readyz says "draining", no new requests, then queued replies go out and each channel's
delivery lease is released (what is left is delivered by another replica at once, or by the next start), then the
adapters close their connections."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Iterator, Sequence

import uvicorn

from bot.channels import ChannelAdapter
from bot.delivery import Deliverer
from bot.http import build_app
from bot.inbox import Inbox
from bot.runtime import Runtime
from bot.web.adapter import AppAdapter
from conversation.incident_rooms import IncidentRooms
from core.errors import ConfigError
from core.leases import replica_name
from core.redis import is_embedded
from core.settings import Settings

log = logging.getLogger(__name__)

GRACEFUL_SECONDS = 5  # for requests in flight when asked to stop

NO_CHANNELS_HELP = """\
opsbot serve: no chat channel is configured. Set at least one, then run it again.

Slack (see docs/slack.md)
  OPSBOT_SLACK_BOT_TOKEN=xoxb-...          the bot token, and either
  OPSBOT_SLACK_APP_TOKEN=xapp-...          Socket Mode: no public URL needed, or
  OPSBOT_SLACK_SIGNING_SECRET=...          Events API: Slack posts to <public URL>/slack/events

Telegram (see docs/telegram.md)
  OPSBOT_TELEGRAM_TOKEN=123456:ABC...      the token from @BotFather (long polling), plus for webhook mode
  OPSBOT_TELEGRAM_WEBHOOK_SECRET=...       checked on every update, and
  OPSBOT_PUBLIC_URL=https://bot.example    Telegram posts to <public URL>/telegram/webhook

Both
  OPSBOT_REDIS_URL=redis://HOST:6379/0     the Redis shared with `opsbot worker` processes
  OPSBOT_HTTP_HOST, OPSBOT_HTTP_PORT       where webhooks, /healthz, /readyz and /metrics listen
                                           (default 127.0.0.1:8080)

Settings may also come from a YAML file named by OPSBOT_CONFIG. Running it in production: docs/serve.md."""


def configured_channels(settings: Settings) -> list[str]:
    """The channels whose credentials are set, in start order."""
    names = []
    if settings.slack_bot_token is not None:
        names.append("slack")
    if settings.telegram_token is not None:
        names.append("telegram")
    return names


async def serve(settings: Settings, *, with_worker: bool = True) -> None:
    """Run every configured channel until SIGINT or SIGTERM."""
    channels = configured_channels(settings)
    if not channels:
        raise ConfigError("no chat channel is configured: set OPSBOT_SLACK_BOT_TOKEN or OPSBOT_TELEGRAM_TOKEN")
    if is_embedded(settings):
        log.warning("no OPSBOT_REDIS_URL: running on an in-process Redis; pending replies are lost on restart")
    runtime = Runtime.build(settings, with_worker=with_worker)
    try:
        inbox = Inbox(runtime.conversation, runtime.outbox)
        adapters = [_build_adapter(name, runtime, inbox) for name in channels]
        adapters.append(AppAdapter(runtime))  # the phone dashboard (/app), whatever chat channels there are
        await Service(runtime, adapters, host=settings.http_host, port=settings.http_port).run()
    finally:
        runtime.close()


def _build_adapter(channel: str, runtime: Runtime, inbox: Inbox) -> ChannelAdapter:
    # Imported here: a deployment with one channel never loads the other's SDK.
    try:
        if channel == "slack":
            from bot.slack.adapter import build_slack_adapter

            return build_slack_adapter(runtime, inbox)
        from bot.telegram.adapter import build_telegram_adapter

        return build_telegram_adapter(runtime, inbox)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(f"bot.{channel}"):
            raise
        raise ConfigError(f"{channel}: this build of opsbot has no {channel} channel") from exc


def _slack_rooms(settings: Settings) -> IncidentRooms | None:
    from bot.slack.adapter import api_url  # imported here: a Telegram-only deployment never loads the Slack SDK
    from bot.slack.rooms import build_slack_rooms

    return build_slack_rooms(settings, api_url(settings))


class Service:
    """Adapters, their Deliverers and the HTTP server, started and stopped together. The listening socket is
    bound at construction, so a port in use is a one-line ConfigError and `port=0` picks a free port."""

    def __init__(self, runtime: Runtime, adapters: Sequence[ChannelAdapter], *, host: str, port: int) -> None:
        self.adapters = list(adapters)
        if any(a.name == "slack" for a in self.adapters):  # an incident declared from now on gets its own channel
            runtime.conversation.services.rooms = _slack_rooms(runtime.settings)
        report = runtime.alerting.desk.chat_result
        name = replica_name(runtime.settings)  # this replica, in each channel's consumer group and delivery lease
        self.deliverers = [
            Deliverer(a.transport, runtime.outbox, runtime.connection, consumer=name, on_result=report)
            for a in self.adapters
        ]
        self._stop = asyncio.Event()
        self.app = build_app(runtime, self.adapters, draining=self._stop.is_set)
        self._socket = _listen(host, port)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=GRACEFUL_SECONDS
        )
        self._server = _Server(config)
        self.started = asyncio.Event()  # set once requests are accepted

    def stop(self) -> None:
        """Ask run() to finish; /readyz answers "draining" from now on. A second request (a second Ctrl-C) stops
        waiting for open requests."""
        if self._stop.is_set():
            self._server.force_exit = True
        else:
            log.info("stopping: finishing open requests and queued replies")
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        signals = self._catch_signals(loop)
        started: list[ChannelAdapter] = []
        deliveries: list[asyncio.Task[None]] = []
        server: asyncio.Task[None] | None = None
        try:
            for adapter in self.adapters:
                await adapter.start()
                started.append(adapter)
            deliveries = [asyncio.create_task(d.run(), name=f"deliver-{d.transport.name}") for d in self.deliverers]
            server = asyncio.create_task(self._server.serve(sockets=[self._socket]), name="http")
            self.started.set()
            stopping = asyncio.create_task(self._stop.wait())
            await asyncio.wait({stopping, server, *deliveries}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
        finally:
            await self._shut_down(server, deliveries, started)
            for sig in signals:
                loop.remove_signal_handler(sig)
            self._socket.close()
        for task in (server, *deliveries):  # they end on their own only by failing
            if task.done() and not task.cancelled() and task.exception() is not None:
                task.result()

    async def _shut_down(
        self, server: asyncio.Task[None] | None, deliveries: list[asyncio.Task[None]], started: list[ChannelAdapter]
    ) -> None:
        for adapter in self.adapters:  # open live streams would keep the server waiting for its whole grace period
            if isinstance(adapter, AppAdapter):
                adapter.close_streams()
        self._server.should_exit = True
        if server is not None:
            await asyncio.wait({server})
        await asyncio.gather(*(deliverer.stop() for deliverer in self.deliverers))  # each drains for a bounded time
        await asyncio.gather(*deliveries, return_exceptions=True)
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception as exc:  # the others must still be stopped
                log.warning("stopping the %s adapter failed: %s", adapter.name, type(exc).__name__)

    def _catch_signals(self, loop: asyncio.AbstractEventLoop) -> list[signal.Signals]:
        if threading.current_thread() is not threading.main_thread():
            return []  # only the main thread receives signals; whoever runs us there stops us
        caught = [signal.SIGINT, signal.SIGTERM]
        for sig in caught:
            loop.add_signal_handler(sig, self.stop)
        return caught


class _Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGINT/SIGTERM after its shutdown, which would kill the process before the
    Deliverers have drained; Service owns the signals instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    # Accepted connections inherit it: uvicorn writes a response's head and body separately, and with Nagle's
    # algorithm the body waited for the client's delayed ACK - 40 ms on every keep-alive request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
