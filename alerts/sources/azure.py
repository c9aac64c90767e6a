"""Azure Monitor's common alert schema (metric, log search and activity log alerts): one `Incoming` per
notification, keyed by the alert's id so that its "Resolved" notification finds the "Fired" one."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from alerts.model import Incoming
from alerts.sources import fields
from alerts.sources.fields import Obj, RequiredText, Rfc3339, Scalar, Status, Text, Url
from alerts.sources.payload import Payload, load
from core.models import Cloud

SOURCE = "azure"
SCHEMA = "azureMonitorCommonAlertSchema"

_severity = fields.severities(critical=("sev0", "sev1"), warning=("sev2",), info=("sev3", "sev4"))
_OPERATOR = {
    "GreaterThan": ">",
    "GreaterThanOrEqual": ">=",
    "LessThan": "<",
    "LessThanOrEqual": "<=",
    "Equal": "=",
    "Equals": "=",
    "NotEquals": "!=",
    "GreaterOrLessThan": "outside",
}


def _criterion(all_of: Any) -> Any:
    """The first criterion when there is one (an object with something in it); None otherwise."""
    found = fields.first(all_of)
    return found if isinstance(found, dict) and found else None


class Criterion(Payload):
    """What a metric or log search alert measured, against what; a log search alert links to its results."""

    metric_name: Text = Field(default="", alias="metricName")
    search_query: Text = Field(default="", alias="searchQuery")
    operator: Text = ""
    threshold: Scalar = ""
    metric_value: Scalar = Field(default="", alias="metricValue")
    filtered_results: Url = Field(default="", alias="linkToFilteredSearchResultsUI")
    results: Url = Field(default="", alias="linkToSearchResultsUI")


class Condition(Payload):
    criterion: Annotated[Criterion | None, BeforeValidator(_criterion)] = Field(default=None, alias="allOf")


class AlertContext(Payload):
    condition: Annotated[Condition, BeforeValidator(fields.object_or_empty)] = Condition()
    operation_name: Text = Field(default="", alias="operationName")  # what an activity log alert saw done


class Essentials(Payload):
    alert_id: RequiredText = Field(alias="alertId")
    monitor_condition: Annotated[Status, fields.one_of({"Fired": "firing", "Resolved": "resolved"})] = Field(
        alias="monitorCondition"
    )
    alert_rule: Text = Field(default="", alias="alertRule")
    severity: Scalar = ""
    signal_type: Scalar = Field(default="", alias="signalType")
    monitoring_service: Scalar = Field(default="", alias="monitoringService")
    target: Annotated[Text, BeforeValidator(fields.first)] = Field(default="", alias="alertTargetIDs")
    description: Text = ""
    fired: Rfc3339 = Field(default=None, alias="firedDateTime")
    resolved: Rfc3339 = Field(default=None, alias="resolvedDateTime")


class AzureAlertData(Payload):
    essentials: Essentials
    context: Annotated[AlertContext, BeforeValidator(fields.absent_is_empty)] = Field(
        default=AlertContext(), alias="alertContext"
    )
    custom: Obj = Field(default_factory=dict, alias="customProperties")


class AzureAlert(Payload):
    data: AzureAlertData

    @model_validator(mode="before")
    @classmethod
    def _common_schema(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("schemaId") != SCHEMA:
            raise ValueError(f"schemaId is not {SCHEMA} (turn on the common alert schema in the action group)")
        return data


def parse(body: bytes) -> list[Incoming]:
    return [_incoming(load(AzureAlert, body).data)]


def _incoming(data: AzureAlertData) -> Incoming:
    essentials = data.essentials
    rule = essentials.alert_rule or "Azure Monitor alert"
    target = essentials.target
    return Incoming(
        source=SOURCE,
        fingerprint=fields.fingerprint(essentials.alert_id),
        status=essentials.monitor_condition,
        severity=_severity(essentials.severity),
        summary=fields.one_line(_summary(rule, data.context)),
        description=fields.description(essentials.description),
        resource=fields.name(target.rstrip("/").rsplit("/", 1)[-1]) if target else None,
        provider=Cloud.AZURE,
        environment=fields.name(fields.first_of(data.custom, ("env", "environment"))),
        labels=fields.labels(
            data.custom,
            {
                "alertRule": rule,
                "severity": essentials.severity,
                "signalType": essentials.signal_type,
                "monitoringService": essentials.monitoring_service,
            },
        ),
        starts_at=essentials.fired,
        ends_at=essentials.resolved,
        links=_links(data.context.condition.criterion),
    )


def _summary(rule: str, context: AlertContext) -> str:
    """ "cpu-high: Percentage CPU > 25 (value 31.2)"; an activity log alert names its operation instead."""
    criterion = context.condition.criterion
    if criterion is not None:
        what = criterion.metric_name or criterion.search_query
        operator = _OPERATOR.get(criterion.operator, criterion.operator)
        condition = " ".join(part for part in (fields.clip(what, 80), operator, criterion.threshold) if part)
        if criterion.metric_value:
            condition += f" (value {criterion.metric_value})"
        return f"{rule}: {condition}" if condition else rule
    operation = context.operation_name
    return f"{rule}: {operation}" if operation else rule


def _links(criterion: Criterion | None) -> tuple[str, ...]:
    return fields.links(criterion.filtered_results, criterion.results) if criterion else ()
