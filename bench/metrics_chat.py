"""Metrics questions in chat, as a user meets them: "cpu of web-prod last 6h" typed, answered by the conversation
core (parse, policy, the MetricsReader over the configured sources, the answer's text and chart), and the chart drawn
as the PNG the adapter uploads (bot.charts.render_png). The source is a REAL Prometheus (Debian's, fakes.prometheus)
holding 6 h and more of the web-prod group's past, labelled instance=<member name>, group=web-prod, written with
promtool before it starts (fakes.node_history); opsbot's settings point OPSBOT_PROMETHEUS_URL at it.

Cold questions: each asks at a moment one step later than the last (the conversation's clock is moved, so the
6-hour range ends elsewhere) and about another metric, so the shared cache cannot answer; the figures are message ->
reply with the chart drawn, and the drawing alone. Cached: the same question again and again. Ten users at once:
ten threads each asking their own cold questions, the chart drawn by each.

Uses the Redis at OPSBOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13) and FLUSHES that database."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from actions.simulated.inventory import generate_inventory
from bench.figures import Figure
from bench.loopback import bench_redis, policy_without_rate_limits
from bot.runtime import Runtime
from core.metrics import quantile
from core.models import ConversationRef, Message, Reply
from core.settings import Settings
from fakes.node_history import history

GROUP = "web-prod"
SEED, RESOURCES = 42, 10_000  # the settings' default world, whose web-prod has 12 instances
WORDS = ("cpu", "memory", "requests", "errors", "p99 latency", "network in")
HOURS = 6
STEP = 60  # seconds: the step of a 6 h question, and how far the clock moves between two cold questions
QUESTIONS, REPEATS = 100, 100
USERS, PER_USER = 10, 10
SCRAPE_EVERY = 30.0  # seconds between the history's samples, a usual scrape interval
MARGIN = 600  # seconds of history before the first question's range and after the last one's end
PROGRAMS = ("prometheus", "promtool")  # Debian's `prometheus` package has both


class _Clock:
    """The conversation's "now": set by the thread asking, so ten users at once each ask at their own moment."""

    def __init__(self, now: float) -> None:
        self._default = now
        self._local = threading.local()

    def set(self, now: float) -> None:
        self._local.now = now

    def __call__(self) -> float:
        return float(getattr(self._local, "now", self._default))


class _Asker:
    """Questions typed into one runtime, by user, each timed from message to reply and through the drawing."""

    def __init__(self, rt: Runtime, clock: _Clock, base: float) -> None:
        self.rt, self.clock, self.base = rt, clock, base
        self.from_prometheus = 0  # answers that name Prometheus as their source
        self._lock = threading.Lock()

    def ask(self, text: str, at: float, *, user: str = "oncall-1") -> tuple[Reply, float]:
        self.clock.set(at)
        ref = ConversationRef(channel="console", conversation_id=f"bench-{user}")
        start = time.perf_counter()
        [answer] = self.rt.conversation.handle(Message(ref=ref, sender=user, text=text, received_at=time.time()))
        elapsed = time.perf_counter() - start
        if any(line.startswith("From Prometheus") for line in answer.text.splitlines()):
            with self._lock:
                self.from_prometheus += 1
        return answer, elapsed

    def cold(self, k: int, user: str = "oncall-1") -> tuple[float, float]:
        """Question number `k` (its own moment and metric) with its chart drawn: (whole seconds, drawing seconds)."""
        from bot.charts import render_png

        answer, elapsed = self.ask(f"{WORDS[k % len(WORDS)]} of {GROUP} last {HOURS}h", self.base + k * STEP, user=user)
        if answer.chart is None:
            raise RuntimeError(f"no chart in the answer: {answer.text}")
        start = time.perf_counter()
        render_png(answer.chart)
        drawn = time.perf_counter() - start
        return elapsed + drawn, drawn


def run() -> list[Figure]:
    url = bench_redis("redis://127.0.0.1:6379/13")
    if url is None:
        return [Figure("metrics chat: skipped, no Redis at OPSBOT_BENCH_REDIS_URL", 0, "")]
    missing = [name for name in PROGRAMS if shutil.which(name) is None]
    if missing:
        print(f"   metrics chat: skipped - needs {missing[0]}: apt-get install prometheus", flush=True)
        return []
    from fakes.prometheus import Prometheus

    members = _members()
    end = math.floor(time.time() / STEP) * STEP - STEP
    start = end - (HOURS * 3600 + QUESTIONS * STEP + 2 * MARGIN)
    base = start + HOURS * 3600 + MARGIN  # the first question's moment: its 6 h lie wholly in the history
    past = history(dict.fromkeys(members, GROUP), start, end, SCRAPE_EVERY)
    with tempfile.TemporaryDirectory() as tmp, Prometheus([], tmp_path=Path(tmp), history=past) as prometheus:
        policy = policy_without_rate_limits(Path(tmp), default_role="viewer")
        settings = Settings.model_validate({
            "redis_url": url, "data_dir": Path(tmp) / "data", "sim_seed": SEED, "sim_resources": RESOURCES,
            "sim_step_seconds": 0.0, "policy": policy, "prometheus_url": prometheus.url,
        })  # fmt: skip
        clock = _Clock(base)
        rt = Runtime.build(settings, with_worker=False, clock=clock)
        try:
            return _measure(_Asker(rt, clock, base))
        finally:
            rt.close()


def _members() -> list[str]:
    resources = generate_inventory(SEED, RESOURCES)
    [group] = [r for r in resources if r.kind == "group" and r.name == GROUP]
    return [r.name for r in resources if r.kind == "instance" and r.group == GROUP and r.cloud == group.cloud]


def _measure(asker: _Asker) -> list[Figure]:
    for k, word in enumerate(WORDS):  # warm: the first question loads the reader, numpy and matplotlib
        asker.ask(f"{word} of {GROUP} last 2h", asker.base - MARGIN // 2 + k * STEP)
    asker.cold(0)
    asker.from_prometheus = 0
    _forget_readings(asker.rt)
    cold = [asker.cold(k) for k in range(QUESTIONS)]
    whole, drawing = [w for w, _ in cold], [d for _, d in cold]
    answered = asker.from_prometheus
    hits = _cache_hits()
    cached = _repeated(asker)
    hits = _cache_hits() - hits
    _forget_readings(asker.rt)
    asker.from_prometheus = 0
    many, seconds = _at_once(asker)
    at_once = USERS * PER_USER
    return [
        # Latency here is partly waiting for a CPU when the machine is busy: read the figures beside this one.
        Figure("metrics chat: load average after the run", os.getloadavg()[0], f"(on {os.cpu_count()} CPUs)"),
        Figure(f"metrics chat: cold answers from Prometheus ({GROUP})", answered, f"of {QUESTIONS}"),
        Figure("metrics chat: 6 h at 1 min, message -> reply + chart p50", quantile(whole, 0.5) * 1000, "ms"),
        Figure("metrics chat: 6 h at 1 min, message -> reply + chart p99", quantile(whole, 0.99) * 1000, "ms",
               "<= 500 ms"),
        Figure("metrics chat: chart render p50", quantile(drawing, 0.5) * 1000, "ms"),
        Figure("metrics chat: chart render p99", quantile(drawing, 0.99) * 1000, "ms", "<= 300 ms"),
        Figure("metrics chat: from the cache, message -> reply p50", quantile(cached, 0.5) * 1000, "ms"),
        Figure("metrics chat: from the cache, message -> reply p99", quantile(cached, 0.99) * 1000, "ms",
               "<= 50 ms"),
        Figure("metrics chat: repeated questions the cache answered", hits, f"of {REPEATS}"),
        Figure(f"metrics chat: {USERS} users at once, answers from Prometheus", asker.from_prometheus,
               f"of {at_once}"),
        Figure(f"metrics chat: {USERS} users at once, reply + chart p50", quantile(many, 0.5) * 1000, "ms"),
        Figure(f"metrics chat: {USERS} users at once, reply + chart p99", quantile(many, 0.99) * 1000, "ms"),
        Figure(f"metrics chat: {USERS} users at once, throughput", at_once / seconds, "answers/s"),
    ]  # fmt: skip


def _repeated(asker: _Asker) -> list[float]:
    """The same question REPEATS times at one moment, after it was asked once: the text and chart data come from
    the shared cache (the chart is drawn by the adapter, measured above)."""
    text, at = f"cpu of {GROUP} last {HOURS}h", asker.base + QUESTIONS * STEP // 2
    asker.ask(text, at)
    return [asker.ask(text, at)[1] for _ in range(REPEATS)]


def _at_once(asker: _Asker) -> tuple[list[float], float]:
    """USERS threads, each asking PER_USER cold questions of its own, started together: (latencies, seconds)."""
    latencies: list[float] = []
    lock, ready = threading.Lock(), threading.Barrier(USERS + 1)

    def user(number: int) -> Callable[[], None]:
        def asking() -> None:
            ready.wait()
            mine = [asker.cold(number * PER_USER + q, user=f"oncall-{number}")[0] for q in range(PER_USER)]
            with lock:
                latencies.extend(mine)

        return asking

    threads = [threading.Thread(target=user(n), name=f"user-{n}") for n in range(USERS)]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - start


def _forget_readings(rt: Runtime) -> None:
    """Empty the shared metrics cache, so the next questions are asked of Prometheus again."""
    from actions.metrics.reader import KEY_PREFIX

    keys = list(rt.connection.scan_iter(match=KEY_PREFIX + "*", count=1000))
    if keys:
        rt.connection.delete(*keys)


def _cache_hits() -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("opsbot_metric_cache_hits_total") or 0.0
