"""Words for refusals ("scaling needs operator") and each action's base risk, from the action catalogue;
read-only intents, which the catalogue does not know, have their words here."""

from __future__ import annotations

from actions.catalogue import spec
from core.models import ActionName, IntentName, Risk

_INTENT_VERBS: dict[IntentName, str] = {
    IntentName.STATUS: "asking for status",
    IntentName.SEARCH: "searching resources",
    IntentName.SHOW: "showing resources",
    IntentName.COST: "reading costs",
    IntentName.FORECAST: "forecasting costs",
    IntentName.COST_WHY: "explaining costs",
    IntentName.SAVINGS: "finding savings",
    IntentName.COST_EXPORT: "exporting costs",
    IntentName.BUDGET: "reading budgets",
    IntentName.SET_BUDGET: "setting budgets",
    IntentName.METRIC: "reading metrics",
    IntentName.WATCH: "watching metrics",
    IntentName.DR_DRILL: "running DR drills",
    IntentName.DR_STATUS: "reading DR status",
    IntentName.PAUSE_RUNBOOK: "pausing runbooks",
    IntentName.RESUME_RUNBOOK: "resuming runbooks",
    IntentName.ABORT_RUNBOOK: "aborting runbooks",
    IntentName.DECLARE: "declaring incidents",
    IntentName.INCIDENT_UPDATE: "updating incidents",
    IntentName.INCIDENT_TIMELINE: "reading incident timelines",
    IntentName.RESOLVE_INCIDENT: "resolving incidents",
    IntentName.ALERTS: "listing alerts",
    IntentName.ACK: "acknowledging alerts",
    IntentName.RESOLVE: "resolving alerts",
    IntentName.ONCALL: "asking who is on call",
    IntentName.SILENCE: "silencing alerts",
    IntentName.ESCALATE: "escalating alerts",
    IntentName.TAKE_ONCALL: "taking the pager",
    IntentName.PERF: "reading opsbot's performance",
    IntentName.HELP: "asking for help",
    IntentName.CONFIRM: "confirming",
    IntentName.CANCEL: "cancelling",
    IntentName.UNKNOWN: "talking to opsbot",
}


def verb_ing(subject: IntentName | ActionName) -> str:
    if isinstance(subject, ActionName):
        return spec(subject).verb_ing
    return _INTENT_VERBS.get(subject, subject.value.replace("_", " "))


def verb(action: ActionName, scale_down: bool = False) -> str:
    """The plain verb: "bob may stop at most 10 instances"."""
    return "scale down" if scale_down else spec(action).title.lower()


def base_risk(action: ActionName) -> Risk:
    return spec(action).risk
