"""Alerts end to end on loopback: a generic alert webhook POSTed to a real `opsbot serve` process -> the alert's
card arriving at a Slack Web API stand-in. 100 alerts a second for 20 seconds, each routed to its team's
incident channel (one Slack channel takes about one message a second, so a storm into a single channel is
paced by delivery, not by opsbot); then a storm of 10,000 duplicates of one alert (deduplicated: one card);
then what the stored alerts cost in Redis and the serve process's memory.

Uses the Redis at OPSBOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/14) and FLUSHES that database."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx
import redis
import yaml

from bench.figures import Figure
from bench.loopback import ServeProcess, SlackSink, bench_redis, policy_without_rate_limits
from core.metrics import quantile

TOKEN = "bench-alert-token"
RATE = 100  # alerts per second
SECONDS = 20
TEAMS = 500  # each team channel gets an alert every 5 s: Slack paces a channel to about one message a second
STORM = 10_000
STORM_AT_ONCE = 50
_MARK = re.compile(r"bench-(\d+)")


def run() -> list[Figure]:
    url = bench_redis("redis://127.0.0.1:6379/14")
    if url is None:
        return [Figure("alerts: skipped, no Redis at OPSBOT_BENCH_REDIS_URL", 0, "")]
    conn = redis.Redis.from_url(url)
    sink = _Sink().start()
    try:
        with tempfile.TemporaryDirectory() as tmp, _serve(Path(tmp), url, sink.url) as base:
            asyncio.run(_sustained(base, sink, "warm", RATE, 2))
            before = _redis_bytes(conn)
            latencies, sent_rate = asyncio.run(_sustained(base, sink, "run", RATE, SECONDS))
            per_alert = (_redis_bytes(conn) - before) / (RATE * SECONDS)
            storm_rate, storm_cards = asyncio.run(_storm(base, sink))
            rss = _rss_mb(base)
    finally:
        sink.stop()
    return [
        Figure(f"alert webhook -> card posted, p50 at {RATE}/s", quantile(latencies, 0.5) * 1000, "ms"),
        Figure(
            f"alert webhook -> card posted, p99 at {RATE}/s",
            quantile(latencies, 0.99) * 1000,
            "ms",
            "<= 50 ms (required < 100 ms)",
        ),
        Figure("alert webhook rate achieved", sent_rate, "alerts/s", f"{RATE}"),
        Figure(f"duplicate storm ({STORM:,} of one alert), intake", storm_rate, "alerts/s"),
        Figure("duplicate storm: cards posted", storm_cards, "cards", "1"),
        Figure("Redis memory per stored alert (with its card ids)", per_alert / 1024, "KB"),
        Figure("opsbot serve resident memory after the runs", rss, "MB"),
    ]


def _serve(tmp: Path, redis_url: str, api_url: str) -> ServeProcess:
    policy = policy_without_rate_limits(tmp, {})
    routes = [{"name": f"team-{t}", "match": {"labels": {"team": f"t{t}"}}, "channels": [f"slack:C0TEAM{t:03d}"],
               "escalation": "bench"} for t in range(TEAMS)]  # fmt: skip
    alerting = {
        "routes": [*routes, {"name": "rest", "channels": ["slack:C0REST"], "escalation": "bench"}],
        "escalations": {"bench": {"steps": [{"notify": "channel"}, {"after": "1h", "notify": "channel"}]}},
    }
    path = tmp / "alerting.yaml"
    path.write_text(yaml.safe_dump(alerting, sort_keys=False), encoding="utf-8")
    return ServeProcess(tmp, redis_url, {
        "OPSBOT_POLICY": str(policy),
        "OPSBOT_ALERTING": str(path),
        "OPSBOT_ALERT_SOURCES": json.dumps({"generic": {"token": TOKEN}}),
        "OPSBOT_SLACK_BOT_TOKEN": "xoxb-bench",
        "OPSBOT_SLACK_SIGNING_SECRET": "bench-signing-secret",
        "OPSBOT_SLACK_API_URL": api_url,
    })  # fmt: skip


_ids = itertools.count(1)
_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def _alert(n: int, team: int) -> bytes:
    return json.dumps({
        "fingerprint": f"bench-{n}", "status": "firing", "severity": "critical", "summary": f"bench-{n} 5xx above 5%",
        "resource": "web-prod", "environment": "prod", "labels": {"team": f"t{team}"},
    }).encode()  # fmt: skip


async def _sustained(base: str, sink: _Sink, _label: str, rate: int, seconds: int) -> tuple[list[float], float]:
    """Sends `rate` alerts a second (each to the next team's channel) for `seconds`; latencies from sending each
    to its card's arrival."""
    sent: dict[int, float] = {}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        tasks = []
        began = time.monotonic()
        for i in range(rate * seconds):
            due = began + i / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            n = next(_ids)
            sent[n] = time.monotonic()
            tasks.append(asyncio.create_task(client.post(base + "/alerts/generic", content=_alert(n, n % TEAMS),
                                                         headers=_HEADERS)))  # fmt: skip
        for response in await asyncio.gather(*tasks):
            response.raise_for_status()
        elapsed = time.monotonic() - began
    arrived = [await asyncio.to_thread(sink.first, f"bench-{n}") for n in sent]
    return [a - s for a, s in zip(arrived, sent.values(), strict=True)], len(sent) / elapsed


async def _storm(base: str, sink: _Sink) -> tuple[float, int]:
    """STORM copies of one alert from STORM_AT_ONCE senders at once (aiohttp: the lighter client, so the figure is
    opsbot's more than the sender's)."""
    n = next(_ids)
    body = _alert(n, 0)
    left = iter(range(STORM))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=STORM_AT_ONCE)) as session:

        async def sender() -> None:
            for _ in left:
                async with session.post(base + "/alerts/generic", data=body, headers=_HEADERS) as response:
                    response.raise_for_status()

        began = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(STORM_AT_ONCE)))
        elapsed = time.monotonic() - began
    await asyncio.to_thread(sink.first, f"bench-{n}")
    await asyncio.sleep(1.0)  # a second card, were there one, would be out by now
    return STORM / elapsed, sink.count(f"bench-{n}")


def _redis_bytes(conn: redis.Redis) -> int:
    return int(conn.info("memory")["used_memory"])


def _rss_mb(base: str) -> float:
    """Resident memory of the serve process, read from its /metrics (process_resident_memory_bytes)."""
    text = httpx.get(base + "/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith("process_resident_memory_bytes "):
            return float(line.split()[1]) / 1e6
    return 0.0


class _Sink(SlackSink):
    """A Slack Web API noting each alert card by its bench mark, not by its channel."""

    def __init__(self) -> None:
        super().__init__("bench-alert-slack", "U0BOT")
        self._counts: dict[str, int] = {}

    def count(self, mark: str) -> int:
        return self._counts.get(mark, 0)

    def posted(self, channel: str, raw: str) -> None:
        found = _MARK.search(raw)
        if found:
            mark = found.group(0)
            self._counts[mark] = self._counts.get(mark, 0) + 1
            self.arrived(mark)
