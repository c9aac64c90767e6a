"""Typed, immutable messages that cross package boundaries."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cloud(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


class IntentName(StrEnum):
    STATUS = "status"
    SEARCH = "search"
    SHOW = "show"
    SCALE = "scale"
    START = "start"
    STOP = "stop"
    RESTART = "restart"
    EMERGENCY_SCALE = "emergency_scale"
    SHUTDOWN = "shutdown"
    FAILOVER = "failover"
    COST = "cost"
    FORECAST = "forecast"  # "forecast", "will we go over": the month-end projection with an interval and budgets
    COST_WHY = "cost_why"  # "why did cost jump on tuesday": what moved, against the same weekday before
    SAVINGS = "savings"  # "what can we cut": recommendations with $/month, each with its action
    COST_EXPORT = "cost_export"  # "export costs for november": a gzip CSV file
    BUDGET = "budget"  # "budgets": the budgets and where each stands
    SET_BUDGET = "set_budget"  # "set budget prod to $20k a month": an admin's change of opsbot's own config
    DEPLOY = "deploy"  # "deploy web v2.4 to prod": a service's release rolled to its groups in every cloud
    ROLLBACK = "rollback"  # "rollback web-prod", "roll back web to v2.3": back to the previous good version
    DEPLOY_STATUS = "deploy_status"  # "deploy status", "deploy status web", "deploys today"
    DEPLOY_HISTORY = "deploy_history"  # "history web", "deploy history web": versions, who, when, outcome
    PAUSE_DEPLOY = "pause_deploy"  # "pause deploy web": the running rollouts stop replacing instances
    RESUME_DEPLOY = "resume_deploy"  # "resume deploy web"
    CANCEL_DEPLOY = "cancel_deploy"  # "cancel deploy web": stop where it is (instances replaced so far stay)
    FAILBACK = "failback"  # "fail back web-prod": the runbook that returns traffic to the primary
    DR_DRILL = "dr_drill"  # "dr drill web-prod": the failover runbook as a dry run, timed, with a report
    DR_STATUS = "dr_status"  # "dr status": per protected service, standby vs primary, last drill, where DNS points
    PAUSE_RUNBOOK = "pause_runbook"  # "pause the failover": the running runbook stops before its next step
    RESUME_RUNBOOK = "resume_runbook"
    ABORT_RUNBOOK = "abort_runbook"  # "abort the failover": undo the completed steps (after its own confirmation)
    DECLARE = "declare"  # "declare sev1 web-prod down": an incident with a number and a channel
    INCIDENT_UPDATE = "incident_update"  # "inc 7 update db replica lagging": fanned out to the incident's channels
    INCIDENT_TIMELINE = "incident_timeline"  # "inc 7 timeline"
    RESOLVE_INCIDENT = "resolve_incident"  # "resolve inc 7 replica promoted, traffic back": closes it, summary
    ALERTS = "alerts"
    ACK = "ack"
    RESOLVE = "resolve"
    ONCALL = "oncall"
    SILENCE = "silence"  # mute an alert's notifications and escalation for a while
    ESCALATE = "escalate"  # page the next person in the escalation chain now
    TAKE_ONCALL = "take_oncall"  # "I'll take tonight": the sender carries the pager for a period
    PERF = "perf"
    METRIC = "metric"  # "cpu of web-prod last 6h", "top 5 instances by cpu in prod"
    WATCH = "watch"  # "watch cpu of web-prod for 10 min": one message edited until it ends
    NOT_YET = "not_yet"  # a command opsbot does not have yet ("rollback web-prod"): said so, never another
    MORE = "more"  # the next page of the last list in this conversation
    HELP = "help"
    DASHBOARD = "dashboard"  # "dashboard", "open the app": a one-time sign-in link to the phone dashboard, by DM
    CONFIRM = "confirm"
    CANCEL = "cancel"
    UNKNOWN = "unknown"


class Slots(Frozen):
    """What the parser pulled out of an utterance. Unset slots are None."""

    provider: Cloud | None = None
    environment: str | None = None
    region: str | None = None
    target: str | None = None  # resource name as typed (resolution happens later)
    count: int | None = None  # absolute size ("scale web-prod to 20")
    delta: int | None = None  # signed relative change ("add 4", "down by two")
    period: str | None = None  # "this_month", "last_month", "today", "7d" ...; taking the pager: "tonight", "week"
    alert_id: int | None = None
    duration_seconds: int | None = Field(default=None, gt=0)  # "silence 42 1h" -> 3600; the parser caps it at 7 days
    query: str | None = None  # free text of a search ("find web")
    state: str | None = None  # resource state filter ("stopped")
    kind: str | None = None  # resource kind filter ("instance", "database", ...)
    group_by: str | None = None  # "provider", "environment", "region", "service"
    topic: str | None = None  # "help scale" -> "scale"
    destination: str | None = None  # failover destination ("dr", "azure", "web-dr")
    code: str | None = None  # confirmation code typed on channels without buttons
    # A group's own limit to move with the scale, said in so many words ("... and raise the max"): "max" or "min".
    limit: Literal["max", "min"] | None = None
    limit_count: int | None = Field(default=None, ge=0)  # the new limit when said ("raising max to 20")
    # Metrics: which one ("cpu", "memory", "latency_p99", ... - actions.metrics.model.Metric), the range as
    # `duration_seconds` ("last 6h") or `period` ("today") or `since` ("03:00", the user's clock, 24 h), and a
    # comparison ("last_week", "yesterday"). "top 5 instances by cpu" sets `count` and `kind`.
    metric: str | None = None
    since: str | None = None
    compare: str | None = None  # also costs: "last_month" ("compare with last month")
    # Costs: a day ("2026-12-01", or a weekday "tuesday": the latest one before today), a month ("2026-11") for an
    # export, a money amount in USD ("$20k" -> 20000.0), and who a budget is for ("prod", "aws", "team:payments").
    day: str | None = None
    month: str | None = None
    amount: float | None = Field(default=None, ge=0)
    budget_scope: str | None = None
    # Deployments: the release asked for ("v2.4", "2.4.1", "a1b2c3d"), as typed; the manifest names what it means.
    # `target` names the service ("web") or one of its groups ("web-prod"), `environment` where it goes.
    version: str | None = Field(default=None, max_length=64)
    # Why a rule is overridden, in the asker's words ("deploy web v2.4 to prod despite the freeze: fixes checkout").
    reason: str | None = Field(default=None, max_length=200)
    # Incidents: its number ("inc 7"), a severity when declared ("sev1"), and free words (a declared incident's
    # title, an update, a resolution's summary).
    incident_id: int | None = Field(default=None, ge=1)
    severity: Literal["sev1", "sev2", "sev3", "sev4"] | None = None
    note: str | None = Field(default=None, max_length=500)

    def present(self) -> dict[str, object]:
        """The slots that are set, JSON-ready."""
        return self.model_dump(mode="json", exclude_none=True)


class Intent(Frozen):
    name: IntentName
    slots: Slots = Field(default_factory=Slots)
    confidence: float = Field(ge=0.0, le=1.0)
    text: str = ""


class Button(Frozen):
    id: str  # stable id the channel sends back when pressed ("confirm:AB12", "pick:web-prod")
    label: str
    style: Literal["primary", "danger", "default"] = "default"
    # A link instead of a press: opened by the phone (the dashboard, a sign-in link). Telegram opens a link to
    # opsbot's own dashboard as its Mini App in a private chat; elsewhere, and on Slack, as a web page.
    url: str | None = None


class ConversationRef(Frozen):
    """Where a conversation happens, so replies (and later edits) go back to the same place."""

    channel: str  # "console", "slack", "telegram"
    conversation_id: str  # chat / channel id
    thread_id: str | None = None


class Message(Frozen):
    """One inbound chat message or button press, already translated by an adapter."""

    ref: ConversationRef
    sender: str  # platform user id as the channel knows it ("alice" on console, "U123ABC" on Slack)
    text: str = ""
    button_id: str | None = None  # set when this is a button press instead of text
    message_id: str | None = None
    received_at: float  # unix seconds


class ChartSeries(Frozen):
    label: str  # "web-prod avg", "i-0abc"
    points: tuple[tuple[float, float], ...]  # (unix seconds, value), oldest first


class ChartBand(Frozen):
    """A shaded interval ("forecast 80%"): low and high at the same times."""

    label: str
    points: tuple[tuple[float, float, float], ...]  # (unix seconds, low, high), oldest first


class ChartBar(Frozen):
    label: str  # "EC2", "payments"
    value: float


class ChartMark(Frozen):
    at: float  # unix seconds
    label: str  # "alert 42 fired"


class Chart(Frozen):
    """A line chart for a phone, as data: the channel's adapter renders it (bot.charts) and uploads the picture."""

    title: str  # "web-prod CPU, last 6 h"
    unit: str  # "%", "ms", "/s", "B/s"
    series: tuple[ChartSeries, ...]
    threshold: float | None = None  # drawn as a line ("alert at 80%")
    marks: tuple[ChartMark, ...] = ()  # vertical lines: alerts, incidents
    filename: str = "chart.png"
    kind: Literal["line", "bar"] = "line"  # bar: `bars` drawn as horizontal bars, biggest first ("top spenders")
    bars: tuple[ChartBar, ...] = ()
    band: ChartBand | None = None  # drawn under the series (a forecast's interval)
    threshold_label: str | None = None  # the threshold line's label ("budget $20k"); None: "alert <value><unit>"


class Attachment(Frozen):
    """A file sent with a reply (an export). Its bytes wait in Redis under `blob_key` (core.blobs) rather than in
    the outbox entry."""

    filename: str  # "costs-2026-11.csv.gz"
    title: str
    blob_key: str
    size: int = Field(ge=0)  # bytes
    mime: str = "application/octet-stream"


class Reply(Frozen):
    """One outbound message, or an edit of an earlier one (`edit_of` = that reply's key)."""

    ref: ConversationRef
    key: str  # our id for this message; channels map it to their own message id
    text: str
    buttons: tuple[Button, ...] = ()
    edit_of: str | None = None
    # The key of an earlier message this one answers: posted in its thread (Slack), as a reply to it (Telegram).
    # The Deliverer hands the transport the platform's id of that message here instead (None: not known).
    reply_to: str | None = None
    kind: Literal["info", "confirm", "progress", "result", "error", "refusal"] = "info"
    chart: Chart | None = None  # posted as a picture with the text (in the thread); edits carry none
    attachment: Attachment | None = None  # posted as a file with the text (in the thread); edits carry none


class ActionName(StrEnum):
    SCALE = "scale"
    START = "start"
    STOP = "stop"
    RESTART = "restart"
    EMERGENCY_SCALE = "emergency_scale"
    SHUTDOWN = "shutdown"
    FAILOVER = "failover"
    DEPLOY = "deploy"  # a release to a service's groups (actions.deploy): its own request, DeployRequest
    ROLLBACK = "rollback"  # a service back to its previous good version (or one named)
    FAILBACK = "failback"  # a DR runbook back to the primary (FAILOVER with a runbook runs the failover runbook)


# Intents that change infrastructure, one for each action; everything else is read-only or conversational.
CHANGING_INTENTS = frozenset(IntentName(action.value) for action in ActionName)


class Risk(StrEnum):
    READ = "read"
    CHANGE = "change"
    CRITICAL = "critical"


class Located(Protocol):
    """What a request names of its resource (an `actions.provider.Resource` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def cloud(self) -> Cloud: ...
    @property
    def region(self) -> str: ...
    @property
    def environment(self) -> str: ...


class ActionRequest(Frozen):
    """Exactly what will be done. Its `params_hash` binds a confirmation to these parameters."""

    action: ActionName
    resource_id: str
    resource_name: str
    cloud: Cloud
    region: str
    environment: str
    desired_count: int | None = None  # scale / emergency scale: the absolute size after the change
    destination_id: str | None = None  # failover: the standby that takes over
    # A group's own limits after the change, when the request changes them too (an admin's "scale web-prod to 20
    # and raise max"): shown in the plan ("max 10 -> 20") and bound to the confirmation like every parameter.
    new_min_count: int | None = Field(default=None, ge=0)
    new_max_count: int | None = Field(default=None, ge=0)
    requested_by: str  # opsbot user name

    @classmethod
    def on(cls, resource: Located, action: ActionName, *, requested_by: str, **params: Any) -> ActionRequest:
        """`action` on `resource`, named as the inventory names it; `params` are the change's own fields
        (`desired_count`, `destination_id`, `new_min_count`, `new_max_count`)."""
        return cls(
            action=action, resource_id=resource.id, resource_name=resource.name, cloud=resource.cloud,
            region=resource.region, environment=resource.environment, requested_by=requested_by, **params,
        )  # fmt: skip

    @property
    def params_hash(self) -> str:
        unset_limits = {name for name in ("new_min_count", "new_max_count") if getattr(self, name) is None}
        body = self.model_dump(mode="json", exclude={"requested_by", *unset_limits})  # older hashes stay valid
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()
