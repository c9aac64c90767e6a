"""A DR runbook, as its YAML file says it (`OPSBOT_RUNBOOKS` names a folder; policies/runbooks/ ships the example
for web-prod -> web-dr). The loader (policies.runbooks) reports every problem with its file and line; the workers
run the steps in order (workers/runbook_*.py); the conversation previews them and asks for the approval.

A runbook protects one primary group with one standby, and knows the DNS name that carries the service's traffic.
`kind` says what it does: a failover (traffic to the standby), or a failback (back to the primary). A drill is any
runbook run dry: every read and check runs, every change is simulated and timed.

Each step is exactly one of:
- `do`: an action from the catalogue below, with its `undo` (what an abort runs, in reverse order);
- `wait`: a condition checked until it holds, or the step fails after `timeout_seconds`;
- `human`: something a person does and ticks with a button; only a holder of `role` may tick it.

`parameters` are named values a step's `message` and `url` (and the replication check's `url`) use as `{name}`;
`{primary}`, `{standby}` and `{service}` are always there (policies.runbook_params fills them in). `preconditions`
are checked once before the preview is shown: one that does not hold refuses the run (a drill shows it instead).
`replication` reads the replication lag that "dr status" shows and `replication_lag_below` checks."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from actions.dns.model import DnsTarget
from core.models import Frozen


class Do(StrEnum):
    """What an action step does. Each is check-then-act: run again after a worker died, it finds its work done."""

    SCALE_STANDBY = "scale_standby"  # the standby to the primary's size (as the runbook started); undo: back to 0
    SCALE_PRIMARY = "scale_primary"  # the primary back to its size before the failover (a failback); undo: to 0
    DRAIN_PRIMARY = "drain_primary"  # the primary to 0 instances; undo: back to its size
    DRAIN_STANDBY = "drain_standby"  # the standby to 0 (a failback's last step); undo: back to its size
    SWITCH_DNS = "switch_dns"  # the DNS name to the standby (failover) or the primary (failback); undo: back
    HEALTH_CHECK = "health_check"  # GET `url`, expecting `expect_status`; no undo (it changes nothing)
    POST = "post"  # `message` to the incident channels and stakeholders; no undo


class Wait(StrEnum):
    STANDBY_HEALTHY = "standby_healthy"  # the standby runs at least `min_healthy` (default: the primary's size)
    PRIMARY_HEALTHY = "primary_healthy"
    DNS_SETTLED = "dns_settled"  # the last DNS change is live at the name servers (Route 53 INSYNC ...)


class Precondition(StrEnum):
    """What must hold before a run is previewed (conversation.dr_checks reads each)."""

    STANDBY_EXISTS = "standby_exists"  # the standby group is in the inventory
    PRIMARY_HAS_INSTANCES = "primary_has_instances"  # the primary runs more than 0 instances
    STANDBY_HAS_INSTANCES = "standby_has_instances"
    DNS_POINTS_AT_PRIMARY = "dns_points_at_primary"  # a failover's: traffic is on the primary now
    DNS_POINTS_AT_STANDBY = "dns_points_at_standby"  # a failback's: traffic is on the standby now
    NO_DEPLOY_RUNNING = "no_deploy_running"  # no deploy of the service, or of either group, is running
    REPLICATION_LAG_BELOW = "replication_lag_below"  # the `replication` check reads a lag below its limit


class Replication(Frozen):
    """Where the replication lag is read: GET `url` answers the lag in seconds, as a plain number or JSON (a
    number, or an object whose `field` holds it)."""

    url: str = Field(min_length=1, max_length=500)  # may use the runbook's {parameters}
    field: str | None = Field(default=None, min_length=1, max_length=64)  # the JSON key: "lag_seconds"
    limit_seconds: float = Field(default=30, gt=0, le=86400)  # above it: "dr status" flags it, the check fails


UNDO: dict[Do, Do | None] = {
    Do.SCALE_STANDBY: Do.DRAIN_STANDBY,
    Do.SCALE_PRIMARY: Do.DRAIN_PRIMARY,
    Do.DRAIN_PRIMARY: Do.SCALE_PRIMARY,
    Do.DRAIN_STANDBY: Do.SCALE_STANDBY,
    Do.SWITCH_DNS: Do.SWITCH_DNS,  # back to where it pointed before
    Do.HEALTH_CHECK: None,
    Do.POST: None,
}


class Step(Frozen):
    name: str = Field(min_length=1, max_length=120)  # as the checklist shows it: "Scale web-dr to web-prod's size"
    do: Do | None = None
    wait: Wait | None = None
    human: bool = False
    role: str | None = None  # a human step: who may tick it (a policy role; default operator)
    url: str | None = Field(default=None, min_length=1, max_length=500)  # health_check; may use {parameters}
    expect_status: int = Field(default=200, ge=100, le=599)
    message: str | None = Field(default=None, max_length=500)  # post; may use {parameters}
    # A wait on health: at least this many healthy; or "{name}", a parameter holding that number.
    min_healthy: Annotated[int, Field(ge=0)] | Annotated[str, Field(max_length=64)] | None = None
    timeout_seconds: int = Field(default=600, ge=1, le=86400)  # a wait fails after this; an action's own limit
    expect_seconds: int = Field(default=60, ge=0, le=86400)  # how long it should take: the preview and RTO estimate
    undo: bool = True  # an action step: False when an abort must leave it be (a post, a check have none anyway)

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [self.do is not None, self.wait is not None, self.human]
        if sum(kinds) != 1:
            raise ValueError("a step is exactly one of: do (an action), wait (a condition) or human: true")
        if self.do is Do.HEALTH_CHECK and self.url is None:
            raise ValueError("a health_check step needs its url")
        if self.do is Do.POST and not self.message:
            raise ValueError("a post step needs its message")
        if self.role is not None and not self.human:
            raise ValueError("only a human step has a role (who may tick it)")
        return self

    @property
    def kind(self) -> Literal["do", "wait", "human"]:
        return "do" if self.do is not None else "wait" if self.wait is not None else "human"


class Runbook(Frozen):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")  # "web-failover"
    title: str = Field(min_length=1, max_length=120)  # "Fail web-prod over to web-dr"
    kind: Literal["failover", "failback"]
    service: str = Field(min_length=1, max_length=64)  # what people call it: "web"
    primary: str = Field(min_length=1, max_length=128)  # the inventory's group names
    standby: str = Field(min_length=1, max_length=128)
    dns: DnsTarget | None = None  # the name that carries the traffic; places include primary and standby
    stakeholders: tuple[str, ...] = ()  # opsbot users told by direct message (and SMS at start and end)
    parameters: dict[str, str | int | float] = Field(default_factory=dict)  # {name} in a message or a url
    preconditions: tuple[Precondition, ...] = ()  # checked once before the preview: one failing refuses
    replication: Replication | None = None  # the replication lag "dr status" shows
    broadcast_minutes: float | None = Field(default=None, gt=0, le=120)  # None: OPSBOT_DR_BROADCAST_MINUTES
    steps: tuple[Step, ...] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _dns_steps_have_a_name(self) -> Runbook:
        needs_dns = any(s.do is Do.SWITCH_DNS or s.wait is Wait.DNS_SETTLED for s in self.steps)
        if needs_dns and self.dns is None:
            raise ValueError("a runbook that switches DNS names its dns: cloud, zone, name and places")
        if self.dns is not None and not {self.primary, self.standby} <= set(self.dns.places):
            raise ValueError(f"dns.places must name {self.primary} and {self.standby}")
        return self

    @property
    def expected_seconds(self) -> int:
        return sum(s.expect_seconds for s in self.steps)
