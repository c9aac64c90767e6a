"""The HTTP side of `opsbot serve`: probes, Prometheus metrics and the channel adapters' webhooks, behind a
body-size limit that no adapter has to repeat, and the one JSON reader webhooks use once the sender is proven:
malformed or absurdly nested JSON is a one-line 400, never a RecursionError."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import redis
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from actions.provider import SourceHealth
from alerts.model import Incoming
from bot.channels import ChannelAdapter
from bot.runtime import Runtime
from core.errors import OpsbotError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # webhooks are a few KB; anything near this is a mistake or an attack
REDIS_PROBE_SECONDS = 1.0  # Kubernetes' default probe timeout
MAX_JSON_DEPTH = 64  # Slack's and Telegram's payloads nest about 10 deep; 100,000 is an attack


class Unreadable(OpsbotError):
    """A webhook body that is not what the endpoint reads; `str()` is the one line answered (and logged)."""


def json_object(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """The JSON object in `body`, or Unreadable. The depth is capped so that whatever parses or walks it again
    (a client library, pydantic) stays far from Python's recursion limit."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # ValueError covers bad UTF-8 too
        raise Unreadable("not valid JSON") from None
    if not isinstance(data, dict):
        raise Unreadable("expected a JSON object")
    if _deeper_than(data, max_depth):
        raise Unreadable(f"JSON nested deeper than {max_depth} levels")
    return data


def _deeper_than(value: object, limit: int) -> bool:
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def build_app(
    runtime: Runtime, adapters: Sequence[ChannelAdapter], *, draining: Callable[[], bool] = lambda: False
) -> Starlette:
    """`draining()` is true once the process was asked to stop: /readyz says so, so that no new work is routed here
    while the process finishes what it has."""

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        if draining():
            return PlainTextResponse("draining\n", status_code=503)
        problems = [] if await _redis_answers(runtime.connection) else ["redis: not answering"]
        problems += [f"{adapter.name}: not ready" for adapter in adapters if not adapter.ready()]
        if not problems:  # with Redis down, no source can be read
            problems += await _sources_not_read(runtime)
        if problems:
            return PlainTextResponse("\n".join(problems) + "\n", status_code=503)
        return PlainTextResponse("ready")

    async def metrics(_request: Request) -> Response:
        snapshot = await asyncio.to_thread(runtime.conversation.services.provider.snapshot)
        alerts = await asyncio.to_thread(_alert_metrics, runtime)
        body = generate_latest(REGISTRY) + _inventory_metrics(snapshot.sources) + alerts
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    for adapter in adapters:
        routes.extend(adapter.routes())
    routes.extend(alert_routes(runtime))
    return Starlette(
        routes=routes, middleware=[Middleware(CrashBarrier), Middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)]
    )


def alert_routes(runtime: Runtime) -> list[BaseRoute]:
    """/alerts/{source} (intake) always; /twilio/* when SMS and calls are configured."""
    from bot.intake import IngestResult
    from bot.intake.routes import intake_routes

    desk = runtime.alerting.desk

    def ingest(items: list[Incoming]) -> IngestResult:
        done = desk.ingest(items)
        return IngestResult(stored=done.stored, updated=done.updated)

    routes = intake_routes(runtime.settings, runtime.connection, ingest)
    if runtime.settings.twilio:
        from bot.twilio.webhooks import twilio_routes

        routes += twilio_routes(runtime.settings, runtime.connection, desk)
    return routes


def _alert_metrics(runtime: Runtime) -> bytes:
    """Open alerts, running escalations, and how late the most overdue escalation step is: above a few seconds,
    no worker is running the timers (alert on it - from another system)."""
    registry = CollectorRegistry()
    try:
        backlog = runtime.alerting.desk.backlog()
    except redis.RedisError:
        return b""
    Gauge("opsbot_alerts_open", "Alerts not resolved yet.", registry=registry).set(backlog.open_alerts)
    Gauge("opsbot_escalations_running", "Alerts whose escalation is waiting for its next step.",
          registry=registry).set(backlog.escalating)  # fmt: skip
    due = backlog.next_due
    overdue = max(0.0, time.time() - due) if due is not None else 0.0
    Gauge("opsbot_escalation_overdue_seconds", "How late the most overdue escalation step is.",
          registry=registry).set(overdue)  # fmt: skip
    return generate_latest(registry)


def _inventory_metrics(sources: Sequence[SourceHealth]) -> bytes:
    """Each real cloud source's data age and whether its last refresh failed, for alerting on a cache that
    stopped being refreshed (the simulated world has no sources, so nothing is exported for it)."""
    registry = CollectorRegistry()
    age = Gauge("opsbot_inventory_age_seconds", "Age of a cloud source's inventory data.", ["source"],
                registry=registry)  # fmt: skip
    failing = Gauge("opsbot_inventory_source_failing", "1 when a source's last refresh failed.", ["source"],
                    registry=registry)  # fmt: skip
    now = time.time()
    for source in sources:
        age.labels(source.label).set(now - source.fetched_at if source.fetched_at else math.inf)
        failing.labels(source.label).set(1 if source.error else 0)
    return generate_latest(registry) if sources else b""


async def _sources_not_read(runtime: Runtime) -> list[str]:
    """One line per configured cloud source (account x region) neither read nor failed with a reason yet:
    until then status could only say "no data yet". The simulated world has no sources: always ready."""
    from actions.multicloud import MultiCloud

    provider = runtime.conversation.services.provider
    if not isinstance(provider, MultiCloud):
        return []
    try:
        sources = await asyncio.wait_for(asyncio.to_thread(provider.sources), REDIS_PROBE_SECONDS)
    except (redis.RedisError, OSError, TimeoutError):
        return ["redis: not answering"]
    lines = []
    for source in sources:
        if source.fetched_at is None and source.error is None:
            if source.refreshing_since is not None:
                started = time.strftime("%H:%M:%S", time.localtime(source.refreshing_since))
                lines.append(f"{source.label}: no data yet - first refresh running since {started}")
            else:
                lines.append(f"{source.label}: no data yet - no refresh started (is a worker running?)")
    return lines


async def _redis_answers(connection: redis.Redis) -> bool:
    try:
        return bool(await asyncio.wait_for(asyncio.to_thread(connection.ping), REDIS_PROBE_SECONDS))
    except (redis.RedisError, OSError, TimeoutError):
        return False


class CrashBarrier:
    """A bug in a route answers a one-line 500 and logs where it happened - the exception's type and the code
    frames, never its message, which may quote the request (a parser's error, pydantic's input_value). Bad input
    never gets here: each webhook refuses it with a 4xx first."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
            log.error("%s %s failed with %s (message not logged: it may quote the request)\n%s",  # noqa: TRY400
                      scope.get("method", ""), scope.get("path", ""), type(exc).__name__, frames)  # fmt: skip
            if not started:
                await PlainTextResponse("Internal error; try again.", status_code=500)(scope, receive, send)


class BodyLimit:
    """Reads the whole request body first and answers 413 when it exceeds `max_bytes`, whether or not a
    Content-Length announced it, so an adapter only ever sees complete bodies within the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, declared.isdigit())
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending the body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, True)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body only a disconnect can come
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, too_large: bool) -> None:
        if too_large:
            limit = f"{self.max_bytes / 1048576:g} MiB"
            response = PlainTextResponse(f"Request body too large (limit {limit}).", status_code=413)
        else:
            response = PlainTextResponse("Bad Content-Length.", status_code=400)
        await response(scope, receive, send)
