"""Many replicas on this machine: what one more `opsbot serve` or `opsbot worker` process buys, and how long chat
goes quiet when a replica or the Redis master dies. Every process is real, on loopback:

- replies/s with 1 and 2 serve replicas: signed Slack direct messages ("status of web-prod") over many
  conversations, sent as fast as the replicas acknowledge them (spread over both), to the replies arriving at a
  Slack Web API stand-in; each conversation stays inside Slack's burst, so the figure is opsbot's, not the pace;
- jobs/s with 1, 2 and 4 `opsbot worker` processes: restarts of distinct simulated instances, all queued at once;
- alert intake p99 at 500 alerts/s, the webhooks spread over two replicas (answered once the alert is stored);
- the failover gap: the longest time with no delivery while replies are published at a steady rate and the
  delivering replica is SIGKILLed - or, on a Redis with Sentinel (fakes.redis_ha), the master fails over;
- audit append p99 into PostgreSQL (127.0.0.1:5432, a database of its own, created and dropped) and into the file,
  each with its chain head in Redis and signed checkpoints.

Uses the Redis at OPSBOT_BENCH_SCALE_REDIS_URL (default redis://127.0.0.1:6379/11) and FLUSHES that database; the
PostgreSQL server at OPSBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import httpx
import redis
import yaml
from rq import Worker
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from audit.log import AuditEvent, AuditLog
from bench.figures import Figure
from bench.loopback import START_SECONDS, SlackSink, free_port, policy_without_rate_limits
from core.leases import PREFIX
from core.metrics import quantile
from core.models import ActionName, ActionRequest, ConversationRef, Reply
from core.outbox import Outbox
from core.redis import connect
from core.settings import Settings
from workers.context import build_context
from workers.jobs import ActionJob, enqueue_action
from workers.queues import queue

if TYPE_CHECKING:
    from audit.postgres import PostgresAudit

SECRET = "bench-signing-secret"
USER = "U0SCALE01"
ALERT_TOKEN = "bench-scale-alert-token"
CONVERSATIONS = 600  # three replies each: inside Slack's burst of four a channel
REPLIES = 1_200
SENDERS = 48  # requests in flight at once
JOBS = 100
WORKERS = (1, 2, 4)
ALERT_RATE, ALERT_SECONDS, TEAMS = 500, 2, 500
PUBLISH_RATE, PUBLISH_SECONDS, FAULT_AT = 100, 10, 3.0  # replies a second, for how long, the fault after
LANES = 200  # channels the steady replies go to (half a reply a second each: below Slack's pace)
AUDIT_APPENDS = 300
LEASE = PREFIX + "deliver:slack"
_RUN = "from bot.cli import main; main()"


def run() -> list[Figure]:
    url = os.environ.get("OPSBOT_BENCH_SCALE_REDIS_URL", "redis://127.0.0.1:6379/11")
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError:
        return [Figure("scale: skipped, no Redis at OPSBOT_BENCH_SCALE_REDIS_URL", 0, "")]
    figures: list[Figure] = []
    for measure in (_replies_and_kill, _jobs, _intake, _sentinel_failover, _audit):
        began = time.monotonic()
        figures += measure(url)
        print(f"   ({measure.__name__.strip('_')}: {time.monotonic() - began:.0f} s)", flush=True)
    return figures


# -- the processes ------------------------------------------------------------------------------------


class _Deployment:
    """`opsbot serve --no-worker` replicas (each with its own name and port) and `opsbot worker` processes on one
    Redis; each process's stderr goes to a log file. Leaving the block stops what is still running."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self._tmp = tmp
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")},
                    "OPSBOT_DATA_DIR": str(tmp / "data"), **env}  # fmt: skip
        self.serves: dict[str, tuple[subprocess.Popen[bytes], str]] = {}  # name -> (process, base URL)
        self.workers: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> _Deployment:
        return self

    def __exit__(self, *_exc: object) -> None:
        for process in [p for p, _ in self.serves.values()] + self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [p for p, _ in self.serves.values()] + self.workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _spawn(self, name: str, args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with (self._tmp / f"{name}.log").open("wb") as log:
            return subprocess.Popen([sys.executable, "-c", _RUN, *args], env={**self.env, **env},
                                    stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip

    def serve(self, *names: str) -> list[str]:
        """Start a replica for each name, ready; their base URLs."""
        for name in names:
            port = free_port()
            env = {"OPSBOT_REPLICA_NAME": name, "OPSBOT_HTTP_PORT": str(port)}
            self.serves[name] = (self._spawn(name, ["serve", "--no-worker"], env), f"http://127.0.0.1:{port}")
        for name in names:
            self._ready(*self.serves[name])
        return [self.serves[name][1] for name in names]

    def worker(self, count: int, connection: redis.Redis) -> None:
        """`count` more workers, once each has registered with RQ."""
        for _ in range(count):
            self.workers.append(self._spawn(f"worker-{len(self.workers)}", ["worker"], {}))
        wanted = len(self.workers)
        _until(lambda: len(Worker.all(connection=connection)) >= wanted, START_SECONDS, "the workers to start")

    def _ready(self, process: subprocess.Popen[bytes], base: str) -> None:
        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"opsbot serve exited with {process.returncode}; see its log in {self._tmp}")
            try:
                return httpx.get(base + "/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _until(ready, START_SECONDS, f"{base}/readyz")


def _wait(condition: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    """Whether `condition` came true within `timeout` s (processes elsewhere: nothing to block on but polling)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    if not _wait(condition, timeout):
        raise TimeoutError(f"waited {timeout:g} s for {what}")


def _chat_env(tmp: Path, redis_url: str, sink: SlackSink) -> dict[str, str]:
    return {
        "OPSBOT_REDIS_URL": redis_url, "OPSBOT_SIM_RESOURCES": "2000",
        "OPSBOT_POLICY": str(policy_without_rate_limits(tmp, {"alice": [f"slack:{USER}"]})),
        "OPSBOT_SLACK_BOT_TOKEN": "xoxb-bench", "OPSBOT_SLACK_SIGNING_SECRET": SECRET, "OPSBOT_SLACK_API_URL": sink.url,
    }  # fmt: skip


class _Arrivals(SlackSink):
    """A Slack Web API noting every post: when, into which channel, with what text."""

    def __init__(self) -> None:
        super().__init__("bench-scale-slack", "U0BOT")
        self.posts: list[tuple[float, str, str]] = []
        self._lock = threading.Condition()

    def posted(self, channel: str, raw: str) -> None:
        with self._lock:
            self.posts.append((time.monotonic(), channel, str(json.loads(raw).get("text", ""))))
            self._lock.notify_all()

    def wait_count(self, count: int, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: len(self.posts) >= count, timeout)

    def since(self, moment: float) -> list[tuple[float, str, str]]:
        with self._lock:
            return [post for post in self.posts if post[0] >= moment]


# -- replies/s and the kill of the delivering replica -------------------------------------------------

_events = itertools.count(1)


def _direct(channel: str, text: str) -> tuple[bytes, dict[str, str]]:
    """A direct message to the bot as Slack's Events API delivers it, signed as Slack signs it."""
    n = next(_events)
    ts = f"{1_600_000_000 + n}.000001"
    body = json.dumps({
        "token": "bench", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": f"EvScale{n}",
        "event_time": 1_600_000_000 + n,
        "event": {"type": "message", "channel": channel, "user": USER, "text": text, "ts": ts, "event_ts": ts,
                  "channel_type": "im"},
    })  # fmt: skip
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }
    return body.encode(), headers


async def _send_events(bases: Sequence[str], label: str, count: int) -> None:
    """`count` direct messages over CONVERSATIONS channels, the n-th to replica n mod len(bases)."""
    left = iter(range(count))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=SENDERS)) as session:

        async def sender() -> None:
            for n in left:
                body, headers = _direct(f"D{label}{n % CONVERSATIONS:04d}", "status of web-prod")
                async with session.post(bases[n % len(bases)] + "/slack/events", data=body, headers=headers) as answer:
                    answer.raise_for_status()

        await asyncio.gather(*(sender() for _ in range(SENDERS)))


def _replies_per_second(bases: Sequence[str], sink: _Arrivals, label: str) -> tuple[float, float]:
    """(events acknowledged a second, replies delivered a second) for REPLIES events sent at once."""
    asyncio.run(_send_events(bases, f"W{label}", 100))  # warm: caches, connections, the first deliveries
    if not sink.wait_count(100, 60):
        return 0.0, 0.0
    before = len(sink.posts)
    began = time.monotonic()
    asyncio.run(_send_events(bases, label, REPLIES))
    acknowledged = REPLIES / (time.monotonic() - began)
    if not sink.wait_count(before + REPLIES, 120):
        return acknowledged, 0.0
    return acknowledged, REPLIES / (sink.posts[before + REPLIES - 1][0] - began)


def _replies_and_kill(url: str) -> list[Figure]:
    figures = []
    sink = _Arrivals().start()
    try:
        rates, acks = {}, {}
        for replicas in (1, 2):
            redis.Redis.from_url(url).flushdb()
            with tempfile.TemporaryDirectory(prefix="opsbot-scale-") as name, _Deployment(
                Path(name), _chat_env(Path(name), url, sink)
            ) as deployment:  # fmt: skip
                bases = deployment.serve(*[f"serve-{n}" for n in range(replicas)])
                acks[replicas], rates[replicas] = _replies_per_second(bases, sink, f"{replicas}R")
                if replicas == 2:
                    gap, lost, twice = _steady_with(url, sink, lambda: _kill_leader(deployment, url))
        figures = [
            Figure("scale: Slack events acknowledged/s, 1 serve replica", acks[1], "events/s"),
            Figure("scale: Slack events acknowledged/s, 2 serve replicas", acks[2], "events/s"),
            Figure("scale: replies/s, 1 serve replica", rates[1], "replies/s"),
            Figure("scale: replies/s, 2 serve replicas", rates[2], "replies/s"),
            Figure(
                "scale: replies/s, 2 replicas / 1",
                rates[2] / rates[1] if rates[1] else 0.0,
                "x",
                ">= 1 (2 cores, one delivering replica)",
            ),
            Figure("scale: failover gap after SIGKILL of the delivering replica", gap, "s", "<= 10 s"),
            Figure("scale: replies lost across the SIGKILL", lost, "replies", "0"),
            Figure("scale: replies delivered twice across the SIGKILL", twice, "replies", "0"),
        ]
    finally:
        sink.stop()
    return figures


def _kill_leader(deployment: _Deployment, url: str) -> None:
    holder = redis.Redis.from_url(url).get(LEASE)
    name = holder.decode() if isinstance(holder, bytes) else next(iter(deployment.serves))
    deployment.serves[name][0].kill()


def _steady_with(url: str, sink: _Arrivals, fault: Callable[[], object]) -> tuple[float, int, int]:
    """Publish PUBLISH_RATE replies a second for PUBLISH_SECONDS (as workers do), `fault` after FAULT_AT s: (the
    longest time with no delivery after the fault, replies lost, replies delivered more than once). A publish
    that fails (Redis failing over) is tried again until it is taken."""
    outbox = Outbox(connect(Settings(redis_url=url)))
    began = time.monotonic()
    texts = []
    fault_at, faulted = 0.0, False
    for n in range(PUBLISH_RATE * PUBLISH_SECONDS):
        time.sleep(max(0.0, began + n / PUBLISH_RATE - time.monotonic()))
        if not faulted and time.monotonic() - began >= FAULT_AT:
            fault_at, faulted = time.monotonic(), True
            fault()
        text = f"steady {n} {began}"
        ref = ConversationRef(channel="slack", conversation_id=f"C0LANE{n % LANES:03d}")
        while True:
            try:
                outbox.publish(Reply(ref=ref, key=f"steady-{n}", text=text))
                break
            except redis.RedisError:
                time.sleep(0.05)
        texts.append(text)
    wanted = set(texts)
    _wait(lambda: wanted <= {text for _, _, text in sink.since(began)}, 60, every=0.2)
    time.sleep(1.0)  # a late second copy, were there one, would be here by now
    posts = [(at, text) for at, _, text in sink.since(began) if text in wanted]
    delivered = [text for _, text in posts]
    return (
        quiet_after([at for at, _ in posts], fault_at),
        len(wanted - set(delivered)),
        len(delivered) - len(set(delivered)),
    )


def quiet_after(arrivals: Sequence[float], fault_at: float) -> float:
    """The longest time with no delivery that ends after `fault_at`: the gap the fault made (0.0 without one)."""
    ordered = sorted(arrivals)
    return max((b - a for a, b in itertools.pairwise(ordered) if b > fault_at), default=0.0)


# -- jobs/s --------------------------------------------------------------------------------------------


def _jobs(url: str) -> list[Figure]:
    """Workers are added between the rounds (1, then 2, then 4), each round JOBS restarts queued at once."""
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    rates = {}
    with tempfile.TemporaryDirectory(prefix="opsbot-scale-") as name:
        tmp = Path(name)
        settings = Settings(redis_url=url, data_dir=tmp / "data", sim_resources=2000, sim_step_seconds=0.01)
        context = build_context(settings, connection)
        resources = context.provider.snapshot().resources
        instances = iter([r for r in resources if r.kind == "instance" and r.state == "running"])
        ref = ConversationRef(channel="bench", conversation_id="scale")
        env = {"OPSBOT_REDIS_URL": url, "OPSBOT_SIM_RESOURCES": "2000", "OPSBOT_SIM_STEP_SECONDS": "0.01"}
        with _Deployment(tmp, env) as deployment:
            for count in WORKERS:
                deployment.worker(count - len(deployment.workers), connection)
                ended = _ended(connection)
                began = time.monotonic()
                for n, instance in zip(range(JOBS), instances, strict=False):
                    request = ActionRequest.on(instance, ActionName.RESTART, requested_by="bench")
                    key = f"scale-{count}-{n}"
                    enqueue_action(context, ActionJob(request=request, ref=ref, reply_key=key, idempotency_key=key,
                                                      enqueued_at=time.time()))  # fmt: skip
                _wait(lambda: _ended(connection) >= ended + JOBS, 60, every=0.02)  # noqa: B023 - used at once
                rates[count] = (_ended(connection) - ended) / (time.monotonic() - began)
        failed = _failed(connection)
    return [
        *(Figure(f"scale: jobs/s, {n} worker process{'es' if n > 1 else ''}", rates[n], "jobs/s") for n in WORKERS),
        Figure("scale: jobs/s, 2 workers / 1", rates[2] / rates[1] if rates[1] else 0.0, "x", ">= 1.5 (2 cores)"),
        Figure("scale: jobs/s, 4 workers / 2", rates[4] / rates[2] if rates[2] else 0.0, "x", "~1 (2 cores)"),
        Figure("scale: jobs failed", failed, "jobs", "0"),
    ]


def _registries(connection: redis.Redis) -> list[FinishedJobRegistry | FailedJobRegistry]:
    names = ("critical", "default", "low")
    return [kind(queue=queue(n, connection)) for n in names for kind in (FinishedJobRegistry, FailedJobRegistry)]


def _ended(connection: redis.Redis) -> int:
    """Jobs finished or failed so far."""
    return sum(registry.count for registry in _registries(connection))


def _failed(connection: redis.Redis) -> int:
    return sum(r.count for r in _registries(connection) if isinstance(r, FailedJobRegistry))


# -- alert intake -------------------------------------------------------------------------------------


def _intake(url: str) -> list[Figure]:
    """The intake with the audit in the file, then in PostgreSQL: every new alert is an audit record, written
    durably before the sender's 2xx, in one chain across every replica (appends that arrive together share a write)."""
    figures = _intake_with(url, "file", None)
    with _postgres_database() as database:
        if database is None:
            print("   scale: intake with the PostgreSQL audit skipped - no PostgreSQL at OPSBOT_BENCH_POSTGRES_URL")
        else:
            figures += _intake_with(url, "PostgreSQL", database)
    return figures


def _intake_with(url: str, store: str, audit_url: str | None) -> list[Figure]:
    redis.Redis.from_url(url).flushdb()
    sink = _Arrivals().start()
    try:
        with tempfile.TemporaryDirectory(prefix="opsbot-scale-") as name:
            tmp = Path(name)
            routes = [{"name": f"team-{t}", "match": {"labels": {"team": f"t{t}"}},
                       "channels": [f"slack:C0TEAM{t:03d}"], "escalation": "bench"} for t in range(TEAMS)]  # fmt: skip
            alerting = {
                "routes": [*routes, {"name": "rest", "channels": ["slack:C0REST"], "escalation": "bench"}],
                "escalations": {"bench": {"steps": [{"notify": "channel"}, {"after": "1h", "notify": "channel"}]}},
            }
            (tmp / "alerting.yaml").write_text(yaml.safe_dump(alerting, sort_keys=False), encoding="utf-8")
            env = {**_chat_env(tmp, url, sink), "OPSBOT_ALERTING": str(tmp / "alerting.yaml"),
                   "OPSBOT_ALERT_SOURCES": json.dumps({"generic": {"token": ALERT_TOKEN}})}  # fmt: skip
            if audit_url is not None:
                _install_audit(audit_url)
                env["OPSBOT_AUDIT_URL"] = audit_url
            with _Deployment(tmp, env) as deployment:
                bases = deployment.serve("serve-0", "serve-1")
                deployment.worker(1, redis.Redis.from_url(url))
                asyncio.run(_alerts(bases, "warm", 50, 1))
                latencies, refused, elapsed = asyncio.run(_alerts(bases, "run", ALERT_RATE, ALERT_SECONDS))
    finally:
        sink.stop()
    where = f"at {ALERT_RATE}/s over 2 replicas, audit in {store}"
    return [
        Figure(f"scale: alert intake p50 {where}", quantile(latencies, 0.5) * 1000, "ms"),
        Figure(f"scale: alert intake p99 {where}", quantile(latencies, 0.99) * 1000, "ms", "<= 100 ms"),
        Figure(f"scale: alerts answered/s, audit in {store}", len(latencies) / elapsed, "alerts/s", f"{ALERT_RATE}"),
        Figure(f"scale: alerts not answered 2xx, audit in {store}", refused, "alerts", "0"),
    ]


def _install_audit(database: str) -> None:
    from audit.pg_schema import install

    install(database, None)


async def _alerts(bases: Sequence[str], label: str, rate: int, seconds: int) -> tuple[list[float], int, float]:
    """`rate` generic alerts a second for `seconds`, alternating replicas: (seconds to each 2xx answer, alerts
    not answered 2xx, seconds the sending took)."""
    headers = {"Authorization": f"Bearer {ALERT_TOKEN}", "Content-Type": "application/json"}
    latencies: list[float] = []
    refused = 0

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal refused
        body = json.dumps({"fingerprint": f"scale-{label}-{n}", "status": "firing", "severity": "critical",
                           "summary": f"scale-{label}-{n} 5xx above 5%", "resource": "web-prod", "environment": "prod",
                           "labels": {"team": f"t{n % TEAMS}"}})  # fmt: skip
        start = time.monotonic()
        try:
            async with session.post(bases[n % len(bases)] + "/alerts/generic", data=body, headers=headers) as answer:
                if answer.status // 100 != 2:
                    refused += 1
                    return
        except aiohttp.ClientError:
            refused += 1
            return
        latencies.append(time.monotonic() - start)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
        began = time.monotonic()
        tasks = []
        for n in range(rate * seconds):
            await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(session, n)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - began
    return latencies, refused, elapsed


# -- a Sentinel failover ------------------------------------------------------------------------------


def _sentinel_failover(_url: str) -> list[Figure]:
    if shutil.which("redis-sentinel") is None or shutil.which("redis-server") is None:
        print("   scale: Sentinel failover skipped - needs redis-server and redis-sentinel (apt-get install them)")
        return []
    from fakes.redis_ha import SentinelRedis  # only this measurement starts the Redis servers

    sink = _Arrivals().start()
    try:
        with (
            SentinelRedis() as ha,
            tempfile.TemporaryDirectory(prefix="opsbot-scale-") as name,
            _Deployment(Path(name), _chat_env(Path(name), ha.url, sink)) as deployment,
        ):
            deployment.serve("serve-0", "serve-1")
            before = ha.master()
            gap, lost, twice = _steady_with(ha.url, sink, lambda: ha.failover(wait=False))
            if ha.master() == before:
                print("   scale: the Sentinel failover had not happened by the end of the run: its gap means nothing")
    finally:
        sink.stop()
    return [
        Figure("scale: failover gap after a Sentinel failover", gap, "s", "<= 10 s"),
        Figure("scale: replies lost across the Sentinel failover", lost, "replies", "0"),
        Figure("scale: replies delivered twice across the Sentinel failover", twice, "replies", "0"),
    ]


# -- audit appends --------------------------------------------------------------------------------------


def _audit(url: str) -> list[Figure]:
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    key = b"bench-scale-audit-key-0123456789"
    with tempfile.TemporaryDirectory(prefix="opsbot-scale-") as name:
        file_log = AuditLog(Path(name), connection=connection, key=key)
        figures = [Figure("scale: audit append p99, file (fsync)", _append_p99(file_log) * 1000, "ms")]
    connection.flushdb()
    with _postgres_database() as database:
        if database is None:
            print("   scale: PostgreSQL audit skipped - no PostgreSQL at OPSBOT_BENCH_POSTGRES_URL")
            return figures
        from audit.postgres import PostgresAudit

        _install_audit(database)
        with PostgresAudit(database, connection=connection, key=key) as store:
            figures.append(Figure("scale: audit append p99, PostgreSQL", _append_p99(store) * 1000, "ms", "<= 20 ms"))
    return figures


def _append_p99(store: AuditLog | PostgresAudit) -> float:
    times = []
    for i in range(AUDIT_APPENDS):
        began = time.perf_counter()
        store.append(AuditEvent.RECEIVED, actor="alice", where="slack:C0INCIDENT/1712.5", what=f"scale web-prod to {i}",
                     params={"action": "scale", "desired_count": i, "idempotency_key": f"k{i}"})  # fmt: skip
        times.append(time.perf_counter() - began)
    return quantile(times, 0.99)


@contextlib.contextmanager
def _postgres_database() -> Iterator[str | None]:
    """A database of the bench's own on the PostgreSQL server (its URL), dropped afterwards; None without one."""
    import psycopg

    admin = os.environ.get("OPSBOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"opsbot_bench_scale_{os.getpid()}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
    except psycopg.Error:
        yield None
        return
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
