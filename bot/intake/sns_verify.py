"""Proof that an SNS message comes from Amazon SNS: its RSA signature (SignatureVersion 1 = SHA1withRSA,
2 = SHA256withRSA) over the documented string to sign, checked with the certificate at SigningCertURL, which
must be an https URL on an SNS host. Certificates are fetched through a `CertificateCache` (one fetch at a time per
URL, good and bad outcomes remembered, new fetches capped per minute). Their validity dates are not checked (SNS's
own test messages outlive them), but the subject must be sns.amazonaws.com."""

from __future__ import annotations

import base64
import binascii
import re
import ssl
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509.oid import NameOID

from alerts.sources.sns import SnsEnvelope
from bot.intake.auth import Unauthorized
from bot.intake.sns_certificates import CertificateCache, CertificateUnavailable, Loaded

__all__ = ["CertificateUnavailable", "SnsVerifier", "check_certificate_url", "is_sns_url", "string_to_sign"]

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
SNS_SUBJECT = "sns.amazonaws.com"
MAX_AGE_SECONDS = 3600
FETCH_TIMEOUT_SECONDS = 5.0
MAX_CERTIFICATE_BYTES = 64 * 1024
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
_TEST_URL = ""  # cache key of the test certificate: it serves every URL that passes the URL check


class SnsVerifier:
    def __init__(
        self,
        test_certificate: Path | None,
        fetch: Callable[[str], bytes] | None = None,
        *,
        certificates: CertificateCache | None = None,
    ) -> None:
        """`fetch` downloads a certificate (default: `download`); `certificates` replaces the whole cache."""
        self._test_certificate = test_certificate
        if certificates is None:
            if test_certificate is not None:
                fetch = partial(_read_file, test_certificate)
            certificates = CertificateCache(fetch or download, load_certificate)
        self.certificates = certificates

    def verify(self, envelope: SnsEnvelope, now: float | None = None) -> None:
        """Return when the envelope is signed by SNS and recent; raise Unauthorized (or CertificateUnavailable)."""
        check_certificate_url(envelope.signing_cert_url)
        algorithm = _HASHES.get(envelope.signature_version)
        if algorithm is None:
            raise Unauthorized(f"unsupported SignatureVersion '{envelope.signature_version[:10]}'")
        age = (time.time() if now is None else now) - envelope.sent_at
        if age > MAX_AGE_SECONDS:
            raise Unauthorized("message too old")
        if age < -MAX_AGE_SECONDS:
            raise Unauthorized("message timestamp is in the future")
        try:
            signature = base64.b64decode(envelope.signature, validate=True)
        except (binascii.Error, ValueError):
            raise Unauthorized("signature is not base64") from None
        key = self._key(envelope.signing_cert_url)
        try:
            key.verify(signature, string_to_sign(envelope).encode(), PKCS1v15(), algorithm())
        except InvalidSignature:
            raise Unauthorized("bad signature") from None

    def _key(self, url: str) -> RSAPublicKey:
        return self.certificates.key(_TEST_URL if self._test_certificate is not None else url)


def string_to_sign(envelope: SnsEnvelope) -> str:
    """ "Key\\nValue\\n" for the signed fields in SNS's order; a missing or null Subject is left out."""
    if envelope.type == "Notification":
        pairs = [
            ("Message", envelope.message),
            ("MessageId", envelope.message_id),
            ("Subject", envelope.subject),
            ("Timestamp", envelope.timestamp),
            ("TopicArn", envelope.topic_arn),
            ("Type", envelope.type),
        ]
    else:
        pairs = [
            ("Message", envelope.message),
            ("MessageId", envelope.message_id),
            ("SubscribeURL", envelope.subscribe_url),
            ("Timestamp", envelope.timestamp),
            ("Token", envelope.token),
            ("TopicArn", envelope.topic_arn),
            ("Type", envelope.type),
        ]
    return "".join(f"{key}\n{value}\n" for key, value in pairs if value is not None)


def check_certificate_url(url: str) -> None:
    """https, on sns.<region>.amazonaws.com(.cn), default port, no user info, a .pem file."""
    if not is_sns_url(url, allow_loopback=False):
        if urlsplit(url).scheme != "https":
            raise Unauthorized("SigningCertURL is not https")
        raise Unauthorized("SigningCertURL is not on an SNS host")
    if not urlsplit(url).path.endswith(".pem"):
        raise Unauthorized("SigningCertURL is not a .pem file")


def is_sns_url(url: str, *, allow_loopback: bool) -> bool:
    """An https URL on an SNS host; with `allow_loopback` (tests), http(s)://127.0.0.1:<port> too."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None:
        return False
    if allow_loopback and host == "127.0.0.1" and parts.scheme in ("http", "https"):
        return True
    return parts.scheme == "https" and port in (None, 443) and SNS_HOST.match(host) is not None


def load_certificate(pem: bytes) -> Loaded:
    """The certificate's RSA key and notAfter; Unauthorized when it is not an SNS signing certificate."""
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise Unauthorized("the signing certificate is not a PEM certificate") from None
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if [name.value for name in names] != [SNS_SUBJECT]:
        raise Unauthorized(f"the signing certificate is not issued to {SNS_SUBJECT}")
    key = certificate.public_key()
    if not isinstance(key, RSAPublicKey):
        raise Unauthorized("the signing certificate has no RSA key")
    return Loaded(key=key, not_after=certificate.not_valid_after_utc.timestamp())


def _read_file(path: Path, _url: str) -> bytes:
    return path.read_bytes()


def download(url: str, *, verify: ssl.SSLContext | bool = True) -> bytes:
    """GET the certificate, reading at most MAX_CERTIFICATE_BYTES of it. `verify` is for tests (a local CA)."""
    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False, verify=verify) as answer:
            if answer.status_code != 200:
                raise CertificateUnavailable(f"cannot fetch the SNS signing certificate: HTTP {answer.status_code}")
            declared = answer.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_CERTIFICATE_BYTES:
                raise Unauthorized("the signing certificate is too large")
            pem = b""
            for chunk in answer.iter_bytes():
                pem += chunk
                if len(pem) > MAX_CERTIFICATE_BYTES:
                    raise Unauthorized("the signing certificate is too large")
    except httpx.HTTPError as exc:
        raise CertificateUnavailable(f"cannot fetch the SNS signing certificate: {type(exc).__name__}") from exc
    return pem
