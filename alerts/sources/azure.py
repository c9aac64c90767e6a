"""Azure Monitor's common alert schema (metric, log search and activity log alerts): one `Incoming` per
notification, keyed by the alert's id so that its "Resolved" notification finds the "Fired" one."""

from __future__ import annotations

from typing import Any

from alerts.model import Incoming, Severity
from alerts.sources import fields
from alerts.sources.fields import Malformed
from core.models import Cloud

SOURCE = "azure"
SCHEMA = "azureMonitorCommonAlertSchema"

_SEVERITY = {
    "sev0": Severity.CRITICAL,
    "sev1": Severity.CRITICAL,
    "sev2": Severity.WARNING,
    "sev3": Severity.INFO,
    "sev4": Severity.INFO,
}
_CONDITION = {"Fired": "firing", "Resolved": "resolved"}
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


def parse(body: bytes) -> list[Incoming]:
    data = fields.need_object(fields.load_json(body), "")
    if data.get("schemaId") != SCHEMA:
        raise Malformed(f"schemaId is not {SCHEMA} (turn on the common alert schema in the action group)")
    payload = fields.need_object(data.get("data"), "data")
    essentials = fields.need_object(payload.get("essentials"), "data.essentials")
    context = fields.optional_object(payload.get("alertContext"), "data.alertContext")
    custom = fields.optional_object(payload.get("customProperties"), "data.customProperties")
    alert_id = fields.text(essentials.get("alertId"))
    if not alert_id:
        raise Malformed("data.essentials: missing alertId")
    condition = essentials.get("monitorCondition")
    if condition not in _CONDITION:
        raise Malformed(f"data.essentials: unknown monitorCondition {fields.quoted(condition)}")
    rule = fields.text(essentials.get("alertRule")) or "Azure Monitor alert"
    targets = essentials.get("alertTargetIDs")
    target = fields.text(targets[0]) if isinstance(targets, list) and targets else ""
    return [
        Incoming(
            source=SOURCE,
            fingerprint=fields.fingerprint(alert_id),
            status="resolved" if _CONDITION[condition] == "resolved" else "firing",
            severity=_SEVERITY.get(fields.text(essentials.get("severity")).lower(), Severity.WARNING),
            summary=fields.one_line(_summary(rule, context)),
            description=fields.description(fields.text(essentials.get("description"))),
            resource=fields.name(target.rstrip("/").rsplit("/", 1)[-1]) if target else None,
            provider=Cloud.AZURE,
            environment=fields.name(fields.first_of(custom, ("env", "environment"))),
            labels=fields.labels(
                custom,
                {
                    "alertRule": rule,
                    "severity": essentials.get("severity"),
                    "signalType": essentials.get("signalType"),
                    "monitoringService": essentials.get("monitoringService"),
                },
            ),
            starts_at=fields.rfc3339(essentials.get("firedDateTime"), "data.essentials.firedDateTime"),
            ends_at=fields.rfc3339(essentials.get("resolvedDateTime"), "data.essentials.resolvedDateTime"),
            links=_links(context),
        )
    ]


def _summary(rule: str, context: dict[str, Any]) -> str:
    """ "cpu-high: Percentage CPU > 25 (value 31.2)"; an activity log alert names its operation instead."""
    criteria = _first_criterion(context)
    if criteria:
        what = fields.text(criteria.get("metricName")) or fields.text(criteria.get("searchQuery"))
        operator = _OPERATOR.get(fields.text(criteria.get("operator")), fields.text(criteria.get("operator")))
        threshold = fields.scalar(criteria.get("threshold"))
        value = fields.scalar(criteria.get("metricValue"))
        condition = " ".join(part for part in (fields.clip(what, 80), operator, threshold) if part)
        if value:
            condition += f" (value {value})"
        return f"{rule}: {condition}" if condition else rule
    operation = fields.text(context.get("operationName"))
    return f"{rule}: {operation}" if operation else rule


def _first_criterion(context: dict[str, Any]) -> dict[str, Any]:
    condition = context.get("condition")
    all_of = condition.get("allOf") if isinstance(condition, dict) else None
    if isinstance(all_of, list) and all_of and isinstance(all_of[0], dict):
        return all_of[0]
    return {}


def _links(context: dict[str, Any]) -> tuple[str, ...]:
    """A log search alert links to its results in the portal."""
    criteria = _first_criterion(context)
    return fields.links(criteria.get("linkToFilteredSearchResultsUI"), criteria.get("linkToSearchResultsUI"))
