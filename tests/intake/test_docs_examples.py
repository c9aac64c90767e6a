"""The generic-source examples in docs/alert-sources.md work as written: the shell blocks are taken from the
document, pointed at the intake app under uvicorn, and run with bash, openssl and curl."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from core.alert_config import AlertSourceAuth
from core.settings import Settings
from tests.intake.harness import RecordingIngest, Served

DOC = Path(__file__).resolve().parents[2] / "docs" / "alert-sources.md"
PUBLIC = "https://opsbot.example.com"
TOKEN = "docs-example-token-4c2"
SECRET = "docs-example-secret-9d7"


def _generic_examples() -> list[str]:
    section = DOC.read_text().split("## Generic", 1)[1]
    return [block for block in re.findall(r"```sh\n(.*?)```", section, re.S) if "/alerts/generic" in block]


def _run(script: str, url: str) -> subprocess.CompletedProcess[str]:
    for tool in ("bash", "curl", "openssl"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to run the documented examples", pytrace=False)
    env = {**os.environ, "OPSBOT_ALERT_TOKEN": TOKEN, "OPSBOT_ALERT_SECRET": SECRET}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(PUBLIC, url)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_documented_curl_and_openssl_examples_store_an_alert(redis_conn: redis.Redis) -> None:
    examples = _generic_examples()
    assert len(examples) == 2, "expected the token and the HMAC example"
    ingest = RecordingIngest()
    settings = Settings(
        alert_sources={"generic": AlertSourceAuth(token=SecretStr(TOKEN), hmac_secret=SecretStr(SECRET))}
    )
    with Served(settings, redis_conn, ingest) as server:
        for script in examples:
            done = _run(script, server.url)
            assert done.returncode == 0, done.stderr
            assert done.stdout == '{"stored":1,"updated":0}'
    assert [(a.summary, a.resource, a.severity.value) for a in ingest.alerts] == [
        ("Nightly backup failed", "orders-db", "critical")
    ] * 2
