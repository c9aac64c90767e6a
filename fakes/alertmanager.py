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

Starting (with a new port if the free one was taken before the bind), stopping and the log tail are
fakes.daemon's: no process is left behind, even when the test body raises or the object is dropped; start it
from the test's own thread, not from a short-lived helper thread (the child gets SIGTERM if that thread dies).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from fakes import daemon
from fakes.daemon import die_with_parent as die_with_parent
from fakes.daemon import free_port as free_port
from fakes.daemon import reap as reap

BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")
MISSING = "prometheus-alertmanager is not installed: apt-get install prometheus-alertmanager"

LabelKey = tuple[tuple[str, str], ...]


def find_binary() -> str:
    """The Alertmanager executable on PATH, or a pytest failure naming the Debian package."""
    return daemon.find_binary(BINARY_NAMES, MISSING)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Alertmanager(daemon.Daemon):
    """A context manager: `with Alertmanager(url, bearer_token=..., tmp_path=tmp_path) as am: am.fire({...})`."""

    name = "Alertmanager"

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
        binary = find_binary()
        self.dir = tmp_path / "alertmanager"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.dir / "alertmanager.yml"
        self.config_file.write_text(
            yaml.safe_dump(
                _config(webhook_url, bearer_token, group_wait, group_interval, repeat_interval, group_by or ["..."])
            )
        )
        super().__init__(binary, self.dir / "alertmanager.log")
        self._firing: dict[LabelKey, dict[str, Any]] = {}  # what fire() last sent, reused by resolve()
        self._http: httpx.Client | None = None

    def stop(self) -> None:
        """Terminate, wait, kill; safe to call twice."""
        super().stop()
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
        return self.log_tail(lines)

    def _post(self, alerts: list[dict[str, Any]]) -> None:
        if self._process is None or self._http is None:
            raise RuntimeError("Alertmanager is not running: use it as a context manager or call start()")
        response = self._http.post(f"{self.url}/api/v2/alerts", json=alerts)
        if response.status_code != 200:
            raise RuntimeError(f"Alertmanager refused the alert: {response.status_code} {_reason(response)}")

    def _flags(self) -> list[str]:
        return [f"--config.file={self.config_file}", f"--storage.path={self.dir / 'data'}", "--cluster.listen-address="]

    def _free_port(self) -> int:
        return free_port()  # this module's name, which a test patches to hand out a taken port

    def _starting(self) -> None:
        self._http = httpx.Client(timeout=10.0)

    def _ready_client(self) -> AbstractContextManager[httpx.Client]:
        assert self._http is not None
        return nullcontext(self._http)  # the client fire() uses, opened by start() and closed by stop()


def _reason(response: httpx.Response) -> str:
    """Alertmanager answers a refusal with a JSON string (or an object with a message); one line of it."""
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        body = body.get("message", body)
    return " ".join(str(body).split())


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
