"""A REAL Prometheus Alertmanager, run as a subprocess, that sends its webhooks to the URL a test gives.

Not a fake: Debian's `prometheus-alertmanager` binary (0.25.0 here; the upstream `alertmanager` name is found
too) with a generated alertmanager.yml: one route to one webhook receiver, `send_resolved: true` and, when a
token is given, `http_config.authorization` Bearer. It listens on 127.0.0.1:<free port> with gossip off
(`--cluster.listen-address=`), keeps its state in the test's tmp_path, and logs to `alertmanager.log` there.
`fire()` / `resolve()` post to `/api/v2/alerts` as Prometheus does (same startsAt, labels, annotations and
generatorURL on the resolve, with endsAt = now).

Timings, as the 0.25 binary checks and runs them:
- `group_wait: 0s` is accepted and sends the first notification of a new group at once.
- `group_interval` must be above zero ("group_interval cannot be zero"; `1ms` is accepted). A resolve, or a new
  alert joining an existing group, goes out on the group's next tick, one group_interval after its last flush.
  Unchanged alerts are not re-sent on a tick (the notification log dedupes them) until repeat_interval.
  10ms gives fast resolves cheaply; 1ms costs ~16% of a core with 10 live groups.
- `repeat_interval` must be above zero; 1h keeps repeats out of a test.
- Gossip off matters for speed too: in a cluster each peer waits its position x `--cluster.peer-timeout`.
- `group_by: ['...']` (the default here) groups by all labels: one alert per group, one webhook per alert.
- A receiver's 4xx is not retried within a flush but is re-sent on every tick (it never reached the
  notification log); a 5xx is retried with backoff (~0.7 s) as well.

Measured here (2 cores, 20 alerts, fire then resolve at once, receiver answers 200): fire() -> webhook received
p50 2 ms, max 5 ms; resolve() -> webhook received p50 1.0 s, max 1.0 s with group_interval 1s (the default),
p50 10 ms, max 12 ms with 10ms. Start until `/-/ready` answers: ~0.1 s. `externalURL` in bodies is `url`.

No process is left behind: stop() (run by the context manager, even when the test body raises) terminates,
waits, then kills; a finalizer does the same if the object is dropped or the interpreter exits, and on Linux
the child gets SIGTERM if the thread that started it dies (so start it from the test's own thread, not from a
short-lived helper thread).
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import yaml

BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")
MISSING = "prometheus-alertmanager is not installed: apt-get install prometheus-alertmanager"
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
_PR_SET_PDEATHSIG = 1

LabelKey = tuple[tuple[str, str], ...]


def find_binary() -> str:
    """The Alertmanager executable on PATH, or a pytest failure naming the Debian package."""
    import pytest  # here, not at the top: only tests run a real Alertmanager, and the base install has no pytest

    found = next(filter(None, map(shutil.which, BINARY_NAMES)), None)
    if found is None:
        pytest.fail(MISSING, pytrace=False)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGTERM the child when its parent thread dies (pytest killed hard)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork: the child only calls into C

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return preexec


def reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Alertmanager:
    """A context manager: `with Alertmanager(url, bearer_token=..., tmp_path=tmp_path) as am: am.fire({...})`."""

    def __init__(
        self,
        webhook_url: str,
        *,
        bearer_token: str | None,
        tmp_path: Path,
        group_wait: str = "0s",
        group_interval: str = "1s",
        repeat_interval: str = "1h",
        group_by: list[str] | None = None,
    ) -> None:
        self.binary = find_binary()
        self.dir = tmp_path / "alertmanager"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.dir / "alertmanager.yml"
        self.log_file = self.dir / "alertmanager.log"
        self.config_file.write_text(
            yaml.safe_dump(
                _config(webhook_url, bearer_token, group_wait, group_interval, repeat_interval, group_by or ["..."])
            )
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._firing: dict[LabelKey, dict[str, Any]] = {}  # what fire() last sent, reused by resolve()
        self._http: httpx.Client | None = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> Self:
        """Start the binary and wait until `/-/ready` answers; on failure, nothing is left running."""
        if self._process is not None:
            raise RuntimeError("Alertmanager already started")
        self._http = httpx.Client(timeout=10.0)
        for _attempt in range(3):  # the free port can be taken between probing it and the bind
            self._spawn()
            try:
                self._wait_ready()
            except _PortTaken:
                self._stop_process()
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                continue
            except BaseException:
                self.stop()
                raise
            return self
        self.stop()
        raise RuntimeError(f"Alertmanager found no free port:\n{self.stderr_tail()}")

    def stop(self) -> None:
        """Terminate, wait, kill; safe to call twice."""
        self._stop_process()
        if self._http is not None:
            self._http.close()
            self._http = None

    def fire(
        self, labels: dict[str, str], annotations: dict[str, str] | None = None, generator_url: str | None = None
    ) -> None:
        """Post a firing alert (no endsAt). Firing the same labels again keeps the first startsAt, as Prometheus."""
        key = tuple(sorted(labels.items()))
        previous = self._firing.get(key)
        alert: dict[str, Any] = {
            "labels": labels,
            "annotations": annotations or {},
            "startsAt": previous["startsAt"] if previous else _now(),
        }
        if generator_url is not None:
            alert["generatorURL"] = generator_url
        self._post([alert])
        self._firing[key] = alert

    def resolve(self, labels: dict[str, str]) -> None:
        """Post the same alert with endsAt = now; Alertmanager sends it as resolved on the group's next tick."""
        fired = self._firing.pop(tuple(sorted(labels.items())), {"labels": labels})
        self._post([{**fired, "endsAt": _now()}])

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines Alertmanager logged (it logs to stderr), for failure messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _post(self, alerts: list[dict[str, Any]]) -> None:
        if self._process is None or self._http is None:
            raise RuntimeError("Alertmanager is not running: use it as a context manager or call start()")
        response = self._http.post(f"{self.url}/api/v2/alerts", json=alerts)
        if response.status_code != 200:
            raise RuntimeError(f"Alertmanager refused the alert: {response.status_code} {_reason(response)}")

    def _spawn(self) -> None:
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={self.config_file}",
                    f"--storage.path={self.dir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    f"--web.external-url={self.url}",
                    "--cluster.listen-address=",
                    "--log.level=info",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=die_with_parent(),  # only a prctl call, resolved before the fork
            )
        self._finalizer = weakref.finalize(self, reap, self._process)

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if process is not None:
            reap(process)

    def _wait_ready(self) -> None:
        assert self._process is not None and self._http is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                tail = self.stderr_tail()
                if "address already in use" in tail:
                    raise _PortTaken
                raise RuntimeError(f"Alertmanager exited with code {code} before it was ready:\n{tail}")
            try:
                if self._http.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"Alertmanager not ready after {READY_TIMEOUT:.0f} s at {self.url}:\n{self.stderr_tail()}")


def _reason(response: httpx.Response) -> str:
    """Alertmanager answers a refusal with a JSON string (or an object with a message); one line of it."""
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        body = body.get("message", body)
    return " ".join(str(body).split())


class _PortTaken(Exception):
    pass


def _config(
    webhook_url: str,
    bearer_token: str | None,
    group_wait: str,
    group_interval: str,
    repeat_interval: str,
    group_by: list[str],
) -> dict[str, Any]:
    webhook: dict[str, Any] = {"url": webhook_url, "send_resolved": True}
    if bearer_token is not None:
        webhook["http_config"] = {"authorization": {"type": "Bearer", "credentials": bearer_token}}
    return {
        "route": {
            "receiver": "opsbot",
            "group_by": group_by,
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": repeat_interval,
        },
        "receivers": [{"name": "opsbot", "webhook_configs": [webhook]}],
    }
