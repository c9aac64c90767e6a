"""CloudWatch alarms, as the JSON `Message` of an SNS Notification: a state change (ALARM, OK,
INSUFFICIENT_DATA) of one alarm, on one metric or a metric-math expression."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import AliasChoices, BeforeValidator, Field

from alerts.model import Incoming, Severity
from alerts.sources import fields
from alerts.sources.fields import Rfc3339, Scalar, Status, Text
from alerts.sources.payload import Payload
from core.models import Cloud

SOURCE = "sns"  # it arrives through SNS, and is stored as SNS's

_STATE: dict[str, tuple[Status, Severity]] = {
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


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return f"{value:g}"


def _object_or_none(value: Any) -> Any:
    return value if isinstance(value, dict) else None


class Dimension(Payload):
    name: Text = Field(default="", validation_alias=AliasChoices("name", "Name"))
    value: Scalar = Field(default="", validation_alias=AliasChoices("value", "Value"))


class Metric(Payload):
    metric_name: Text = Field(default="", alias="MetricName")
    namespace: Scalar = Field(default="", alias="Namespace")
    dimensions: Annotated[tuple[Dimension, ...], BeforeValidator(fields.objects_only)] = Field(
        default=(), alias="Dimensions"
    )

    @property
    def dimension_map(self) -> dict[str, str]:
        """{"InstanceId": "i-0abc"}, in the alarm's order (the first one names the resource)."""
        return {d.name: d.value for d in self.dimensions if d.name and d.value}


class MetricStat(Payload):
    metric: Annotated[Metric | None, BeforeValidator(_object_or_none)] = Field(default=None, alias="Metric")


class MetricQuery(Payload):
    """One entry of a metric-math alarm: an expression, or a metric (its `MetricStat`)."""

    metric_stat: Annotated[MetricStat | None, BeforeValidator(_object_or_none)] = Field(
        default=None, alias="MetricStat"
    )


class Trigger(Metric):
    metrics: Annotated[tuple[MetricQuery, ...], BeforeValidator(fields.objects_only)] = Field(
        default=(), alias="Metrics"
    )
    comparison_operator: Text = Field(default="", alias="ComparisonOperator")
    threshold: Annotated[str, BeforeValidator(_number)] = Field(default="", alias="Threshold")

    @property
    def metric(self) -> Metric:
        """The alarm's metric: the trigger itself, or the first metric of a metric-math alarm."""
        if not self.metric_name:
            for query in self.metrics:
                if query.metric_stat is not None and query.metric_stat.metric is not None:
                    return query.metric_stat.metric
        return self


class CloudWatchAlarm(Payload):
    """A CloudWatch alarm's state change, as the JSON `Message` of an SNS Notification."""

    alarm_name: Text = Field(default="", alias="AlarmName")
    state: Annotated[tuple[Status, Severity], fields.one_of(_STATE)] = Field(alias="NewStateValue")
    trigger: Annotated[Trigger, BeforeValidator(fields.absent_is_empty)] = Field(default=Trigger(), alias="Trigger")
    alarm_arn: Text = Field(default="", alias="AlarmArn")
    changed: Rfc3339 = Field(default=None, alias="StateChangeTime")
    reason: Text = Field(default="", alias="NewStateReason")
    description: Text = Field(default="", alias="AlarmDescription")
    account: Scalar = Field(default="", alias="AWSAccountId")


def alert(change: CloudWatchAlarm, topic_arn: str) -> Incoming:
    """The alert of a state change that came through the SNS topic `topic_arn`."""
    name = change.alarm_name or "CloudWatch alarm"
    status, severity = change.state
    metric = change.trigger.metric
    dimensions = metric.dimension_map
    arn = change.alarm_arn
    operator = _OPERATOR.get(change.trigger.comparison_operator, "")
    condition = " ".join(p for p in (metric.metric_name, operator, change.trigger.threshold) if p)
    return Incoming(
        source=SOURCE,
        fingerprint=fields.fingerprint(arn or f"{topic_arn}:{name}"),
        status=status,
        severity=severity,
        summary=fields.one_line(f"{name}: {condition}" if condition else name),
        description=fields.description("\n".join(p for p in (change.description, change.reason) if p)),
        resource=fields.name(next(iter(dimensions.values()), None)),
        provider=Cloud.AWS,
        labels=fields.labels(
            {
                "alarm": name,
                "account": change.account,
                "region": _region(arn),
                "namespace": metric.namespace,
                "metric": metric.metric_name,
            },
            dimensions,
        ),
        starts_at=change.changed if status == "firing" else None,
        ends_at=change.changed if status == "resolved" else None,
        links=fields.links(_console_url(arn, name)),
    )


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
