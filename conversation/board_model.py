"""The board's data as JSON-ready pydantic models: the shape the web app (web/), the live stream (bot/web) and the
Slack Home tab read. conversation.board builds it; a field renamed here is a change to the front end's contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from conversation.services import Services
from core.models import ConversationRef

Worst = Literal["ok", "degraded", "down", "unknown"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class BoardUser(_Part):
    name: str
    role: str | None


class HealthRow(_Part):
    """One cloud's environment: its resources (groups aside) counted by state, the worst state first in `states`."""

    cloud: str
    environment: str
    total: int
    counts: dict[str, int]
    states: list[str]  # the keys of `counts`, worst first
    worst: Worst
    age_seconds: float | None  # how old its data is; None: never read (or the simulated world, always current)
    problem: str | None  # the first problem, in status's words: "! AWS web-prod: 2 of 12 instances degraded"


class AlertItem(_Part):
    id: str
    title: str
    severity: str
    resource: str | None
    state: Literal["firing", "acked"]
    since: float
    acked_by: str | None
    can_ack: bool


class RunItem(_Part):
    id: str
    title: str
    state: str
    done: int  # steps done (or skipped)
    total: int
    current: str | None  # the step running now, by the runbook's name for it
    started_at: float
    drill: bool


class DeployItem(_Part):
    id: str
    service: str
    environment: str
    version: str
    state: str
    percent: int  # of the deploy's instances on the new version
    started_at: float


class IncidentItem(_Part):
    id: str
    severity: str
    title: str
    state: Literal["open", "resolved"]
    declared_at: float


class OnCallItem(_Part):
    schedule: str
    now: str | None
    next: str | None
    next_at: float | None


class CostSummary(_Part):
    currency: str
    month_to_date: float
    budget: float | None  # the budget over all spend, when one is set
    forecast: float | None  # the month-end projection
    age_seconds: float | None
    problem: str | None  # a cost source that failed on its last read


class EmergencyAction(_Part):
    label: str
    command: str  # what the app sends to /say: the same words chat understands
    danger: bool  # critical: a second admin approves


class Board(_Part):
    user: BoardUser
    generated_at: float
    health: list[HealthRow]
    alerts: list[AlertItem]
    runs: list[RunItem]
    deploys: list[DeployItem]
    incidents: list[IncidentItem]
    oncall: list[OnCallItem]
    cost: CostSummary | None
    emergency: list[EmergencyAction]
    can_act: bool
    problems: list[str]  # a section that could not be read: "costs: no data yet"


@dataclass(frozen=True)
class Viewer:
    """Who the board is for, as the policy sees them on the app channel."""

    user: str
    role: str | None
    ref: ConversationRef
    now: float


def viewer_of(services: Services, user: str) -> Viewer:
    ref = ConversationRef(channel="app", conversation_id=user)
    return Viewer(user, services.policy.role_of(user, ref), ref, services.clock())
