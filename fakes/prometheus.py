"""A REAL Prometheus server, run as a subprocess: it scrapes the targets a test serves, evaluates the test's rule
file, and sends what fires to the Alertmanager a test runs (fakes.alertmanager), exactly as in production.

Not a fake: Debian's `prometheus` binary (2.42 here) with a generated prometheus.yml: one scrape job (`job`,
default "node") over the given host:port targets, the rule file, and one Alertmanager (API v2). It listens on
127.0.0.1:<free port>, keeps its TSDB in the test's tmp_path and logs to `prometheus.log` there.

Without rules and an Alertmanager it only scrapes and answers queries (a metrics source's tests); `history`
writes OpenMetrics samples into its TSDB with `promtool tsdb create-blocks-from openmetrics` before it starts.
Targets are applied about 5 s after the start (Prometheus's discovery manager updates on a fixed 5 s tick).

Timings: `scrape_interval` and `evaluation_interval` default to 200ms (Prometheus accepts sub-second
durations); a rule with `for: 0s` fires at the first evaluation that sees the series, and Prometheus sends a new
alert to Alertmanager at once (it re-sends a firing one every `--rules.alert.resend-delay`, 1m by default).
Start until `/-/ready` answers: well under a second here.

Starting (with a new port if the free one was taken before the bind), stopping and `log_tail()` are
fakes.daemon's, as for fakes.alertmanager: no process is left behind (stop() from the context manager, a
finalizer, and SIGTERM to the child if the thread that started it dies).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from fakes import daemon

BINARY_NAMES = ("prometheus",)
MISSING = "prometheus is not installed: apt-get install prometheus"


def find_binary() -> str:
    """The Prometheus executable on PATH, or a pytest failure naming the Debian package."""
    return daemon.find_binary(BINARY_NAMES, MISSING)


class Prometheus(daemon.Daemon):
    """A context manager: `with Prometheus(["127.0.0.1:9100"], rules, alertmanager=am.url, tmp_path=p) as prom:`.
    `rules` is the rule file's content as a mapping (`{"groups": [...]}`); without rules and an Alertmanager
    it only scrapes and answers queries."""

    name = "Prometheus"

    def __init__(
        self,
        targets: list[str],
        rules: dict[str, Any] | None = None,
        *,
        alertmanager: str | None = None,
        tmp_path: Path,
        job: str = "node",
        scrape_interval: str = "200ms",
        evaluation_interval: str = "200ms",
        honor_labels: bool = False,
        history: str | None = None,
    ) -> None:
        """Without `rules` or `alertmanager` it only scrapes (a metrics source's tests). `honor_labels`: the
        targets' own `instance`/`job` labels win (one exporter standing for many hosts). `history`: OpenMetrics
        text with timestamps, written into the TSDB with promtool before the start, so the server has the past
        a long-running one has (a rate over a minute is whole from the first query)."""
        binary = find_binary()
        self.dir = tmp_path / "prometheus"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.dir / "prometheus.yml"
        self.rules_file = self.dir / "rules.yml"
        self.history = history
        scrape: dict[str, Any] = {"job_name": job, "static_configs": [{"targets": targets}]}
        if honor_labels:
            scrape["honor_labels"] = True
        config: dict[str, Any] = {
            "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval},
            "scrape_configs": [scrape],
        }
        if rules is not None:
            self.rules_file.write_text(yaml.safe_dump(rules))
            config["rule_files"] = [str(self.rules_file)]
        if alertmanager is not None:
            am_host = alertmanager.split("://", 1)[-1].rstrip("/")
            config["alerting"] = {"alertmanagers": [{"api_version": "v2", "static_configs": [{"targets": [am_host]}]}]}
        self.config_file.write_text(yaml.safe_dump(config))
        super().__init__(binary, self.dir / "prometheus.log")

    def _starting(self) -> None:
        if self.history is None:
            return
        promtool = daemon.find_binary(("promtool",), MISSING)  # the same Debian package
        source = self.dir / "history.om"
        source.write_text(self.history)
        done = subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(source), str(self.dir / "data")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"promtool could not write the history: {done.stderr.strip()[-2000:]}")

    def _flags(self) -> list[str]:
        return [f"--config.file={self.config_file}", f"--storage.tsdb.path={self.dir / 'data'}"]
