"""Forged SNS messages cannot make the server fetch certificates at will: the real route, the real downloader over
HTTPS to a local server (a test CA from trustme) that counts what it was asked for. One fetch per URL however many
requests arrive at once, a failed fetch remembered for 5 minutes, at most 10 new URLs a minute."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import trustme
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.intake.sns_certificates import BAD_SECONDS, FETCHES_PER_MINUTE, CertificateCache
from bot.intake.sns_verify import SnsVerifier, download, load_certificate
from core.settings import Settings
from tests.intake.harness import RecordingIngest, intake_app
from tests.intake.signing import make_certificate, notification, sign
from tests.loopback_http import Answer, LoopbackHttp, Request

TOPIC = "arn:aws:sns:eu-west-1:123456789012:opsbot-alerts"
SNS_HOST = "https://sns.eu-west-1.amazonaws.com"


class CertificateHost:
    """HTTPS on 127.0.0.1 with a test CA: /good-*.pem is the certificate, anything else 404; `asked` counts GETs."""

    def __init__(self, certificate: bytes) -> None:
        self.ca = trustme.CA()
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(tls)

        def answer(request: Request) -> Answer:
            time.sleep(0.2)  # a slow fetch, so that concurrent requests for the same URL overlap it
            if request.path.startswith("/good-"):
                return Answer(200, certificate)
            return Answer(404, b"not found")

        self.server = LoopbackHttp(answer, tls=tls)

    @property
    def asked(self) -> Counter[str]:
        return Counter(request.path for request in self.server.requests)

    def fetch(self, url: str) -> bytes:
        """The SNS host, answered here: the real download path, trusting the test CA."""
        assert url.startswith(SNS_HOST + "/")
        trusted = ssl.create_default_context()
        self.ca.configure_trust(trusted)
        return download(self.server.url + url.removeprefix(SNS_HOST), verify=trusted)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def signer(tmp_path: Path) -> tuple[rsa.RSAPrivateKey, Path]:
    return make_certificate(tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def served(signer: tuple[rsa.RSAPrivateKey, Path]) -> Iterator[CertificateHost]:
    host = CertificateHost(signer[1].read_bytes())
    with host.server:
        yield host


@pytest.fixture
def app(redis_conn: redis.Redis, clock: Clock, served: CertificateHost) -> Any:
    """The intake routes, their SNS verifier fetching certificates from `served`."""
    verifier = SnsVerifier(None, certificates=CertificateCache(served.fetch, load_certificate, clock=clock))
    return intake_app(Settings(sns_topics=[TOPIC]), redis_conn, RecordingIngest(), verifier=verifier)


def _message(key: rsa.RSAPrivateKey, certificate: str) -> bytes:
    envelope = sign(notification(TOPIC, "disk full"), key)
    envelope["SigningCertURL"] = f"{SNS_HOST}/{certificate}"
    return json.dumps(envelope).encode()


async def _post_all(app: Any, bodies: list[bytes]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await asyncio.gather(*(client.post("/alerts/sns", content=body) for body in bodies))


def test_two_hundred_forged_messages_naming_three_certificates_make_three_fetches(
    app: Any, served: CertificateHost, signer: tuple[rsa.RSAPrivateKey, Path]
) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bodies = [_message(forger, f"good-{i % 3}.pem") for i in range(200)]
    answers = asyncio.run(_post_all(app, bodies))
    assert {(a.status_code, a.text) for a in answers} == {(401, "bad signature")}
    assert served.asked == {"/good-0.pem": 1, "/good-1.pem": 1, "/good-2.pem": 1}
    # and a genuine message signed with the real key is accepted with the certificate already known
    genuine = asyncio.run(_post_all(app, [_message(signer[0], "good-0.pem")]))
    assert genuine[0].status_code == 200
    assert served.asked["/good-0.pem"] == 1


def test_a_certificate_that_cannot_be_fetched_is_asked_for_once_per_five_minutes(
    app: Any, served: CertificateHost, signer: tuple[rsa.RSAPrivateKey, Path], clock: Clock
) -> None:
    answers = asyncio.run(_post_all(app, [_message(signer[0], "missing.pem") for _ in range(30)]))
    assert {(a.status_code, a.text) for a in answers} == {
        (503, "cannot fetch the SNS signing certificate: HTTP 404; retry")
    }
    clock.now += BAD_SECONDS - 1
    asyncio.run(_post_all(app, [_message(signer[0], "missing.pem")]))
    assert served.asked == {"/missing.pem": 1}
    clock.now += 2  # the negative answer has expired: SNS's retry may find it fetched now
    asyncio.run(_post_all(app, [_message(signer[0], "missing.pem")]))
    assert served.asked == {"/missing.pem": 2}


def test_more_new_certificates_than_the_cap_in_a_minute_are_refused_without_fetching(
    app: Any, served: CertificateHost, signer: tuple[rsa.RSAPrivateKey, Path], clock: Clock
) -> None:
    first = [_message(signer[0], f"good-{i}.pem") for i in range(FETCHES_PER_MINUTE)]
    assert [a.status_code for a in asyncio.run(_post_all(app, first))] == [200] * FETCHES_PER_MINUTE
    over = asyncio.run(_post_all(app, [_message(signer[0], f"good-extra-{i}.pem") for i in range(5)]))
    assert {(a.status_code, a.text) for a in over} == {
        (503, "too many new SNS signing certificates this minute; retry")
    }
    assert sum(served.asked.values()) == FETCHES_PER_MINUTE
    known = asyncio.run(_post_all(app, [_message(signer[0], "good-0.pem")]))  # a known one still works
    assert known[0].status_code == 200
    clock.now += 61
    later = asyncio.run(_post_all(app, [_message(signer[0], "good-extra-0.pem")]))
    assert later[0].status_code == 200
    assert sum(served.asked.values()) == FETCHES_PER_MINUTE + 1


def test_only_https_urls_on_an_sns_host_are_ever_fetched(
    app: Any, served: CertificateHost, signer: tuple[rsa.RSAPrivateKey, Path]
) -> None:
    bodies = []
    for url in (f"{served.server.url}/good-0.pem", "http://sns.eu-west-1.amazonaws.com/good-0.pem",
                "https://sns.eu-west-1.amazonaws.com.evil.example/good-0.pem",
                "https://sns.eu-west-1.amazonaws.com:8443/good-0.pem"):  # fmt: skip
        envelope = json.loads(_message(signer[0], "good-0.pem"))
        envelope["SigningCertURL"] = url
        bodies.append(json.dumps(envelope).encode())
    answers = asyncio.run(_post_all(app, bodies))
    assert [a.status_code for a in answers] == [401] * 4
    assert served.asked == {}


def test_good_certificates_are_kept_a_day_and_only_so_many_urls_are_remembered(
    signer: tuple[rsa.RSAPrivateKey, Path], clock: Clock
) -> None:
    fetched: Counter[str] = Counter()

    def fetch(url: str) -> bytes:
        fetched[url] += 1
        return signer[1].read_bytes()

    cache = CertificateCache(fetch, load_certificate, clock=clock, per_minute=100, max_urls=3)
    for url in ("a", "b", "c", "a", "b", "c"):
        cache.key(url)
    assert fetched == {"a": 1, "b": 1, "c": 1}
    cache.key("d")  # a fourth URL pushes out the least recently used one
    cache.key("a")
    assert fetched == {"a": 2, "b": 1, "c": 1, "d": 1}
    clock.now += 24 * 3600 + 1  # the certificate is good for 30 days, but is looked at again after a day
    cache.key("a")
    assert fetched["a"] == 3
