"""The conversation end to end, in-process: message -> reply for read intents, confirm -> job started on
a local Redis, and the resident memory of a shell holding the full inventory.

Uses the Redis at OPSBOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/15) and FLUSHES that database;
falls back to the embedded fakeredis when none answers."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from audit.log import AuditEvent
from bench.figures import Figure
from bench.loopback import bench_redis, policy_without_rate_limits
from bot.runtime import Runtime
from core.metrics import quantile
from core.models import ConversationRef, Message
from core.settings import Settings

READS = (
    "status",
    "status of prod",
    "how is aws doing",
    "find web",
    "list stopped instances in gcp",
    "show db-prod",
    "cost this month",
    "cost by provider",
    "forecast",
    "help scale",
    "perf",
)
REF = ConversationRef(channel="console", conversation_id="bench")
_RSS_PROBE = """
import time
from bot.runtime import Runtime
from core.models import ConversationRef, Message
from core.settings import Settings
rt = Runtime.build(Settings(data_dir={data_dir!r}), with_worker=True)
ref = ConversationRef(channel="console", conversation_id="rss")
for text in ("status", "find web", "show web-prod", "cost by provider"):
    rt.conversation.handle(Message(ref=ref, sender="alice", text=text, received_at=time.time()))
print(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmRSS:")))
rt.close()
"""


def _say(rt: Runtime, text: str = "", *, user: str = "alice", press: str | None = None) -> list[object]:
    msg = Message(ref=REF, sender=user, text=text, button_id=press, received_at=time.time())
    return list(rt.conversation.handle(msg))


def _read_latency(rt: Runtime, rounds: int = 60) -> list[float]:
    for text in READS:  # warm caches (inventory views, resolver, search text)
        _say(rt, text, user="dave")
    samples: list[float] = []
    for _ in range(rounds):
        for text in READS:
            start = time.perf_counter()
            _say(rt, text, user="dave")
            samples.append(time.perf_counter() - start)
    return samples


def _confirm_to_start(rt: Runtime, runs: int = 40) -> list[float]:
    samples: list[float] = []
    audit = rt.conversation.services.audit
    for i in range(runs):
        [ask] = rt.conversation.handle(
            Message(ref=REF, sender="alice", text=f"scale web-prod to {13 + i % 2}", received_at=time.time())
        )
        confirm = ask.buttons[0].id
        pressed = time.time()
        _say(rt, press=confirm)
        started = None
        deadline = time.monotonic() + 10
        while started is None and time.monotonic() < deadline:
            started = next((r.at for r in audit.tail(8) if r.event is AuditEvent.STARTED and r.at >= pressed), None)
            time.sleep(0.0005)
        if started is not None:
            samples.append(started - pressed)
        while rt.worker is not None and time.monotonic() < deadline and _pending(rt):
            time.sleep(0.001)
    return samples


def _pending(rt: Runtime) -> bool:
    from workers.jobs import pending_jobs

    return pending_jobs(rt.connection, REF) > 0


def _rss_mb(data_dir: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    done = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE.format(data_dir=str(data_dir))],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def run() -> list[Figure]:
    url = bench_redis("redis://127.0.0.1:6379/15")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        policy = policy_without_rate_limits(Path(tmp))
        settings = Settings.model_validate(
            {"redis_url": url, "data_dir": Path(tmp) / "data", "sim_step_seconds": 0.0, "policy": policy}
        )
        rt = Runtime.build(settings, with_worker=True)
        try:
            reads = _read_latency(rt)
            backend = "local Redis" if url else "fakeredis"
            figures += [
                Figure(f"read intent message->reply p50 ({backend})", quantile(reads, 0.5) * 1000, "ms"),
                Figure(f"read intent message->reply p99 ({backend})", quantile(reads, 0.99) * 1000, "ms",
                       "<= 10 ms"),
            ]  # fmt: skip
            starts = _confirm_to_start(rt)
            if starts:
                figures += [
                    Figure(f"confirm -> job started p50 ({backend})", quantile(starts, 0.5) * 1000, "ms", "<= 15 ms"),
                    Figure(f"confirm -> job started p99 ({backend})", quantile(starts, 0.99) * 1000, "ms"),
                ]
        finally:
            rt.close()
        figures.append(Figure("shell resident memory, 10,000 resources", _rss_mb(Path(tmp) / "rss"), "MB", "<= 150 MB"))
    return figures
