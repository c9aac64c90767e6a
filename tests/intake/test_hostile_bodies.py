"""Hostile bodies to the alert webhooks: the token (or HMAC) is checked before the body is parsed, a body that
parses badly or nests 100,000 deep is a one-line 400 (never a RecursionError 500), an oversized one a 413, and
nothing of it reaches the log as a traceback. SNS carries its signature inside the body, so its envelope is
parsed first - by the same careful reader."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import pytest
import redis
from pydantic import SecretStr

from bot.http import MAX_BODY_BYTES
from core.alert_config import AlertSourceAuth
from core.settings import Settings
from tests.intake.harness import RecordingIngest, client, intake_app

TOKEN = "hostile-token-Q93"
SECRET = "hostile-hmac-secret"
SOURCES = ["alertmanager", "azure", "gcp", "generic"]
NESTED = [
    b"[" * 100_000,
    b'{"alerts": [{"labels": {"x": ' + b"[" * 100_000 + b"}]}",
    b'{"alerts": [{"labels": {"x": ' + b"[" * 900 + b"]" * 900 + b"}}]}",  # parses at the top of a stack, maybe
    b'{"data": {"essentials": ' + b"{" * 50_000,
]


def _settings() -> Settings:
    sources = {name: AlertSourceAuth(token=SecretStr(TOKEN)) for name in SOURCES}
    sources["generic"] = AlertSourceAuth(hmac_secret=SecretStr(SECRET))
    return Settings(alert_sources=sources, sns_topics=["arn:aws:sns:eu-west-1:123456789012:opsbot-alerts"])


def _credentials(source: str, body: bytes) -> dict[str, str]:
    if source != "generic":
        return {"Authorization": f"Bearer {TOKEN}"}
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Opsbot-Timestamp": stamp, "X-Opsbot-Signature": f"sha256={digest}"}


def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert all("[[[" not in r.getMessage() and "{{{" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("body", NESTED, ids=["arrays", "in-a-label", "deep-label", "objects"])
def test_nested_bodies_are_401_without_credentials_and_400_with_them(
    redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture, source: str, body: bytes
) -> None:
    ingest = RecordingIngest()
    post = client(intake_app(_settings(), redis_conn, ingest)).post
    caplog.set_level(logging.INFO)
    unsigned = post(f"/alerts/{source}", content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    answer = post(f"/alerts/{source}", content=body, headers=_credentials(source, body))
    assert answer.status_code == 400 and "\n" not in answer.text and len(answer.text) < 200
    assert ingest.alerts == []
    _quiet(caplog)


@pytest.mark.parametrize("body", NESTED, ids=["arrays", "in-a-label", "deep-label", "objects"])
def test_nested_bodies_to_sns_are_a_one_line_400(redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture,
                                                 body: bytes) -> None:  # fmt: skip
    caplog.set_level(logging.INFO)
    answer = client(intake_app(_settings(), redis_conn, RecordingIngest())).post("/alerts/sns", content=body)
    assert answer.status_code == 400 and "\n" not in answer.text
    _quiet(caplog)


@pytest.mark.parametrize("source", [*SOURCES, "sns"])
def test_an_oversized_body_is_413_before_it_is_read(redis_conn: redis.Redis, source: str) -> None:
    body = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    post = client(intake_app(_settings(), redis_conn, RecordingIngest())).post
    answer = post(f"/alerts/{source}", content=body, headers=_credentials(source, body))
    assert answer.status_code == 413 and "\n" not in answer.text
