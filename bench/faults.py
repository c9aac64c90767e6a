"""Faults in the middle of an alert storm: what an on-call person would miss. 10,000 distinct Alertmanager alerts
(1 in 100 critical) are posted to a real `opsbot serve --no-worker` and a real `opsbot worker`, on a private
redis-server with its AOF on, by senders that retry like Alertmanager. In the middle the serve process is
SIGKILLed, Redis crashes and restarts from its AOF, and half a line is written to the end of the audit file;
a process that exits is started again after 2 s, as the shipped systemd units do. Then, once nothing has moved
for a while, it counts from what the Slack and Twilio stand-ins received: alerts with no card (lost), alerts with
more than one (duplicated), criticals never paged, and the time from each alert's first send to its card.

Warnings go to their team's channel (200 teams), criticals to one of two incident channels; Slack's pace of
about one message a second per channel is kept, so a channel's queue shows in the latencies. A digest
("12 new alerts:", a line each for some, "and 7 more") delivers the alerts it names, and as many more of its
channel as it counts (reported apart). OPSBOT_BENCH_FAULTS_ALERTS sets the storm's size (default 10,000);
OPSBOT_BENCH_FAULTS_FSYNC Redis's appendfsync (default always: then a loss is opsbot's, not the persistence's;
deploy/compose.yaml leaves Redis at its everysec)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
import yaml

from alerts.store import AlertBook
from bench.figures import Figure
from bench.loopback import START_SECONDS, free_port, policy_without_rate_limits
from core.metrics import quantile
from fakes.slack_api import FakeSlackApi
from fakes.twilio_api import FakeTwilioAPI

ALERTS = 10_000
CRITICAL_EVERY = 100
TEAMS = 200
INCIDENT_CHANNELS = ("C0INCIDENT1", "C0INCIDENT2")
RATE = 100.0  # alerts a second
SENDERS = 32  # connections at most
FAULTS = ("serve", "redis", "audit")
FAULT_AT = {"serve": 0.3, "redis": 0.5, "audit": 0.7}  # share of the storm sent before each fault
RESTART_SECONDS = 2.0  # RestartSec of deploy/systemd
REDIS_DOWN_SECONDS = 2.0
WARM_SECONDS = 5.0
SEND_GIVE_UP_SECONDS = 180.0  # Alertmanager keeps retrying a notification for about its group interval
QUIET_DONE_SECONDS = 10.0  # everything delivered and paged, and nothing moved for this long: settled
QUIET_SECONDS = 30.0  # nothing moved for this long: settled, whatever is missing
SETTLE_CAP_SECONDS = 300.0
TOKEN = "bench-faults-token"
TWILIO_SID, TWILIO_TOKEN = "AC" + "0" * 32, "bench-twilio-token"
PHONE = "+15550100001"
_MARK = re.compile(r"storm-(\d{5})")
_NUMBER = re.compile(r"(?:ALERT |#)(\d+)\b")
_SEGMENTS = re.compile(r"\n|[,;]\s+(?=#\d)")
_DIGEST = re.compile(r"^(\d+) new alerts?:", re.MULTILINE)  # bot/digest.py


def run() -> list[Figure]:
    size = int(os.environ.get("OPSBOT_BENCH_FAULTS_ALERTS", ALERTS))
    fsync = os.environ.get("OPSBOT_BENCH_FAULTS_FSYNC", "always")
    report = storm(size, FAULTS, fsync=fsync)
    for line in report.notes:
        print("   " + line, flush=True)
    return report.figures()


# -- counting what the stand-ins received -------------------------------------------------------------


class Delivered:
    """Which alerts each posted message names, fed one message at a time. An alert is named by its mark
    ("storm-00042", which the storm puts in every summary); a part of a message without a mark (a digest's
    "#42 ...") names the alert by its number, through `number_to_mark`. A digest that counts more alerts than it
    names ("12 new alerts:", five lines, "and 7 more") delivers the rest of its conversation's alerts as a count."""

    def __init__(self, number_to_mark: Callable[[int], str | None]) -> None:
        self._resolve = number_to_mark
        self.first: dict[str, float] = {}  # mark -> when its first message arrived (monotonic)
        self.messages: dict[str, int] = {}  # mark -> how many messages named it
        self.counted: dict[str, list[tuple[float, int]]] = {}  # conversation -> (when, alerts counted, not named)

    def add(self, at: float, text: str, conversation: str = "") -> None:
        named = self.named(text)
        for mark in named:
            self.first[mark] = min(at, self.first.get(mark, at))
            self.messages[mark] = self.messages.get(mark, 0) + 1
        digest = _DIGEST.search(text)
        if digest and int(digest.group(1)) > len(named):
            self.counted.setdefault(conversation, []).append((at, int(digest.group(1)) - len(named)))

    def named(self, text: str) -> set[str]:
        marks: set[str] = set()
        for segment in _SEGMENTS.split(text):
            found = {m.group(0) for m in _MARK.finditer(segment)}
            if not found:
                found = {m for n in _NUMBER.findall(segment) if (m := self._resolve(int(n))) is not None}
            marks |= found
        return marks

    def arrivals(self, sent: Mapping[str, float], where: Mapping[str, str]) -> dict[str, float]:
        """When each alert reached its conversation: the first message naming it, else the first digest there
        that counted alerts without naming them (given out in the order the alerts were sent)."""
        arrived = dict(self.first)
        waiting: dict[str, list[tuple[float, str]]] = {}
        for mark, at in sent.items():
            if mark not in arrived and mark in where:
                waiting.setdefault(where[mark], []).append((at, mark))
        for conversation, digests in self.counted.items():
            queue = sorted(waiting.get(conversation, []))
            for at, count in sorted(digests):
                taken = [mark for sent_at, mark in queue if sent_at <= at][:count]
                arrived.update(dict.fromkeys(taken, at))
                queue = [(sent_at, mark) for sent_at, mark in queue if mark not in arrived]
        return arrived

    def lost(self, sent: Mapping[str, float], where: Mapping[str, str] | None = None) -> list[str]:
        arrived = self.arrivals(sent, where or {})
        return sorted(mark for mark in sent if mark not in arrived)

    def duplicated(self) -> list[str]:
        return sorted(mark for mark, count in self.messages.items() if count > 1)


def message_text(body: Mapping[str, object]) -> str:
    """Every text of a chat.postMessage body (its fallback text and the texts in its blocks), one per line."""
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    texts.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    blocks = body.get("blocks")
    walk({"text": body.get("text"), "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks})
    return "\n".join(dict.fromkeys(texts))


# -- the report ---------------------------------------------------------------------------------------


@dataclass
class Report:
    sent: dict[str, float]  # mark -> first send (monotonic)
    where: dict[str, str]  # mark -> the conversation its card goes to
    critical: set[str]
    delivered: Delivered
    pages: Delivered  # the SMS pages, counted as the cards are
    window: tuple[float, float]  # first fault injected .. last fault over (monotonic)
    never_accepted: int = 0
    retries: int = 0
    unplanned_exits: int = 0
    settle_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def lost(self) -> list[str]:
        return self.delivered.lost(self.sent, self.where)

    @property
    def only_counted(self) -> int:
        """Alerts no message named, that a digest of their conversation counted ("and 7 more")."""
        return len(self.delivered.arrivals(self.sent, self.where).keys() - self.delivered.first.keys())

    @property
    def duplicated(self) -> list[str]:
        return self.delivered.duplicated()

    @property
    def unpaged(self) -> list[str]:
        return sorted(self.critical - self.pages.first.keys())

    def latencies(self, when: str, marks: Iterable[str] | None = None) -> list[float]:
        """Seconds from first send to first card of the alerts first sent `when`: before, during or after."""
        begin, end = self.window
        first = self.delivered.arrivals(self.sent, self.where)
        out = []
        for mark in self.sent if marks is None else marks:
            at = self.sent[mark]
            phase = "before" if at < begin else "during" if at <= end else "after"
            if phase == when and mark in first:
                out.append(first[mark] - at)
        return out

    def figures(self) -> list[Figure]:
        n = len(self.sent)
        figures = [
            Figure(f"faults: alerts sent ({len(self.critical)} critical)", n, "alerts"),
            Figure("faults: lost (no card by the end of the run)", len(self.lost), "alerts", "0"),
            Figure("faults: duplicated (more than one card)", len(self.duplicated), "alerts", "0"),
            Figure("faults: only counted in a digest ('and 7 more')", self.only_counted, "alerts"),
            Figure("faults: criticals never paged by SMS", len(self.unpaged), "alerts", "0"),
            Figure("faults: criticals paged by SMS more than once", len(self.pages.duplicated()), "alerts", "0"),
            Figure("faults: never accepted by the webhook", self.never_accepted, "alerts", "0"),
            Figure("faults: sender retries (non-2xx or no connection)", self.retries, "posts"),
            Figure("faults: unplanned process exits (restarted)", self.unplanned_exits, "exits", "0"),
        ]
        for when in ("before", "during", "after"):
            seconds = self.latencies(when)
            figures += [
                Figure(f"faults: webhook -> card p50, sent {when} the faults", quantile(seconds, 0.5), "s"),
                Figure(f"faults: webhook -> card p99, sent {when} the faults", quantile(seconds, 0.99), "s"),
            ]
        for when in ("during", "after"):
            seconds = self.latencies(when, self.critical)
            figures.append(Figure(f"faults: critical webhook -> card p99, sent {when}", quantile(seconds, 0.99), "s"))
        figures.append(Figure("faults: settling after the last send", self.settle_seconds, "s"))
        return figures


# -- the storm ----------------------------------------------------------------------------------------


def storm(size: int, faults: Sequence[str], *, fsync: str = "always") -> Report:
    """`size` alerts with `faults` (some of FAULTS) injected along the way; counted once things settle."""
    with (
        tempfile.TemporaryDirectory(prefix="opsbot-faults-") as name,
        FakeTwilioAPI(TWILIO_SID, TWILIO_TOKEN) as twilio,
    ):
        tmp = Path(name)
        slack = FakeSlackApi().start()
        slack.limit_channels(per_second=1.0, burst=3)  # Slack's pace: about one a second per channel
        store = _RedisServer(tmp / "redis", fsync).start()
        try:
            env = _settings_env(tmp, store.url, slack.url, twilio.url)
            with _Processes(tmp, env) as processes:
                return _run(size, faults, tmp, store, processes, slack, twilio)
        finally:
            store.stop()
            slack.stop()


def _run(size: int, faults: Sequence[str], tmp: Path, store: _RedisServer, processes: _Processes,
         slack: FakeSlackApi, twilio: FakeTwilioAPI) -> Report:  # fmt: skip
    time.sleep(WARM_SECONDS)  # a storm into a running system, not one still warming its caches
    senders = _Senders(processes.base, size)
    window = [0.0, 0.0]

    def inject() -> None:
        for fault in sorted(faults, key=FAULT_AT.__getitem__):
            senders.wait_sent(int(size * FAULT_AT[fault]))
            window[0] = window[0] or time.monotonic()
            if fault == "serve":
                processes.kill_serve()
                processes.wait_ready()  # started again by the supervisor, as systemd would
            elif fault == "redis":
                store.crash_and_restart()
            else:
                with (tmp / "data" / "audit.jsonl").open("ab") as audit:
                    audit.write(b'{"seq": 999999, "event": "alert.received", "actor": "sys')
            window[1] = time.monotonic()

    injector = threading.Thread(target=inject, name="faults", daemon=True)
    injector.start()
    senders.run()
    injector.join()
    numbers = _Numbers(store.url)
    delivered = Delivered(numbers.mark)
    settle_began = time.monotonic()
    pages = Delivered(numbers.mark)
    _settle(senders, delivered, pages, slack, twilio, processes)
    report = Report(
        sent=senders.first_sent, where=senders.where, critical=senders.critical, delivered=delivered, pages=pages,
        window=(window[0] or time.monotonic(), window[1] or time.monotonic()), never_accepted=senders.refused,
        retries=senders.retries, unplanned_exits=processes.unplanned_exits,
        settle_seconds=time.monotonic() - settle_began,
    )  # fmt: skip
    report.notes += _notes(report, processes)
    return report


def _settle(senders: _Senders, delivered: Delivered, pages: Delivered, slack: FakeSlackApi, twilio: FakeTwilioAPI,
            processes: _Processes) -> None:  # fmt: skip
    """Feed `delivered` the cards and `pages` the SMS until nothing moves (or SETTLE_CAP_SECONDS)."""
    posts_seen = sms_seen = 0
    activity, moved = -1, time.monotonic()
    began = time.monotonic()
    while True:
        processes.keep_running()
        posts = _accepted_posts(slack)
        for at, body in posts[posts_seen:]:
            delivered.add(at, message_text(body), str(body.get("channel")))
        posts_seen = len(posts)
        sms = twilio.sms_sent
        for page in sms[sms_seen:]:
            pages.add(time.monotonic(), page.body)
        sms_seen = len(sms)
        now_activity = len(slack.calls) + len(twilio.requests)
        now = time.monotonic()
        if now_activity != activity:
            activity, moved = now_activity, now
        complete = not delivered.lost(senders.first_sent, senders.where)
        complete = complete and not pages.lost({mark: senders.first_sent[mark] for mark in senders.critical})
        quiet = now - moved
        if (complete and quiet >= QUIET_DONE_SECONDS) or quiet >= QUIET_SECONDS or now - began > SETTLE_CAP_SECONDS:
            return
        time.sleep(1.0)


def _accepted_posts(slack: FakeSlackApi) -> list[tuple[float, dict[str, object]]]:
    """chat.postMessage calls the stand-in took (not those it answered 429), in order."""
    refused = {id(call) for call, _wait in list(slack.throttled)}
    return [(c.at, c.body) for c in slack.calls_to("chat.postMessage") if id(c) not in refused]


def _notes(report: Report, processes: _Processes) -> list[str]:
    notes = []
    if report.lost:
        notes.append(f"lost, first few: {', '.join(report.lost[:8])}")
    if report.duplicated:
        notes.append(f"duplicated, first few: {', '.join(report.duplicated[:8])}")
    for command in (("outbox", "stats"), ("audit", "verify")):  # `outbox stats`: where this opsbot has one
        code, output = processes.opsbot(*command)
        if code != 2:  # 2: no such command
            notes.append(f"opsbot {' '.join(command)} (exit {code}):")
            notes += [f"  {line}" for line in output.splitlines()[:6]]
    notes += [f"{count}x {what}" for what, count in processes.crashes().items()]
    return notes


class _Numbers:
    """An alert's number -> its mark, read from the alert store once the storm is over (for digests)."""

    def __init__(self, url: str) -> None:
        self._book = AlertBook(redis.Redis.from_url(url))
        self._known: dict[int, str | None] = {}

    def mark(self, number: int) -> str | None:
        if number not in self._known:
            try:
                alert = self._book.get(number)
            except redis.RedisError:
                return None
            found = _MARK.search(alert.summary) if alert is not None else None
            self._known[number] = found.group(0) if found else None
        return self._known[number]


# -- the senders --------------------------------------------------------------------------------------


class _Senders:
    """Alertmanager's side: each alert posted once, RATE a second in all, and again after a growing pause while
    the answer is not 2xx (or there is none). Each alert retries on its own, as Alertmanager's notifications do,
    so one that waits does not hold back the next; SENDERS connections at most."""

    def __init__(self, base: Callable[[], str], size: int) -> None:
        self._base = base
        self._size = size
        self._lock = threading.Condition()
        self.first_sent: dict[str, float] = {}
        self.where: dict[str, str] = {}
        self.critical: set[str] = set()
        self.refused = 0
        self.retries = 0

    def run(self) -> None:
        asyncio.run(self._send_all())

    def wait_sent(self, count: int) -> None:
        with self._lock:
            self._lock.wait_for(lambda: len(self.first_sent) >= min(count, self._size))

    async def _send_all(self) -> None:
        limits = httpx.Limits(max_connections=SENDERS)
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, pool=None), limits=limits) as client:
            began = time.monotonic()
            tasks = []
            for i in range(self._size):
                await asyncio.sleep(max(0.0, began + i / RATE - time.monotonic()))
                tasks.append(asyncio.create_task(self._send(client, i)))
            await asyncio.gather(*tasks)

    async def _send(self, client: httpx.AsyncClient, i: int) -> None:
        mark, conversation, body = _notification(i)
        with self._lock:
            self.first_sent[mark] = time.monotonic()
            self.where[mark] = conversation
            if i % CRITICAL_EVERY == 0:
                self.critical.add(mark)
            self._lock.notify_all()
        pause, give_up = 0.25, time.monotonic() + SEND_GIVE_UP_SECONDS
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        while True:
            try:
                answer = await client.post(self._base() + "/alerts/alertmanager", content=body, headers=headers)
                if answer.is_success:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > give_up:
                self.refused += 1
                return
            self.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


def _notification(i: int) -> tuple[str, str, bytes]:
    """The mark of alert `i`, the conversation it is routed to, and Alertmanager's webhook (version 4) for it."""
    mark = f"storm-{i:05d}"
    critical = i % CRITICAL_EVERY == 0
    team = f"t{i % TEAMS:03d}"
    labels = {"alertname": "HighLatency", "severity": "critical" if critical else "warning", "team": team,
              "service": f"svc-{team}", "incident": str(i // CRITICAL_EVERY % len(INCIDENT_CHANNELS))}  # fmt: skip
    alert = {
        "status": "firing", "labels": labels, "annotations": {"summary": f"{mark} p99 latency above 2s"},
        "startsAt": "2026-12-05T22:00:00.000Z", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": f"{i:016x}",
    }  # fmt: skip
    body = {
        "version": "4", "groupKey": f'{{}}:{{alertname="HighLatency", team="{team}"}}', "truncatedAlerts": 0,
        "status": "firing", "receiver": "opsbot", "groupLabels": {"alertname": "HighLatency", "team": team},
        "commonLabels": labels, "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.example:9093", "alerts": [alert],
    }  # fmt: skip
    incident = INCIDENT_CHANNELS[int(labels["incident"])]
    return mark, incident if critical else f"C0TEAM{i % TEAMS:03d}", json.dumps(body).encode()


# -- the processes ------------------------------------------------------------------------------------


def _settings_env(tmp: Path, redis_url: str, slack_url: str, twilio_url: str) -> dict[str, str]:
    policy = policy_without_rate_limits(tmp, {"alice": [f"phone:{PHONE}"]})
    incident = [
        {"name": f"critical-{n}", "match": {"severity": ["critical"], "labels": {"incident": str(n)}},
         "channels": [f"slack:{channel}"], "escalation": "page"} for n, channel in enumerate(INCIDENT_CHANNELS)
    ]  # fmt: skip
    teams = [{"name": f"team-{t:03d}", "match": {"labels": {"team": f"t{t:03d}"}},
              "channels": [f"slack:C0TEAM{t:03d}"]} for t in range(TEAMS)]  # fmt: skip
    alerting = {
        "timezone": "UTC",
        "routes": [*incident, *teams],
        # SMS after 10 s, a call after 20 s; the last step is far away, so nothing is posted again in the run.
        "escalations": {"page": {"steps": [{"notify": "channel"}, {"after": "10s", "notify": "sms"},
                                           {"after": "10s", "notify": "call"}, {"after": "1h", "notify": "sms"}]}},
        "schedules": {"primary": {"timezone": "UTC", "rotation": "daily", "handoff": "09:00", "start": "2026-01-05",
                                  "people": ["alice"]}},
    }  # fmt: skip
    path = tmp / "alerting.yaml"
    path.write_text(yaml.safe_dump(alerting, sort_keys=False), encoding="utf-8")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")},
        "OPSBOT_REDIS_URL": redis_url,
        "OPSBOT_DATA_DIR": str(tmp / "data"),
        "OPSBOT_POLICY": str(policy),
        "OPSBOT_ALERTING": str(path),
        "OPSBOT_ALERT_SOURCES": json.dumps({"alertmanager": {"token": TOKEN}}),
        "OPSBOT_SLACK_BOT_TOKEN": "xoxb-bench",
        "OPSBOT_SLACK_SIGNING_SECRET": "bench-signing-secret",
        "OPSBOT_SLACK_API_URL": slack_url,
        "OPSBOT_TWILIO_ACCOUNT_SID": TWILIO_SID,
        "OPSBOT_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "OPSBOT_TWILIO_FROM": "+15550109999",
        "OPSBOT_TWILIO_API_URL": twilio_url,
    }


class _Processes:
    """`opsbot serve --no-worker` and `opsbot worker`, as the systemd units run them: one that exits is started
    again RESTART_SECONDS later (keep_running). Their stderr goes to a log file each."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self._tmp = tmp
        self.port = free_port()
        self._env = {**env, "OPSBOT_HTTP_PORT": str(self.port), "OPSBOT_PUBLIC_URL": f"http://127.0.0.1:{self.port}"}
        self._commands = {"serve": ["serve", "--no-worker"], "worker": ["worker"]}
        self._running: dict[str, subprocess.Popen[bytes]] = {}
        self._exited: dict[str, float] = {}  # name -> when it was found exited
        self._lock = threading.Lock()
        self._watching = True
        self._watcher = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self.unplanned_exits = 0

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> _Processes:
        try:
            for name in self._commands:
                self._start(name)
            self.wait_ready()
        except BaseException:
            self._stop_all()
            raise
        self._watcher.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._watching = False
        self._watcher.join()
        self._stop_all()

    def _stop_all(self) -> None:
        for process in self._running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self._running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def kill_serve(self) -> None:
        """SIGKILL serve: it is started again like any exited process, RESTART_SECONDS later."""
        with self._lock:
            process = self._running["serve"]
            process.kill()
            process.wait()
            self._exited["serve"] = time.monotonic()

    def keep_running(self) -> None:
        with self._lock:
            for name, process in self._running.items():
                if name not in self._exited and process.poll() is not None:
                    self.unplanned_exits += 1
                    self._exited[name] = time.monotonic()
            for name, since in list(self._exited.items()):
                if time.monotonic() - since >= RESTART_SECONDS:
                    del self._exited[name]
                    self._start(name)

    def opsbot(self, *args: str) -> tuple[int, str]:
        """Exit code and output (stdout, then stderr) of an `opsbot` command with the same settings."""
        done = subprocess.run([*_OPSBOT, *args], env=self._env, capture_output=True, text=True, timeout=120,
                              check=False)  # fmt: skip
        return done.returncode, (done.stdout + done.stderr).strip()

    def crashes(self) -> dict[str, int]:
        """The last line of each traceback in the logs (what was raised) -> how often, by process."""
        found: dict[str, int] = {}
        for path in sorted(self._tmp.glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()
            for i, line in enumerate(lines):
                if line.startswith("Traceback"):
                    raised = next((x for x in lines[i + 1 :] if x and not x[0].isspace()), "?")
                    key = f"{path.stem}: {raised[:160]}"
                    found[key] = found.get(key, 0) + 1
        return found

    def _watch(self) -> None:
        while self._watching:
            self.keep_running()
            time.sleep(0.2)

    def _start(self, name: str) -> None:
        with (self._tmp / f"{name}.log").open("ab") as log:
            self._running[name] = subprocess.Popen([*_OPSBOT, *self._commands[name]], env=self._env, stderr=log,
                                                   stdout=subprocess.DEVNULL)  # fmt: skip

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base() + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("opsbot serve did not become ready; see its log")


_OPSBOT = [sys.executable, "-c", "from bot.cli import main; main()"]


class _RedisServer:
    """A private redis-server on a free port, its AOF on and RDB off, in its own directory."""

    def __init__(self, directory: Path, fsync: str) -> None:
        directory.mkdir()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "yes", "--appendfsync", fsync, "--dir", str(directory),
                         "--logfile", str(directory / "redis.log")]  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> _RedisServer:
        self._process = subprocess.Popen(self._command, stdout=subprocess.DEVNULL)
        connection = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 30
        while True:
            try:
                connection.ping()
                return self
            except redis.ConnectionError:  # not up yet, or still loading its AOF (BusyLoadingError)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def crash_and_restart(self) -> None:
        """SIGKILL (what the kernel's OOM killer does), down for REDIS_DOWN_SECONDS, then up again from its AOF."""
        assert self._process is not None
        self._process.kill()
        self._process.wait()
        time.sleep(REDIS_DOWN_SECONDS)
        self.start()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=30)
