"""Slack end to end on loopback: a signed app_mention POSTed to /slack/events -> the reply arriving at a
Slack Web API stand-in. The bot is a real `opsbot serve` process (bolt, the Inbox, the conversation core
with its in-process worker, the outbox, the Deliverer, slack_sdk) on the default 10,000-resource inventory;
this process sends the events and plays Slack. One conversation at a time, then 200 conversations at once,
then one person sending ten commands back to back into one channel, and into one thread: the first few
replies go out at once (Slack allows a short burst), the rest at Slack's pace of about one a second.

Uses the Redis at OPSBOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/14) and FLUSHES that database.
The Web API here is a minimal sink that notes when each channel's first message arrives (the full fake, with
its bookkeeping, lives with the tests)."""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from slack_sdk.signature import SignatureVerifier

from bench.chat_rounds import at_once, back_to_back, burst_figures, one_at_a_time
from bench.figures import Figure
from bench.loopback import ServeProcess, SlackSink, bench_redis, policy_without_rate_limits
from bot.slack.transport import BURST
from core.metrics import quantile

SECRET = "bench-signing-secret"
USER = "U0BENCH01"
ROUNDS = 200
AT_ONCE = 200
BACK_TO_BACK = 10
BOT_USER_ID = "U0LAN0Z89"
# Slack's docs example of an app_mention delivery (docs.slack.dev/reference/events/app_mention).
MENTION: dict[str, Any] = {
    "token": "XXYYZZ", "team_id": "T123ABC456", "api_app_id": "A123ABC456",
    "event": {"type": "app_mention", "user": "U061F7AUR", "text": "<@U0LAN0Z89> is it everything a river should be?",
              "ts": "1515449522.000016", "channel": "C123ABC456", "event_ts": "1515449522000016"},
    "type": "event_callback",
    "authorizations": [{"team_id": "T123ABC456", "user_id": "U123ABC456", "is_bot": False,
                        "is_enterprise_install": False}],
    "event_id": "Ev123ABC456", "event_time": 123456789,
}  # fmt: skip


def run() -> list[Figure]:
    url = bench_redis("redis://127.0.0.1:6379/14")
    if url is None:
        return [Figure("slack: skipped, no Redis at OPSBOT_BENCH_REDIS_URL", 0, "")]
    sink = SlackSink("bench-slack-api", BOT_USER_ID).start()
    try:
        with tempfile.TemporaryDirectory() as tmp, _serve(Path(tmp), url, sink.url) as base:
            # Each conversation is its own channel, so Slack's pacing of one channel never enters these figures.
            send = functools.partial(_send, base)
            asyncio.run(one_at_a_time(send, sink, [f"C0WARM{n:04d}" for n in range(10)]))
            one, acks = asyncio.run(one_at_a_time(send, sink, [f"C1ONE{n:04d}" for n in range(ROUNDS)]))
            many, seconds = asyncio.run(at_once(send, sink, [f"C2MANY{n:04d}" for n in range(AT_ONCE)]))
            channel = asyncio.run(back_to_back(send, sink, "C3BURST", BACK_TO_BACK))
            in_thread = functools.partial(_send, base, thread_ts="1600000000.424242")
            thread = asyncio.run(back_to_back(in_thread, sink, "C4THREAD", BACK_TO_BACK))
    finally:
        sink.stop()
    return [
        Figure("slack mention -> reply posted, p50", quantile(one, 0.5) * 1000, "ms"),
        Figure("slack mention -> reply posted, p99", quantile(one, 0.99) * 1000, "ms", "<= 50 ms"),
        Figure("slack request acknowledged, p99", quantile(acks, 0.99) * 1000, "ms", "<= 3000 ms (Slack's limit)"),
        Figure(f"slack {AT_ONCE} conversations at once, throughput", AT_ONCE / seconds, "replies/s"),
        Figure(f"slack {AT_ONCE} conversations at once, p50", quantile(many, 0.5) * 1000, "ms"),
        Figure(f"slack {AT_ONCE} conversations at once, p99", quantile(many, 0.99) * 1000, "ms"),
        *_burst_figures("channel", channel),
        *_burst_figures("thread", thread),
    ]


def _burst_figures(where: str, latencies: list[float]) -> list[Figure]:
    return burst_figures(
        f"slack {BACK_TO_BACK} in a row, {where}:", latencies, BURST, "~1000 ms, Slack's 1/s a channel"
    )


def _serve(tmp: Path, redis_url: str, api_url: str) -> ServeProcess:
    """`opsbot serve` with Slack only (Events API), the bench user as alice."""
    policy = policy_without_rate_limits(tmp, {"alice": [f"slack:{USER}"]})
    return ServeProcess(tmp, redis_url, {
        "OPSBOT_POLICY": str(policy),
        "OPSBOT_SLACK_BOT_TOKEN": "xoxb-bench",
        "OPSBOT_SLACK_SIGNING_SECRET": SECRET,
        "OPSBOT_SLACK_API_URL": api_url,
    })  # fmt: skip


_numbers = itertools.count(1)


def _mention(channel: str, thread_ts: str | None = None) -> tuple[bytes, dict[str, str]]:
    n = next(_numbers)
    body = copy.deepcopy(MENTION)
    ts = f"{1_600_000_000 + n}.000001"
    body["event"].update(text=f"<@{BOT_USER_ID}> status", user=USER, channel=channel, ts=ts, event_ts=ts)
    if thread_ts is not None:
        body["event"]["thread_ts"] = thread_ts
    body["event_id"] = f"EvBench{n}"
    raw = json.dumps(body)
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=raw) or ""
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
    return raw.encode(), headers


async def _send(
    base: str, client: httpx.AsyncClient, channel: str, thread_ts: str | None = None
) -> tuple[float, float]:
    """(monotonic time sent, seconds until acknowledged)."""
    body, headers = _mention(channel, thread_ts)
    start = time.monotonic()
    response = await client.post(base + "/slack/events", content=body, headers=headers)
    response.raise_for_status()
    return start, time.monotonic() - start
