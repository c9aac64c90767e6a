"""Test-side SNS signing: an RSA key with a self-signed certificate for CN sns.amazonaws.com, and envelopes
signed with it the way SNS signs them (written from AWS's documentation, separately from the verifier)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000test.pem"


def make_certificate(directory: Path, common_name: str = "sns.amazonaws.com") -> tuple[rsa.RSAPrivateKey, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{common_name}.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key, path


def timestamp(when: dt.datetime | None = None) -> str:
    """SNS's Timestamp format: 2022-07-28T21:23:58.317Z."""
    moment = when or dt.datetime.now(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sign(envelope: dict[str, str | None], key: rsa.RSAPrivateKey, version: str = "2") -> dict[str, str | None]:
    """The envelope with SignatureVersion, Signature and SigningCertURL set (a CERT_URL unless given)."""
    keys = NOTIFICATION_KEYS if envelope["Type"] == "Notification" else CONFIRMATION_KEYS
    text = "".join(f"{k}\n{envelope[k]}\n" for k in keys if envelope.get(k) is not None)
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # SignatureVersion 1 is SHA1
    signature = key.sign(text.encode(), padding.PKCS1v15(), algorithm)
    return {
        "SigningCertURL": CERT_URL,
        **envelope,
        "SignatureVersion": version,
        "Signature": base64.b64encode(signature).decode(),
    }


def notification(topic: str, message: str, subject: str | None = None) -> dict[str, str | None]:
    envelope: dict[str, str | None] = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic,
        "Message": message,
        "Timestamp": timestamp(),
    }
    if subject is not None:
        envelope["Subject"] = subject
    return envelope


def subscription_confirmation(topic: str, subscribe_url: str) -> dict[str, str | None]:
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": "2336412f37fb687f5d51e6e2425c464de",
        "TopicArn": topic,
        "Message": f"You have chosen to subscribe to the topic {topic}.",
        "SubscribeURL": subscribe_url,
        "Timestamp": timestamp(),
    }
