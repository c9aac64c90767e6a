"""A REAL Prometheus server, run as a subprocess: it scrapes the targets a test serves, evaluates the test's rule
file, and sends what fires to the Alertmanager a test runs (fakes.alertmanager), exactly as in production.

Not a fake: Debian's `prometheus` binary (2.42 here) with a generated prometheus.yml: one scrape job (`job`,
default "node") over the given host:port targets, the rule file, and one Alertmanager (API v2). It listens on
127.0.0.1:<free port>, keeps its TSDB in the test's tmp_path and logs to `prometheus.log` there.

Timings: `scrape_interval` and `evaluation_interval` default to 200ms (Prometheus accepts sub-second
durations); a rule with `for: 0s` fires at the first evaluation that sees the series, and Prometheus sends a new
alert to Alertmanager at once (it re-sends a firing one every `--rules.alert.resend-delay`, 1m by default).
Start until `/-/ready` answers: well under a second here.

No process is left behind: the same reaping as fakes.alertmanager (stop() from the context manager, a finalizer,
and SIGTERM to the child if the thread that started it dies).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import yaml

from fakes.alertmanager import die_with_parent, free_port, reap

BINARY_NAMES = ("prometheus",)
MISSING = "prometheus is not installed: apt-get install prometheus"
READY_TIMEOUT = 20.0


def find_binary() -> str:
    """The Prometheus executable on PATH, or a pytest failure naming the Debian package."""
    import pytest  # here, not at the top: only tests run a real Prometheus, and the base install has no pytest

    found = next(filter(None, map(shutil.which, BINARY_NAMES)), None)
    if found is None:
        pytest.fail(MISSING, pytrace=False)
    return found


class Prometheus:
    """A context manager: `with Prometheus(["127.0.0.1:9100"], rules, alertmanager=am.url, tmp_path=p) as prom:`.
    `rules` is the rule file's content as a mapping (`{"groups": [...]}`)."""

    def __init__(
        self,
        targets: list[str],
        rules: dict[str, Any],
        *,
        alertmanager: str,
        tmp_path: Path,
        job: str = "node",
        scrape_interval: str = "200ms",
        evaluation_interval: str = "200ms",
    ) -> None:
        self.binary = find_binary()
        self.dir = tmp_path / "prometheus"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.dir / "prometheus.yml"
        self.rules_file = self.dir / "rules.yml"
        self.log_file = self.dir / "prometheus.log"
        self.rules_file.write_text(yaml.safe_dump(rules))
        am_host = alertmanager.split("://", 1)[-1].rstrip("/")
        config = {
            "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval},
            "rule_files": [str(self.rules_file)],
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}],
            "alerting": {"alertmanagers": [{"api_version": "v2", "static_configs": [{"targets": [am_host]}]}]},
        }
        self.config_file.write_text(yaml.safe_dump(config))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Self:
        """Start the binary and wait until `/-/ready` answers; on failure, nothing is left running."""
        if self._process is not None:
            raise RuntimeError("Prometheus already started")
        for _attempt in range(3):  # the free port can be taken between probing it and the bind
            self._spawn()
            try:
                self._wait_ready()
            except _PortTaken:
                self.stop()
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                continue
            except BaseException:
                self.stop()
                raise
            return self
        self.stop()
        raise RuntimeError(f"Prometheus found no free port:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate, wait, kill; safe to call twice."""
        process, self._process = self._process, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if process is not None:
            reap(process)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines Prometheus logged, for failure messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _spawn(self) -> None:
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={self.config_file}",
                    f"--storage.tsdb.path={self.dir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    f"--web.external-url={self.url}",
                    "--log.level=info",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=die_with_parent(),  # only a prctl call, resolved before the fork
            )
        self._finalizer = weakref.finalize(self, reap, self._process)

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        with httpx.Client(timeout=1.0) as http:
            while time.monotonic() < deadline:
                code = self._process.poll()
                if code is not None:
                    tail = self.log_tail()
                    if "address already in use" in tail:
                        raise _PortTaken
                    raise RuntimeError(f"Prometheus exited with code {code} before it was ready:\n{tail}")
                try:
                    if http.get(f"{self.url}/-/ready").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"Prometheus not ready after {READY_TIMEOUT:.0f} s at {self.url}:\n{self.log_tail()}")


class _PortTaken(Exception):
    pass
