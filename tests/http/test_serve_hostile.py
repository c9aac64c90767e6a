"""The installed `opsbot serve`, every webhook mounted (Slack over HTTP, Telegram webhook, Twilio, alert intake), fed
hostile bodies: without credentials each is refused before it is parsed, with them malformed or 100,000-deep JSON
is a one-line 400 and an oversized body a 413; the process's stderr holds no traceback and no piece of a body."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import httpx
import redis
from twilio.request_validator import RequestValidator

from bot.http import MAX_BODY_BYTES
from fakes.daemon import free_port
from fakes.slack_api import FakeSlackApi
from fakes.telegram_api import FakeTelegramAPI
from tests.serve_process import OpsbotServe, stop

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TELEGRAM_TOKEN = "7000000002:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM_SECRET = "hook-secret-123"
TWILIO_ACCOUNT = "AC" + "b" * 32
TWILIO_TOKEN = "twilio-auth-token-0123456789abcdef"
ALERT_TOKEN = "alert-token-Zx81"
DEEP = b"[" * 100_000
BROKEN = b'{"type": "event_callback", "event": '
PIECE = "[[[[[[[[[["  # what a logged body would show


def _slack_headers(body: bytes, content_type: str = "application/json") -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SLACK_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


def test_every_webhook_of_opsbot_serve_refuses_hostile_bodies_in_one_line(
    redis_url: str, redis_conn: redis.Redis, tmp_path: Path, opsbot_serve: OpsbotServe, fake_slack: FakeSlackApi
) -> None:
    port = free_port()  # OPSBOT_PUBLIC_URL names it: the Twilio signature covers the public URL
    public = f"http://127.0.0.1:{port}"
    settings = {
        "OPSBOT_REDIS_URL": redis_url, "OPSBOT_PUBLIC_URL": public,
        "OPSBOT_DATA_DIR": str(tmp_path / "data"), "OPSBOT_SIM_RESOURCES": "200", "OPSBOT_LOG_LEVEL": "INFO",
        "OPSBOT_SLACK_BOT_TOKEN": "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "OPSBOT_SLACK_SIGNING_SECRET": SLACK_SECRET, "OPSBOT_SLACK_API_URL": fake_slack.url,
        "OPSBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "OPSBOT_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "OPSBOT_TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT, "OPSBOT_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "OPSBOT_TWILIO_FROM": "+15005550006", "OPSBOT_TWILIO_API_URL": "http://127.0.0.1:9/",
        "OPSBOT_ALERT_SOURCES": json.dumps({"generic": {"token": ALERT_TOKEN}}),
        "OPSBOT_SNS_TOPICS": json.dumps(["arn:aws:sns:eu-west-1:123456789012:opsbot-alerts"]),
    }  # fmt: skip
    with FakeTelegramAPI(TELEGRAM_TOKEN) as telegram:
        running = opsbot_serve.start(settings | {"OPSBOT_TELEGRAM_API_URL": telegram.url}, "--no-worker", port=port)
        with httpx.Client(base_url=public, timeout=10) as client:
            _drive(client, public)
        err = stop(running.process)
    assert running.process.returncode == 0, err
    assert "Traceback" not in err and "RecursionError" not in err and PIECE not in err, err[-2000:]


def _drive(client: httpx.Client, public: str) -> None:
    json_type = {"Content-Type": "application/json"}
    huge = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    # Slack: the signature first, then the body.
    for body in (DEEP, BROKEN):
        assert client.post("/slack/events", content=body, headers=json_type).status_code == 401
        answer = client.post("/slack/events", content=body, headers=_slack_headers(body))
        assert answer.status_code == 400 and list(answer.json()) == ["error"]
    form = b"payload=" + b"%5B" * 50_000
    form_type = "application/x-www-form-urlencoded"
    assert client.post("/slack/events", content=form, headers=_slack_headers(form, form_type)).status_code == 400
    assert client.post("/slack/events", content=huge, headers=_slack_headers(huge)).status_code == 413
    # Telegram: the secret token first.
    secret = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, **json_type}
    for body in (DEEP, BROKEN):
        assert client.post("/telegram/webhook", content=body, headers=json_type).status_code == 401
        answer = client.post("/telegram/webhook", content=body, headers=secret)
        assert (answer.status_code, answer.text) == (400, "not a Telegram update")
    assert client.post("/telegram/webhook", content=huge, headers=secret).status_code == 413
    # Twilio: the signature first.
    sms = b"Body=%FF&From=%2B15005550001&MessageSid=SM1&AccountSid=" + TWILIO_ACCOUNT.encode()
    sms_type = {"Content-Type": form_type}
    assert client.post("/twilio/sms", content=sms, headers=sms_type).status_code == 403
    signed = RequestValidator(TWILIO_TOKEN).compute_signature(
        public + "/twilio/sms",
        {"Body": "\ufffd", "From": "+15005550001", "MessageSid": "SM1", "AccountSid": TWILIO_ACCOUNT},
    )
    answer = client.post("/twilio/sms", content=sms, headers={**sms_type, "X-Twilio-Signature": signed})
    assert (answer.status_code, answer.text) == (400, "malformed form body")
    # Alert intake: the token first; SNS's signature is inside its body, read by the same careful parser.
    bearer = {"Authorization": f"Bearer {ALERT_TOKEN}", **json_type}
    for body in (DEEP, BROKEN):
        assert client.post("/alerts/generic", content=body, headers=json_type).status_code == 401
        assert client.post("/alerts/generic", content=body, headers=bearer).status_code == 400
        assert client.post("/alerts/sns", content=body, headers=json_type).status_code == 400
    assert client.post("/alerts/generic", content=huge, headers=bearer).status_code == 413
    assert client.get("/healthz").text == "ok"  # and the process is still serving
