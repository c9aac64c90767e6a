"""Who may post to /alerts/{source}: the source's token as a bearer token, a basic-auth password or ?token=,
or an HMAC signature over timestamp + body that is fresh and used once. Every refusal is a 401 with one line
that never repeats what was presented."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
import redis
from pydantic import SecretStr

from bot.intake.auth import ReplayGuard, Unauthorized, check
from core.alert_config import AlertSourceAuth
from core.settings import Settings
from tests.intake.harness import Post, RecordingIngest

TOKEN = "am-token-7Q2x9"
SECRET = "generic-hmac-secret-K3p"
BODY = json.dumps({"status": "firing", "severity": "critical", "summary": "Checkout 5xx above 5%"}).encode()
AM_BODY = json.dumps({"alerts": [{"status": "firing", "labels": {"alertname": "Down"}, "fingerprint": "f1"}]}).encode()


def _settings() -> Settings:
    return Settings(
        alert_sources={
            "alertmanager": AlertSourceAuth(token=SecretStr(TOKEN)),
            "generic": AlertSourceAuth(hmac_secret=SecretStr(SECRET)),
            "gcp": AlertSourceAuth(token=SecretStr(TOKEN), hmac_secret=SecretStr(SECRET)),
        }
    )


def _signature(body: bytes, stamp: int | str, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()


def _signed(body: bytes, stamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if stamp is None else stamp
    return {"X-Opsbot-Timestamp": str(stamp), "X-Opsbot-Signature": _signature(body, stamp)}


@pytest.fixture
def intake_settings() -> Settings:
    return _settings()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/alerts/alertmanager", {"Authorization": f"Bearer {TOKEN}"}),
        ("/alerts/alertmanager", {"Authorization": f"bearer {TOKEN}"}),
        ("/alerts/alertmanager", {"Authorization": _basic("alertmanager", TOKEN)}),
        ("/alerts/alertmanager", {"Authorization": _basic("", TOKEN)}),
        (f"/alerts/alertmanager?token={TOKEN}", {}),
    ],
)
def test_the_token_is_accepted_three_ways(
    post: Post, ingest: RecordingIngest, path: str, headers: dict[str, str]
) -> None:
    answer = post(path, content=AM_BODY, headers=headers)
    assert (answer.status_code, answer.json()) == (200, {"stored": 1, "updated": 0})
    assert [alert.fingerprint for alert in ingest.alerts] == ["f1"]


@pytest.mark.parametrize(
    ("path", "headers", "reason"),
    [
        ("/alerts/alertmanager", {}, "missing token: send Authorization: Bearer <token>"),
        ("/alerts/alertmanager", {"Authorization": "Bearer wrong-token"}, "wrong token"),
        ("/alerts/alertmanager", {"Authorization": f"Bearer {TOKEN}x"}, "wrong token"),
        ("/alerts/alertmanager", {"Authorization": "Bearer "}, "wrong token"),
        ("/alerts/alertmanager", {"Authorization": _basic(TOKEN, "nope")}, "wrong token"),
        ("/alerts/alertmanager", {"Authorization": "Basic !!!not-base64"}, "wrong token"),
        ("/alerts/alertmanager", {"Authorization": f"Token {TOKEN}"}, "wrong token"),
        ("/alerts/alertmanager?token=nope", {}, "wrong token"),
        ("/alerts/alertmanager?token=%C3%A9t%C3%A9", {}, "wrong token"),
        ("/alerts/alertmanager", {"X-Opsbot-Timestamp": "1", "X-Opsbot-Signature": "sha256=00"},
         "missing token: send Authorization: Bearer <token>"),
    ],
)  # fmt: skip
def test_a_wrong_or_missing_token_is_401(
    post: Post, ingest: RecordingIngest, path: str, headers: dict[str, str], reason: str
) -> None:
    answer = post(path, content=AM_BODY, headers=headers)
    assert (answer.status_code, answer.text) == (401, reason)
    assert TOKEN not in answer.text and ingest.batches == []


def test_an_hmac_signed_body_is_accepted(post: Post, ingest: RecordingIngest) -> None:
    answer = post("/alerts/generic", content=BODY, headers=_signed(BODY))
    assert (answer.status_code, answer.json()) == (200, {"stored": 1, "updated": 0})
    assert ingest.alerts[0].summary == "Checkout 5xx above 5%"


def test_hex_case_does_not_matter_but_each_signature_is_used_once(post: Post, ingest: RecordingIngest) -> None:
    headers = _signed(BODY)
    upper = {**headers, "X-Opsbot-Signature": "sha256=" + headers["X-Opsbot-Signature"][7:].upper()}
    assert post("/alerts/generic", content=BODY, headers=upper).status_code == 200
    again = post("/alerts/generic", content=BODY, headers=headers)
    assert (again.status_code, again.text) == (401, "replayed request")
    assert len(ingest.batches) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"X-Opsbot-Timestamp": "now-301"}, "stale timestamp: more than 300 s from now"),
        ({"X-Opsbot-Timestamp": "now+400"}, "stale timestamp: more than 300 s from now"),
        ({"X-Opsbot-Timestamp": "soon"}, "X-Opsbot-Timestamp must be unix seconds"),
        ({"X-Opsbot-Timestamp": "１２３"}, "X-Opsbot-Timestamp must be unix seconds"),
        ({"X-Opsbot-Signature": "sha256=not-hex"}, "X-Opsbot-Signature is not hex"),
        ({"X-Opsbot-Signature": "md5=abcd"}, "X-Opsbot-Signature must be sha256=<hex>"),
        ({"X-Opsbot-Signature": "sha256=" + "00" * 32}, "bad signature"),
        ({"X-Opsbot-Signature": ""}, "X-Opsbot-Signature must be sha256=<hex>"),
    ],
)
def test_bad_signatures_are_401(post: Post, ingest: RecordingIngest, change: dict[str, str], reason: str) -> None:
    # Times are taken when the test runs, not when it is collected (minutes earlier in a whole run).
    offsets = {"now-301": -301, "now+400": 400}
    change = {k: str(int(time.time()) + offsets[v]) if v in offsets else v for k, v in change.items()}
    headers = {key: value.encode() for key, value in {**_signed(BODY), **change}.items()}  # UTF-8 on the wire
    answer = post("/alerts/generic", content=BODY, headers=headers)
    assert (answer.status_code, answer.text) == (401, reason)
    assert ingest.batches == []


def test_a_stale_timestamp_cannot_be_rescued_by_re_signing_with_another_secret(post: Post) -> None:
    stamp = int(time.time())
    headers = {"X-Opsbot-Timestamp": str(stamp), "X-Opsbot-Signature": _signature(BODY, stamp, "guessed")}
    assert (post("/alerts/generic", content=BODY, headers=headers).text) == "bad signature"


def test_the_signature_covers_the_body(post: Post) -> None:
    answer = post("/alerts/generic", content=BODY.replace(b"5%", b"9%"), headers=_signed(BODY))
    assert (answer.status_code, answer.text) == (401, "bad signature")


def test_a_signed_source_without_signature_says_what_to_send(post: Post) -> None:
    answer = post("/alerts/generic", content=BODY, headers={"Authorization": f"Bearer {SECRET}"})
    assert (answer.status_code, answer.text) == (
        401,
        "missing signature: send X-Opsbot-Timestamp and X-Opsbot-Signature",
    )


def test_with_both_configured_either_is_accepted(post: Post, ingest: RecordingIngest) -> None:
    body = json.dumps(
        {"version": "1.2", "incident": {"incident_id": "0.a", "state": "open", "summary": "CPU high"}}
    ).encode()
    assert post("/alerts/gcp", content=body, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert post("/alerts/gcp", content=body, headers=_signed(body)).status_code == 200
    neither = post("/alerts/gcp", content=body)
    assert (neither.status_code, neither.text) == (
        401,
        "missing credentials: send a bearer token or X-Opsbot-Signature",
    )
    assert len(ingest.batches) == 2


def test_check_directly_with_plain_header_names(redis_conn: redis.Redis) -> None:
    auth = AlertSourceAuth(hmac_secret=SecretStr(SECRET))
    now = time.time()
    headers = {"x-opsbot-timestamp": str(int(now)), "X-OPSBOT-SIGNATURE": _signature(BODY, int(now))}
    check(auth, headers, {}, BODY, now, ReplayGuard(redis_conn))
    with pytest.raises(Unauthorized, match="replayed request"):
        check(auth, headers, {}, BODY, now, ReplayGuard(redis_conn))


def test_replay_guard_keys_expire_and_can_be_forgotten(redis_conn: redis.Redis) -> None:
    guard = ReplayGuard(redis_conn)
    assert guard.first_time("abc") and not guard.first_time("abc")
    (key,) = redis_conn.keys("opsbot:intake:seen:*")
    assert 590 < redis_conn.ttl(key) <= 600
    guard.forget("abc")
    assert guard.first_time("abc", ttl_seconds=3600)
    assert 3590 < redis_conn.ttl(key) <= 3600


def test_an_empty_configured_token_matches_nothing(redis_conn: redis.Redis) -> None:
    auth = AlertSourceAuth(token=SecretStr(""))
    with pytest.raises(Unauthorized, match="wrong token"):
        check(auth, {"Authorization": "Bearer "}, {"token": ""}, b"", time.time(), ReplayGuard(redis_conn))


def test_a_signed_request_that_could_not_be_stored_can_be_retried_as_is(post: Post, ingest: RecordingIngest) -> None:
    headers = _signed(BODY)
    ingest.error = redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    assert post("/alerts/generic", content=BODY, headers=headers).status_code == 503
    ingest.error = None
    assert post("/alerts/generic", content=BODY, headers=headers).json() == {"stored": 1, "updated": 0}
    assert post("/alerts/generic", content=BODY, headers=headers).text == "replayed request"
