"""POST /alerts/sns: SNS's real signed messages verify with SNS's certificate, anything altered or pointing
elsewhere is refused; subscriptions are confirmed by visiting SubscribeURL; each Notification is stored once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from cryptography.hazmat.primitives.asymmetric import rsa

from alerts.model import Severity
from alerts.sources.sns import parse_envelope
from bot.intake.auth import Unauthorized
from bot.intake.sns_verify import CertificateUnavailable, SnsVerifier
from core.settings import Settings
from fakes.daemon import free_port
from tests.intake.harness import Post, RecordingIngest, client, intake_app
from tests.intake.signing import notification, sign, subscription_confirmation
from tests.loopback_http import Answer, LoopbackHttp
from tests.payloads import SNS_SAMPLE_CERT, sample, sample_json, sample_path

SIGNED = [
    "sns_notification_signed_sigv1.json",
    "sns_notification_signed_sigv2.json",
    "sns_notification_signed_sigv1_with_subject.json",
    "sns_notification_signed_sigv2_with_subject.json",
    "sns_lambda_notification_signed_sigv1_subject_null.json",
]
TOPIC = "arn:aws:sns:eu-west-1:123456789012:opsbot-alerts"
Signer = tuple[rsa.RSAPrivateKey, Path]


def _pinned(name: str) -> float:
    """A clock one minute after the sample was sent (its certificate expired long ago; dates are not checked)."""
    return parse_envelope(sample(name)).sent_at + 60


@pytest.mark.parametrize("name", SIGNED)
def test_real_signed_samples_verify_with_the_sample_certificate(name: str) -> None:
    verifier = SnsVerifier(sample_path(SNS_SAMPLE_CERT))
    verifier.verify(parse_envelope(sample(name)), now=_pinned(name))


@pytest.mark.parametrize("name", SIGNED)
def test_a_real_signed_sample_goes_through_the_route(redis_conn: redis.Redis, name: str) -> None:
    ingest = RecordingIngest()
    raw = sample_json(name)
    settings = Settings(sns_topics=[raw["TopicArn"]], sns_test_certificate=sample_path(SNS_SAMPLE_CERT))
    post = client(intake_app(settings, redis_conn, ingest, clock=lambda: _pinned(name))).post
    answer = post("/alerts/sns", content=sample(name), headers={"Content-Type": "text/plain; charset=UTF-8"})
    assert (answer.status_code, answer.json()) == (200, {"stored": 1, "updated": 0})
    assert ingest.alerts[0].summary == "Hello world" and ingest.alerts[0].source == "sns"


def _flip_message(raw: dict[str, Any]) -> None:
    raw["Message"] = "Hello world" if raw["Message"] != "Hello world" else "Hello worle"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_flip_message, "bad signature"),
        (lambda raw: raw.update(Subject="Hello world"), "bad signature"),  # a Subject that was not signed
        (lambda raw: raw.update(Timestamp="2022-07-28T21:23:58.318Z"), "bad signature"),
        (lambda raw: raw.update(SignatureVersion="2"), "bad signature"),
        (lambda raw: raw.update(SignatureVersion="3"), "unsupported SignatureVersion '3'"),
        (lambda raw: raw.update(Signature="AAAA" + raw["Signature"][4:]), "bad signature"),
        (lambda raw: raw.update(Signature="not base64!"), "signature is not base64"),
        (lambda raw: raw.update(SigningCertURL=raw["SigningCertURL"].replace("sns.us-east-2.amazonaws.com",
                                                                             "sns.us-east-2.evil.example")),
         "SigningCertURL is not on an SNS host"),
        (lambda raw: raw.update(SigningCertURL=raw["SigningCertURL"].replace("https:", "http:")),
         "SigningCertURL is not https"),
        (lambda raw: raw.update(SigningCertURL="https://sns.us-east-2.amazonaws.com:8443/x.pem"),
         "SigningCertURL is not on an SNS host"),
        (lambda raw: raw.update(SigningCertURL="https://user@sns.us-east-2.amazonaws.com/x.pem"),
         "SigningCertURL is not on an SNS host"),
        (lambda raw: raw.update(SigningCertURL="https://sns.us-east-2.amazonaws.com/cert.txt"),
         "SigningCertURL is not a .pem file"),
    ],
)  # fmt: skip
def test_an_altered_real_message_is_401(
    redis_conn: redis.Redis, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    name = "sns_notification_signed_sigv1.json"
    raw = sample_json(name)
    change(raw)
    ingest = RecordingIngest()
    settings = Settings(sns_topics=[raw["TopicArn"]], sns_test_certificate=sample_path(SNS_SAMPLE_CERT))
    post = client(intake_app(settings, redis_conn, ingest, clock=lambda: _pinned(name))).post
    answer = post("/alerts/sns", content=json.dumps(raw).encode())
    assert (answer.status_code, answer.text) == (401, reason)
    assert ingest.batches == []


def test_an_old_message_is_refused(redis_conn: redis.Redis) -> None:
    name = "sns_notification_signed_sigv2.json"
    settings = Settings(sns_topics=[sample_json(name)["TopicArn"]], sns_test_certificate=sample_path(SNS_SAMPLE_CERT))
    post = client(intake_app(settings, redis_conn, RecordingIngest(), clock=lambda: _pinned(name) + 3600)).post
    answer = post("/alerts/sns", content=sample(name))
    assert (answer.status_code, answer.text) == (401, "message too old")


def _app_post(
    redis_conn: redis.Redis, signer: Signer, ingest: RecordingIngest, topics: list[str] | None = None
) -> Post:
    settings = Settings(sns_topics=topics or [TOPIC], sns_test_certificate=signer[1])
    post: Post = client(intake_app(settings, redis_conn, ingest)).post
    return post


def _alarm_message(state: str = "ALARM") -> str:
    raw = json.loads(sample_json("sns_lambda_cloudwatch_alarm_single_metric.json")["Records"][0]["Sns"]["Message"])
    raw.update(AlarmName="web-prod 5xx", NewStateValue=state,
               AlarmArn="arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-prod 5xx")  # fmt: skip
    return json.dumps(raw)


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_cloudwatch_alarm_signed_like_sns_is_stored_once(
    redis_conn: redis.Redis, sns_signer: Signer, version: str
) -> None:
    ingest = RecordingIngest()
    post = _app_post(redis_conn, sns_signer, ingest)
    body = json.dumps(sign(notification(TOPIC, _alarm_message(), subject='ALARM: "web-prod 5xx"'), sns_signer[0],
                           version)).encode()  # fmt: skip
    first = post("/alerts/sns", content=body)
    assert (first.status_code, first.json()) == (200, {"stored": 1, "updated": 0})
    (alert,) = ingest.alerts
    assert (alert.summary, alert.severity, alert.resource) == ("web-prod 5xx: NetworkOut > 0", Severity.CRITICAL,
                                                               "TestInstance")  # fmt: skip
    again = post("/alerts/sns", content=body)  # SNS redelivers the same MessageId
    assert (again.status_code, again.json()) == (200, {"stored": 0, "updated": 0, "duplicate": True})
    assert len(ingest.batches) == 1


def test_a_topic_not_listed_is_403(redis_conn: redis.Redis, sns_signer: Signer) -> None:
    ingest = RecordingIngest()
    post = _app_post(redis_conn, sns_signer, ingest, topics=["arn:aws:sns:eu-west-1:123456789012:other"])
    body = json.dumps(sign(notification(TOPIC, "hello"), sns_signer[0])).encode()
    answer = post("/alerts/sns", content=body)
    assert (answer.status_code, answer.text) == (403, "topic not accepted")
    assert ingest.batches == []


def test_a_message_signed_by_someone_else_is_401(redis_conn: redis.Redis, sns_signer: Signer, tmp_path: Path) -> None:
    from tests.intake.signing import make_certificate

    stranger, _ = make_certificate(tmp_path)
    body = json.dumps(sign(notification(TOPIC, "hello"), stranger)).encode()
    answer = _app_post(redis_conn, sns_signer, RecordingIngest())("/alerts/sns", content=body)
    assert (answer.status_code, answer.text) == (401, "bad signature")


CONFIRM = f"/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37fb687f5d51e6e2425c464de"


def _sns(status: int) -> LoopbackHttp:
    """Where a SubscribeURL leads: SNS, answering `status` to the confirmation."""
    return LoopbackHttp(lambda _request: Answer(status, b"<ConfirmSubscriptionResponse/>"))


def test_subscription_is_confirmed_by_visiting_the_subscribe_url(redis_conn: redis.Redis, sns_signer: Signer) -> None:
    ingest = RecordingIngest()
    post = _app_post(redis_conn, sns_signer, ingest)
    with _sns(200) as sns:
        url = f"{sns.url}{CONFIRM}"
        body = json.dumps(sign(subscription_confirmation(TOPIC, url), sns_signer[0])).encode()
        answer = post("/alerts/sns", content=body)
    assert (answer.status_code, answer.text) == (200, "subscription confirmed")
    assert [r.path for r in sns.requests] == [CONFIRM]
    assert ingest.batches == []


def test_a_failed_confirmation_is_502_so_sns_retries(redis_conn: redis.Redis, sns_signer: Signer) -> None:
    post = _app_post(redis_conn, sns_signer, RecordingIngest())
    with _sns(500) as sns:
        body = json.dumps(sign(subscription_confirmation(TOPIC, f"{sns.url}/?Action=Confirm"), sns_signer[0]))
        answer = post("/alerts/sns", content=body.encode())
    assert (answer.status_code, answer.text) == (502, "SNS answered 500 to the confirmation")
    body = json.dumps(sign(subscription_confirmation(TOPIC, f"http://127.0.0.1:{free_port()}/"), sns_signer[0]))
    answer = post("/alerts/sns", content=body.encode())
    assert (answer.status_code, answer.text) == (502, "could not confirm the subscription; SNS will retry")


def test_a_subscribe_url_elsewhere_is_not_visited(redis_conn: redis.Redis, sns_signer: Signer) -> None:
    post = _app_post(redis_conn, sns_signer, RecordingIngest())
    for url in ("https://evil.example.com/?Action=ConfirmSubscription", "http://sns.eu-west-1.amazonaws.com/",
                "http://localhost:1/"):  # fmt: skip
        answer = post("/alerts/sns", content=json.dumps(sign(subscription_confirmation(TOPIC, url), sns_signer[0])))
        assert (answer.status_code, answer.text) == (400, "SubscribeURL is not on an SNS host")


def test_unsubscribe_confirmation_is_acknowledged(redis_conn: redis.Redis, sns_signer: Signer) -> None:
    envelope = subscription_confirmation(TOPIC, "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription")
    envelope["Type"] = "UnsubscribeConfirmation"
    answer = _app_post(redis_conn, sns_signer, RecordingIngest())(
        "/alerts/sns", content=json.dumps(sign(envelope, sns_signer[0]))
    )
    assert (answer.status_code, answer.text) == (200, "unsubscribe noted")


def test_a_failed_store_lets_the_redelivery_through(redis_conn: redis.Redis, sns_signer: Signer) -> None:
    ingest = RecordingIngest(error=redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379"))
    post = _app_post(redis_conn, sns_signer, ingest)
    body = json.dumps(sign(notification(TOPIC, _alarm_message()), sns_signer[0])).encode()
    answer = post("/alerts/sns", content=body)
    assert (answer.status_code, answer.text) == (503, "alert store unavailable; retry")
    ingest.error = None
    assert post("/alerts/sns", content=body).json() == {"stored": 1, "updated": 0}


def test_sns_without_topics_is_not_enabled(redis_conn: redis.Redis) -> None:
    answer = client(intake_app(Settings(), redis_conn, RecordingIngest())).post("/alerts/sns", content=b"{}")
    assert (answer.status_code, answer.text) == (404, "alert source 'sns' is not enabled")


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"not json", "not JSON"), (b"{}", "missing Type"), (b"[]", "expected a JSON object")],
)
def test_a_malformed_envelope_is_400(redis_conn: redis.Redis, sns_signer: Signer, body: bytes, reason: str) -> None:
    answer = _app_post(redis_conn, sns_signer, RecordingIngest())("/alerts/sns", content=body)
    assert (answer.status_code, answer.text) == (400, reason)


def test_certificates_are_fetched_once_per_url_and_must_be_for_sns(sns_signer: Signer, tmp_path: Path) -> None:
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return sns_signer[1].read_bytes()

    verifier = SnsVerifier(None, fetch=fetch)
    for _ in range(3):
        verifier.verify(parse_envelope(json.dumps(sign(notification(TOPIC, "hi"), sns_signer[0])).encode()))
    assert fetched == ["https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000test.pem"]

    from tests.intake.signing import make_certificate

    impostor_key, impostor_cert = make_certificate(tmp_path, common_name="sns.amazonaws.com.evil.example")
    impostor = SnsVerifier(None, fetch=lambda _url: impostor_cert.read_bytes())
    with pytest.raises(Unauthorized, match=r"not issued to sns\.amazonaws\.com"):
        impostor.verify(parse_envelope(json.dumps(sign(notification(TOPIC, "hi"), impostor_key)).encode()))
    garbage = SnsVerifier(None, fetch=lambda _url: b"<html>not a certificate</html>")
    with pytest.raises(Unauthorized, match="not a PEM certificate"):
        garbage.verify(parse_envelope(json.dumps(sign(notification(TOPIC, "hi"), impostor_key)).encode()))


def test_an_unreachable_certificate_is_503_so_sns_retries(redis_conn: redis.Redis, sns_signer: Signer) -> None:
    def unreachable(_url: str) -> bytes:
        raise CertificateUnavailable("cannot fetch the SNS signing certificate: ConnectTimeout")

    settings = Settings(sns_topics=[TOPIC])
    app = intake_app(settings, redis_conn, RecordingIngest(), verifier=SnsVerifier(None, fetch=unreachable))
    answer = client(app).post("/alerts/sns", content=json.dumps(sign(notification(TOPIC, "hi"), sns_signer[0])))
    assert (answer.status_code, answer.text) == (503, "cannot fetch the SNS signing certificate: ConnectTimeout; retry")
