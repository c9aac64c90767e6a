"""Secrets never reach the audit, a reply or a log line: by their shape (what a user may paste: an AWS secret
key, a Twilio auth token, a Redis URL's password) and by value (every secret of the settings), in the real
conversation core and with the real boto3 logging at DEBUG against a local moto server."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from core.alert_config import AlertSourceAuth
from core.log_redaction import QUIETED, TOKEN_LOGGERS, RedactingFilter, hide_in_logs, install_log_redaction
from core.redaction import MASK, redact_text, remember_secret, remember_settings_secrets
from core.settings import Settings
from tests.conversation.conftest import Say, runtime, say  # noqa: F401  (fixtures used through pytest)

AWS_KEY_ID = "AKIAZ7EXAMPLE4SECTEST"
AWS_TEMP_KEY_ID = "ASIAZ7EXAMPLE4SECTEST"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLE9Se"  # 40 characters, as AWS gives them
AWS_SESSION = "IQoJb3JpZ2luX2VjEXAMPLE/sessiontoken+with/Digits0123456789abcdefABCDEF=="
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_AUTH = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
REDIS_PASSWORD = "S3cret-redis-pw"


@pytest.mark.parametrize(
    ("pasted", "secret"),
    [
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
        (f"here is the key {AWS_SECRET} thanks", AWS_SECRET),
        (f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}", AWS_KEY_ID),
        (f"{TWILIO_SID} {TWILIO_AUTH}", TWILIO_AUTH),
        (f"basic auth {TWILIO_SID}:{TWILIO_AUTH}", TWILIO_AUTH),
        (f"the twilio token is {TWILIO_AUTH}", TWILIO_AUTH),
        (f"OPSBOT_TWILIO_AUTH_TOKEN={TWILIO_AUTH}", TWILIO_AUTH),
        (f"redis://:{REDIS_PASSWORD}@cache:6379/0", REDIS_PASSWORD),
        (f"rediss://default:{REDIS_PASSWORD}@cache.example.com:6380", REDIS_PASSWORD),
        ("redis://:p@ss-w0rd@cache:6379", "ss-w0rd"),  # an "@" inside the password: the whole of it goes
        ("password=hunter2hunter2", "hunter2hunter2"),
        ("Authorization: Basic QUMxMjM6c2VjcmV0c2VjcmV0", "QUMxMjM6c2VjcmV0c2VjcmV0"),
    ],
)
def test_credential_shapes_are_masked(pasted: str, secret: str) -> None:
    clean = redact_text(pasted)
    assert secret not in clean and MASK in clean


@pytest.mark.parametrize(
    "text",
    [
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",  # a git hash: 40 characters, no capitals
        "md5 0123456789abcdef0123456789abcdef",  # 32 hex without a Twilio SID or the word token
        "sha256:" + "ab" * 32,
        f"account {TWILIO_SID}",  # an account SID is a name, not a secret
        "i-0123456789abcdef0 arn:aws:sns:us-east-1:123456789012:alerts",
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/Prod",
        "password: expected a string",
        "redis://127.0.0.1:6379/0",
        "scale web-prod to 20 (job 1712345678:abc)",
        "projects/shop-prod/zones/europe-west1-b/instances/Web01Frontend2Canary",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_configured_secrets_are_masked_by_value_wherever_they_appear() -> None:
    settings = Settings(
        redis_url=SecretStr("redis://:Value-Redis-pw-77@cache:6379/0"),
        twilio_auth_token=SecretStr("value-twilio-auth-token-of-no-shape"),
        alert_sources={"generic": AlertSourceAuth(token=SecretStr("value-source-token-9f"))},
        slack_signing_secret=SecretStr("short"),  # under 8 characters: would mask ordinary words
    )
    remember_settings_secrets(settings)
    text = "failed: value-twilio-auth-token-of-no-shape / value-source-token-9f / Value-Redis-pw-77 short"
    assert redact_text(text) == f"failed: {MASK} / {MASK} / {MASK} short"
    assert redact_text("GET /x?t=value%2Dsource%2Dtoken%2D9f") == "GET /x?t=value%2Dsource%2Dtoken%2D9f"
    remember_secret("a/b c?d=e&more")  # percent-encoded as in a URL's query, too
    assert redact_text("q=a%2Fb%20c%3Fd%3De%26more and a/b c?d=e&more") == f"q={MASK} and {MASK}"


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        (f"status {AWS_SECRET}", AWS_SECRET, "status"),
        (f"status {TWILIO_SID} {TWILIO_AUTH}", TWILIO_AUTH, TWILIO_SID),  # the SID is a name: it stays readable
        (f"find redis://:{REDIS_PASSWORD}@cache:6379", REDIS_PASSWORD, "cache:6379"),
    ],
)  # fmt: skip
def test_a_pasted_secret_never_reaches_the_audit_or_the_reply(
    say: Say,  # noqa: F811
    settings: Settings,
    text: str,
    secret: str,
    kept: str,
) -> None:
    for reply in say(text):
        assert secret not in reply.text
    audit = (settings.data_dir / "audit.jsonl").read_text(encoding="utf-8")
    assert MASK in audit and kept in audit
    assert secret not in audit


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged, at DEBUG, as a handler that prints it would write it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    levels = {name: logging.getLogger(name).level for name in QUIETED}
    yield out
    root.removeHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def _describe(endpoint: str) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=AWS_TEMP_KEY_ID,
                       aws_secret_access_key=AWS_SECRET, aws_session_token=AWS_SESSION)  # fmt: skip
    ec2.describe_instances()


def test_boto3_at_debug_prints_no_key_id_session_token_or_secret(moto_endpoint: str, debug_log: io.StringIO) -> None:
    install_log_redaction()
    _describe(moto_endpoint)
    logged = debug_log.getvalue()
    assert "botocore" in logged  # it did log, at DEBUG
    for secret in (AWS_TEMP_KEY_ID, AWS_SECRET, AWS_SESSION):
        assert secret not in logged

    # Even with the request logger let through, the filter masks what it prints.
    logging.getLogger("botocore.endpoint").setLevel(logging.DEBUG)
    _describe(moto_endpoint)
    logged = debug_log.getvalue()
    assert "Credential=[redacted]" in logged and "X-Amz-Security-Token': b'[redacted]" in logged
    for secret in (AWS_TEMP_KEY_ID, AWS_SECRET, AWS_SESSION):
        assert secret not in logged


def test_a_configured_secret_in_an_exception_is_masked_in_the_log(debug_log: io.StringIO) -> None:
    install_log_redaction()
    remember_secret("cfg-Secret-in-a-traceback")
    log = logging.getLogger("opsbot.test.redaction")
    try:
        raise ConnectionError("login refused for cfg-Secret-in-a-traceback at redis://:pw-in-url-1@cache:6379")
    except ConnectionError:
        log.exception("could not connect with %s", "cfg-Secret-in-a-traceback")
    logged = debug_log.getvalue()
    assert "cfg-Secret-in-a-traceback" not in logged and "pw-in-url-1" not in logged
    assert "ConnectionError: login refused for [redacted] at redis://:[redacted]@cache:6379" in logged
    assert "could not connect with [redacted]" in logged


def test_the_filter_alone_cleans_a_record_made_elsewhere() -> None:
    record = logging.makeLogRecord({"msg": "token %s", "args": (f"xoxb-1-{'a' * 20}",), "levelno": logging.INFO})
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "token [redacted]"


def test_the_secrets_a_chat_adapter_hides_are_masked_by_its_libraries_loggers_alone() -> None:
    hide_in_logs("webhook-Secret-of-no-known-shape", "")
    for name in TOKEN_LOGGERS:
        # Made directly, not through the record factory that install_log_redaction may have set.
        record = logging.LogRecord(
            name, logging.DEBUG, __file__, 1, "setWebhook %s", ("webhook-Secret-of-no-known-shape",), None
        )
        assert logging.getLogger(name).filter(record)
        assert record.getMessage() == f"setWebhook {MASK}"


def test_cloud_secrets_from_the_environment_are_masked_by_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-session-token-of-no-known-shape")
    remember_settings_secrets(Settings())
    assert redact_text("token env-session-token-of-no-known-shape expired") == f"token {MASK} expired"


def test_a_log_line_cannot_drive_the_terminal_or_turn_a_name_around(debug_log: io.StringIO) -> None:
    install_log_redaction()
    logging.getLogger("opsbot.test.redaction").warning("alert from %s", "db\x1b[2J\x07\u202e1-prod")
    assert "WARNING opsbot.test.redaction: alert from db[2J1-prod\n" in debug_log.getvalue()
