"""A shell that only reads (status, find) never loads what it does not use: the cloud SDKs, the speech libraries,
the chat platforms' clients or the HTTP server. Each costs megabytes of memory and a share of the start-up, and
they are imported where a configured cloud, a voice note or `opsbot serve` needs them.

The real `opsbot shell` runs with the embedded defaults (in-memory Redis, the 10,000-resource simulated world);
PYTHONPROFILEIMPORTTIME makes Python name on stderr every module that process imports, threads included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

OPSBOT = str(Path(sys.executable).parent / "opsbot")

# Packages a read-only shell must not import. numpy is not here: the search index is built with it.
HEAVY = (
    "boto3", "botocore", "azure", "google.cloud", "google.auth", "google.api_core",  # cloud SDKs
    "vosk", "pocketsphinx", "av",  # speech and audio decoding
    "twilio", "slack_bolt", "slack_sdk", "telegram",  # chat and phone platforms
    "aiohttp", "uvicorn", "starlette",  # HTTP clients and server
    "pybreaker",  # the real clouds' circuit breakers (limits is loaded: the chat's own rate limits use it)
    "moto",  # a test double: shipped code never imports it
)  # fmt: skip


def _imported(stderr: str) -> set[str]:
    """Module names from the `import time: self | cumulative | name` lines."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_status_and_find_load_no_sdk_speech_or_server_library(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env.update({"OPSBOT_DATA_DIR": str(tmp_path / "data"), "PYTHONPROFILEIMPORTTIME": "1"})
    done = subprocess.run(
        [OPSBOT, "shell"], input="status\nfind web\n", capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All clouds:" in done.stdout  # status answered, from the simulated world
    assert "web-prod" in done.stdout  # and so did the search
    modules = _imported(done.stderr)
    assert {"bot.console", "actions.queries.search_index", "numpy"} <= modules  # the listing is complete
    assert _heavy(modules) == []
