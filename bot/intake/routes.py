"""The alert webhooks. `POST /alerts/{source}` (alertmanager, azure, gcp, generic): authenticate, parse,
ingest. `POST /alerts/sns`: verify the SNS signature, accept listed topics only, confirm subscriptions, ingest
each Notification once (SNS redelivers). Every refusal is one line; every request is counted by outcome.

With Redis Sentinel, a 2xx waits until a replica has the alert (core.redis.replicated): an alert the sender was
told is stored survives a failover; otherwise the answer is 503 and the sender's retry finishes the job.

The blocking work (Redis, the durable audit record of a new alert) runs on the intake's own threads, not asyncio's
default pool: that pool has a handful of threads, some held by the delivery's blocking reads, and a storm of alerts
queued behind them. Many appends waiting at once is also what lets the audit write them in one fsync."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import httpx
import redis
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from alerts.model import Incoming
from alerts.sources import PARSERS, Malformed
from alerts.sources.sns import SnsEnvelope, alarm, parse_envelope
from bot.intake import Ingest, IngestResult
from bot.intake.auth import ReplayGuard, Unauthorized, check
from bot.intake.sns_certificates import CertificateUnavailable
from bot.intake.sns_verify import SnsVerifier, is_sns_url
from core.redis import replicated
from core.settings import Settings

log = logging.getLogger(__name__)

SNS = "sns"
SNS_SEEN_SECONDS = 3600
CONFIRM_TIMEOUT_SECONDS = 5.0

THREADS = 32  # alerts being stored at once, per process: a storm's requests wait on Redis and the audit, not CPU
_THREADS = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="alert-intake")  # started as needed

P = ParamSpec("P")
R = TypeVar("R")

WEBHOOKS = Counter(
    "opsbot_alert_webhooks", "Alert webhook requests, by source and outcome.", ["source", "outcome"]
)  # exported as opsbot_alert_webhooks_total


def intake_routes(
    settings: Settings,
    connection: redis.Redis,
    ingest: Ingest,
    *,
    clock: Callable[[], float] = time.time,
    sns_verifier: SnsVerifier | None = None,
) -> list[BaseRoute]:
    """The two routes. `clock` and `sns_verifier` are seams for tests (a pinned time, a certificate fetcher)."""
    intake = _Intake(settings, connection, ingest, clock, sns_verifier or SnsVerifier(settings.sns_test_certificate))
    return [
        Route("/alerts/sns", intake.sns, methods=["POST"]),
        Route("/alerts/{source}", intake.source, methods=["POST"]),
    ]


class _Intake:
    def __init__(
        self,
        settings: Settings,
        connection: redis.Redis,
        ingest: Ingest,
        clock: Callable[[], float],
        verifier: SnsVerifier,
    ) -> None:
        self._settings = settings
        self._ingest = ingest
        self._clock = clock
        self._verifier = verifier
        self._redis = connection
        self._seen = ReplayGuard(connection)

    async def source(self, request: Request) -> Response:
        source = request.path_params["source"]
        parser = PARSERS.get(source)
        if parser is None:
            shown = "".join(c for c in source[:40] if c.isprintable())  # it is the sender's text: one clean line
            return _refuse("unknown", "unknown", 404, f"unknown alert source '{shown}'")
        auth = self._settings.alert_sources.get(source)
        if auth is None:
            return _refuse(source, "disabled", 404, f"alert source '{source}' is not enabled")
        body = await request.body()  # its size is limited by the HTTP app (bot/http.py)
        headers, query = request.headers, request.query_params
        try:
            used = await _blocking(check, auth, headers, query, body, self._clock(), self._seen)
        except Unauthorized as exc:
            return _refuse(source, "unauthorized", 401, str(exc))
        except redis.RedisError as exc:
            return _unavailable(source, exc)
        try:
            incoming = parser(body)
        except Malformed as exc:
            return _refuse(source, "malformed", 400, str(exc))
        except RecursionError:  # JSON that parses, but is nested too deep for the code that reads it
            return _refuse(source, "malformed", 400, "JSON nested too deeply")
        answer = await self._store(source, incoming)
        if answer.status_code != 200 and used is not None:
            await self._forget(source, used)
        return answer

    async def sns(self, request: Request) -> Response:
        if not self._settings.sns_topics:
            return _refuse(SNS, "disabled", 404, f"alert source '{SNS}' is not enabled")
        try:
            envelope = parse_envelope(await request.body())
        except Malformed as exc:
            return _refuse(SNS, "malformed", 400, str(exc))
        if envelope.topic_arn not in self._settings.sns_topics:  # before the signature: no certificate fetched
            return _refuse(SNS, "forbidden", 403, "topic not accepted")
        try:
            await _blocking(self._verifier.verify, envelope, self._clock())
        except Unauthorized as exc:
            return _refuse(SNS, "unauthorized", 401, str(exc))
        except CertificateUnavailable as exc:
            return _refuse(SNS, "certificate_unavailable", 503, f"{exc}; retry")
        if envelope.type == "SubscriptionConfirmation":
            return await self._confirm(envelope)
        if envelope.type == "UnsubscribeConfirmation":
            log.warning("alert intake sns: %s unsubscribed this endpoint", envelope.topic_arn)
            _count(SNS, "unsubscribed")
            return PlainTextResponse("unsubscribe noted")
        return await self._notification(envelope)

    async def _notification(self, envelope: SnsEnvelope) -> Response:
        seen_key = f"sns:{envelope.topic_arn}:{envelope.message_id}"
        try:
            incoming = alarm(envelope)
        except Malformed as exc:
            return _refuse(SNS, "malformed", 400, str(exc))
        try:
            first = await _blocking(self._seen.first_time, seen_key, SNS_SEEN_SECONDS)
        except redis.RedisError as exc:
            return _unavailable(SNS, exc)
        if not first:
            _count(SNS, "duplicate")
            return JSONResponse({"stored": 0, "updated": 0, "duplicate": True})
        answer = await self._store(SNS, incoming)
        if answer.status_code != 200:
            await self._forget(SNS, seen_key)
        return answer

    async def _forget(self, source: str, token: str) -> None:
        """The request was not stored: let the sender's retry of it through the replay guard."""
        try:
            await _blocking(self._seen.forget, token)
        except redis.RedisError:
            log.warning("alert intake %s: Redis failed; a retry of this request will be taken for a replay", source)

    async def _confirm(self, envelope: SnsEnvelope) -> Response:
        url = envelope.subscribe_url or ""
        if not is_sns_url(url, allow_loopback=self._settings.sns_test_certificate is not None):
            return _refuse(SNS, "malformed", 400, "SubscribeURL is not on an SNS host")
        try:
            async with httpx.AsyncClient(timeout=CONFIRM_TIMEOUT_SECONDS, follow_redirects=False) as client:
                response = await client.get(url)
        except httpx.HTTPError as exc:
            log.warning("alert intake sns: confirming %s failed: %s", envelope.topic_arn, type(exc).__name__)
            return _refuse(SNS, "confirm_failed", 502, "could not confirm the subscription; SNS will retry")
        if response.status_code != 200:
            log.warning("alert intake sns: confirming %s: HTTP %s", envelope.topic_arn, response.status_code)
            return _refuse(SNS, "confirm_failed", 502, f"SNS answered {response.status_code} to the confirmation")
        log.info("alert intake sns: subscription to %s confirmed", envelope.topic_arn)
        _count(SNS, "subscribed")
        return PlainTextResponse("subscription confirmed")

    async def _store(self, source: str, incoming: list[Incoming]) -> Response:
        if not incoming:
            _count(source, "accepted")
            return JSONResponse({"stored": 0, "updated": 0})
        try:
            result, kept = await _blocking(self._stored, incoming)
        except redis.RedisError as exc:
            return _unavailable(source, exc)
        if not kept:  # a failover now could lose it: the sender's retry is counted as a repeat, never stored twice
            log.warning("alert intake %s: stored, but no replica has it yet; asked the sender to retry", source)
            _count(source, "unreplicated")
            return PlainTextResponse("alert store not replicated yet; retry", status_code=503)
        log.info("alert intake %s: %d new, %d updated", source, result.stored, result.updated)
        _count(source, "accepted")
        return JSONResponse({"stored": result.stored, "updated": result.updated})

    def _stored(self, incoming: list[Incoming]) -> tuple[IngestResult, bool]:
        """Store the alerts, then ask whether the replicas have them: one trip to the intake's threads."""
        return self._ingest(incoming), replicated(self._redis)


async def _blocking(call: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`call` on the intake's threads."""
    return await asyncio.get_running_loop().run_in_executor(_THREADS, functools.partial(call, *args, **kwargs))


def _count(source: str, outcome: str) -> None:
    WEBHOOKS.labels(source=source, outcome=outcome).inc()


def _refuse(source: str, outcome: str, status: int, reason: str) -> Response:
    log.warning("alert intake %s: %s (%d)", source, reason, status)
    _count(source, outcome)
    return PlainTextResponse(reason, status_code=status)


def _unavailable(source: str, exc: redis.RedisError) -> Response:
    log.error("alert intake %s: Redis failed: %s", source, type(exc).__name__)
    _count(source, "unavailable")
    return PlainTextResponse("alert store unavailable; retry", status_code=503)
