"""The installed `opsbot serve` in a process of its own, for the tests that run the command end to end.

`OpsbotServe.start(settings)` runs it on a free 127.0.0.1 port with the test's environment (the root conftest has
already taken the developer's OPSBOT_* settings out) plus `settings`, and returns once /readyz answers - or fails
with what the process wrote to stderr if it exits first. `stop(process)` is what an operator does: SIGTERM, and
SIGKILL only if it has not stopped after `grace` seconds. The `opsbot_serve` fixture stops, at the end of the
test, whatever it started that is still running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.daemon import free_port
from tests.eventually import eventually
from tests.slack.conftest import BOT_TOKEN, SECRET

OPSBOT = str(Path(sys.executable).parent / "opsbot")
START_SECONDS = 60.0  # a bound for a broken build: a passing start never waits for it


def slack_environment(tmp_path: Path, redis_url: str, slack_url: str, policy: Path) -> dict[str, str]:
    """The settings an `opsbot serve` on the Slack fake needs: Redis, a data directory, Slack, the policy."""
    return {
        "OPSBOT_REDIS_URL": redis_url, "OPSBOT_DATA_DIR": str(tmp_path / "data"), "OPSBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
        "OPSBOT_SLACK_SIGNING_SECRET": SECRET, "OPSBOT_SLACK_API_URL": slack_url, "OPSBOT_POLICY": str(policy),
        "OPSBOT_SIM_RESOURCES": "200",
    }  # fmt: skip


def ready(url: str) -> bool:
    """Whether `url`/readyz answers 200; not listening yet is not ready."""
    try:
        return httpx.get(url + "/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_ready(process: subprocess.Popen[Any], url: str) -> None:
    """Until `process` answers ready at `url`; fails with its stderr (when piped) if it exits first."""
    eventually(lambda: process.poll() is not None or ready(url), START_SECONDS, f"{url}/readyz answering")
    assert process.poll() is None, process.communicate()[1]


def stop(process: subprocess.Popen[Any], grace: float = 30.0) -> Any:
    """SIGTERM, then SIGKILL if it is still running after `grace` s; returns its stderr when piped, else None."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=grace)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[1]


@dataclass(frozen=True)
class Running:
    process: subprocess.Popen[str]
    url: str  # http://127.0.0.1:<port>


class OpsbotServe:
    """Starts `opsbot serve` processes for one test; `stop_all()` stops those still running."""

    def __init__(self) -> None:
        self.started: list[Running] = []

    def start(self, settings: dict[str, str], *args: str, port: int | None = None) -> Running:
        """`opsbot serve *args` with `settings` added to the environment, on `port` (a free one by default), ready;
        stdout is dropped, stderr piped."""
        port = port or free_port()
        env = {**os.environ, **settings, "OPSBOT_HTTP_PORT": str(port)}
        process = subprocess.Popen(
            [OPSBOT, "serve", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        running = Running(process, f"http://127.0.0.1:{port}")
        self.started.append(running)
        wait_ready(process, running.url)
        return running

    def stop_all(self) -> None:
        for running in self.started:
            if running.process.poll() is None:
                stop(running.process)


@pytest.fixture
def opsbot_serve() -> Iterator[OpsbotServe]:
    processes = OpsbotServe()
    yield processes
    processes.stop_all()
