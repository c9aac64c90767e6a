"""Amazon SNS messages: the envelope SNS posts to an HTTP endpoint (also accepted in the Lambda record shape,
`SigningCertUrl` and `"Subject": null`), and the CloudWatch alarm a Notification usually carries. A message
that is not an alarm (anything published to the topic by hand or by another service) still becomes one alert.
Checking the envelope's signature is bot/intake/sns_verify.py's job."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Literal
from urllib.parse import quote

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

from alerts.model import Incoming, Severity
from alerts.sources import fields
from alerts.sources.fields import Malformed
from core.models import Cloud

SOURCE = "sns"
MessageType = Literal["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]

_STATE: dict[str, tuple[Literal["firing", "resolved"], Severity]] = {
    "ALARM": ("firing", Severity.CRITICAL),
    "OK": ("resolved", Severity.CRITICAL),
    "INSUFFICIENT_DATA": ("firing", Severity.WARNING),
}
_OPERATOR = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside band",
    "GreaterThanUpperThreshold": "above band",
    "LessThanLowerThreshold": "below band",
}
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class SnsEnvelope(BaseModel):
    """The fields SNS signs, by their SNS names (`envelope.model_dump(by_alias=True)` gives them back)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, populate_by_name=True)

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

    @model_validator(mode="after")
    def _complete(self) -> SnsEnvelope:
        try:
            if not fields.rfc3339(self.timestamp, "Timestamp"):
                raise ValueError("Timestamp: not an RFC 3339 time")
        except Malformed as exc:
            raise ValueError(str(exc)) from None
        if self.type != "Notification" and (not self.subscribe_url or not self.token):
            raise ValueError(f"a {self.type} needs SubscribeURL and Token")
        return self

    @property
    def sent_at(self) -> float:
        """Unix seconds of `Timestamp` (checked to be a time when the envelope was made)."""
        return fields.rfc3339(self.timestamp, "Timestamp") or 0.0


def parse_envelope(body: bytes) -> SnsEnvelope:
    data = fields.need_object(fields.load_json(body), "")
    if "Records" in data:  # a Lambda event: exactly one SNS record
        records = data["Records"]
        if not isinstance(records, list) or len(records) != 1 or not isinstance(records[0], dict):
            raise Malformed("Records: expected exactly one SNS record")
        data = fields.need_object(records[0].get("Sns"), "Records[0].Sns")
    try:
        envelope = SnsEnvelope.model_validate(data)
    except ValidationError as exc:
        raise Malformed(fields.validation_reason(exc)) from None
    return envelope


def alarm(envelope: SnsEnvelope) -> list[Incoming]:
    """The alert a Notification carries: a CloudWatch alarm state change, or else the plain message."""
    if envelope.type != "Notification":
        return []
    try:
        message = json.loads(envelope.message)
    except (ValueError, RecursionError):  # not JSON (a plain message), or nested absurdly deep
        message = None
    if isinstance(message, dict) and "AlarmName" in message and "NewStateValue" in message:
        return [_cloudwatch(envelope, message)]
    return [_plain(envelope)]


def _cloudwatch(envelope: SnsEnvelope, message: dict[str, Any]) -> Incoming:
    name = fields.text(message.get("AlarmName")) or "CloudWatch alarm"
    state = message.get("NewStateValue")
    if state not in _STATE:
        raise Malformed(f"Message: unknown NewStateValue {fields.quoted(state)}")
    status, severity = _STATE[state]
    trigger = fields.optional_object(message.get("Trigger"), "Message.Trigger")
    metric = _metric(trigger)
    dimensions = _dimensions(metric)
    arn = fields.text(message.get("AlarmArn"))
    changed = fields.rfc3339(message.get("StateChangeTime"), "Message.StateChangeTime")
    metric_name = fields.text(metric.get("MetricName"))
    operator = _OPERATOR.get(fields.text(trigger.get("ComparisonOperator")), "")
    condition = " ".join(p for p in (metric_name, operator, _number(trigger.get("Threshold"))) if p)
    reason = fields.text(message.get("NewStateReason"))
    about = fields.text(message.get("AlarmDescription"))
    return Incoming(
        source=SOURCE,
        fingerprint=fields.fingerprint(arn or f"{envelope.topic_arn}:{name}"),
        status=status,
        severity=severity,
        summary=fields.one_line(f"{name}: {condition}" if condition else name),
        description=fields.description("\n".join(p for p in (about, reason) if p)),
        resource=fields.name(next(iter(dimensions.values()), None)),
        provider=Cloud.AWS,
        labels=fields.labels(
            {
                "alarm": name,
                "account": message.get("AWSAccountId"),
                "region": _region(arn),
                "namespace": metric.get("Namespace"),
                "metric": metric_name,
            },
            dimensions,
        ),
        starts_at=changed if status == "firing" else None,
        ends_at=changed if status == "resolved" else None,
        links=fields.links(_console_url(arn, name)),
    )


def _metric(trigger: dict[str, Any]) -> dict[str, Any]:
    """The alarm's metric: the trigger itself, or the first metric of a metric-math alarm."""
    if not trigger.get("MetricName") and isinstance(trigger.get("Metrics"), list):
        for entry in trigger["Metrics"]:
            stat = entry.get("MetricStat") if isinstance(entry, dict) else None
            if isinstance(stat, dict) and isinstance(stat.get("Metric"), dict):
                return dict(stat["Metric"])
    return trigger


def _dimensions(metric: dict[str, Any]) -> dict[str, str]:
    """{"InstanceId": "i-0abc"}, in the alarm's order (the first one names the resource)."""
    found: dict[str, str] = {}
    raw = metric.get("Dimensions")
    for dimension in raw if isinstance(raw, list) else []:
        if isinstance(dimension, dict):
            key = fields.text(dimension.get("name") or dimension.get("Name"))
            value = fields.scalar(dimension.get("value") or dimension.get("Value"))
            if key and value:
                found[key] = value
    return found


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


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return f"{value:g}"


def _region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and _REGION.match(parts[3]) else ""


def _console_url(arn: str, name: str) -> str:
    region = _region(arn)
    if not region:
        return ""
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{quote(name, safe='')}"
    )
