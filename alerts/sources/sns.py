"""Amazon SNS messages: the envelope SNS posts to an HTTP endpoint (also accepted in the Lambda record shape,
`SigningCertUrl` and `"Subject": null`), and the alert its Notification carries: a CloudWatch alarm (read by
cloudwatch.py), or else the plain message (anything published to the topic by hand or by another service).
Checking the envelope's signature is bot/intake/sns_verify.py's job."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from alerts.model import Incoming, Severity
from alerts.sources import cloudwatch, fields
from alerts.sources.cloudwatch import CloudWatchAlarm
from alerts.sources.payload import Payload, load_json, read
from core.models import Cloud

SOURCE = cloudwatch.SOURCE  # one name for both kinds of SNS message
MessageType = Literal["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]


class SnsEnvelope(Payload):
    """The fields SNS signs, by their SNS names (`envelope.model_dump(by_alias=True)` gives them back)."""

    model_config = ConfigDict(strict=True)

    type: MessageType = Field(alias="Type")
    message_id: str = Field(alias="MessageId", min_length=1, max_length=200)
    topic_arn: str = Field(alias="TopicArn", min_length=1, max_length=1000)
    timestamp: str = Field(alias="Timestamp", min_length=1, max_length=64)
    subject: str | None = Field(default=None, alias="Subject")
    message: str = Field(alias="Message")
    subscribe_url: str | None = Field(
        default=None, alias="SubscribeURL", validation_alias=AliasChoices("SubscribeURL", "SubscribeUrl")
    )
    token: str | None = Field(default=None, alias="Token")
    signature_version: str = Field(alias="SignatureVersion")
    signature: str = Field(alias="Signature", max_length=4096)
    signing_cert_url: str = Field(
        alias="SigningCertURL", validation_alias=AliasChoices("SigningCertURL", "SigningCertUrl"), max_length=2000
    )

    @field_validator("timestamp")
    @classmethod
    def _time(cls, value: str) -> str:
        """Kept as sent (it is signed), checked to be a time."""
        if fields.rfc3339(value) is None:
            raise ValueError("not an RFC 3339 time")
        return value

    @model_validator(mode="after")
    def _complete(self) -> SnsEnvelope:
        if self.type != "Notification" and (not self.subscribe_url or not self.token):
            raise ValueError(f"a {self.type} needs SubscribeURL and Token")
        return self

    @property
    def sent_at(self) -> float:
        """Unix seconds of `Timestamp` (checked to be a time when the envelope was made)."""
        return fields.rfc3339(self.timestamp) or 0.0


def _one_record(value: Any) -> Any:
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], dict):
        raise PydanticCustomError("refused", "Records: expected exactly one SNS record")
    return value


class LambdaRecord(Payload):
    sns: dict[str, Any] = Field(alias="Sns")  # the envelope, read on its own: its problems are named as in a POST


class LambdaEvent(Payload):
    """The event SNS hands a Lambda function: exactly one record."""

    records: Annotated[tuple[LambdaRecord], BeforeValidator(_one_record)] = Field(alias="Records")


def parse_envelope(body: bytes) -> SnsEnvelope:
    data = load_json(body)
    if isinstance(data, dict) and "Records" in data:
        data = read(LambdaEvent, data).records[0].sns
    return read(SnsEnvelope, data)


def alarm(envelope: SnsEnvelope) -> list[Incoming]:
    """The alert a Notification carries: a CloudWatch alarm state change, or else the plain message."""
    if envelope.type != "Notification":
        return []
    try:
        message = json.loads(envelope.message)
    except (ValueError, RecursionError):  # not JSON (a plain message), or nested absurdly deep
        message = None
    if isinstance(message, dict) and "AlarmName" in message and "NewStateValue" in message:
        return [cloudwatch.alert(read(CloudWatchAlarm, message, "Message"), envelope.topic_arn)]
    return [_plain(envelope)]


def _plain(envelope: SnsEnvelope) -> Incoming:
    subject = fields.text(envelope.subject)
    summary = fields.one_line(subject or fields.first_line(envelope.message))
    topic = envelope.topic_arn.rsplit(":", 1)[-1]
    summary = summary or f"Empty message on SNS topic {topic}"
    key = hashlib.sha256(summary.encode()).hexdigest()[:16]
    return Incoming(
        source=SOURCE,
        fingerprint=fields.fingerprint(f"{envelope.topic_arn}:{key}"),
        severity=Severity.WARNING,
        summary=summary,
        description=fields.description(envelope.message),
        provider=Cloud.AWS,
        labels=fields.labels({"topic": topic}),
        starts_at=envelope.sent_at,
    )
