"""Deployments, as data: what a release is (the manifest's types), what is asked (a `DeployRequest`, bound to its
confirmation like every change), what runs (a `DeployRecord`, one `GroupRollout` per group) and the one interface
each cloud implements to roll a group to a version (`RolloutBackend`).

A service ("web") has environments ("prod"), each a list of groups in any of the clouds ("web-prod" in AWS,
"web-edge-prod" in Google Cloud). A version ("v2.4") says what it means in each cloud: an AWS launch template
version (or an AMI), an Azure image, a Google instance template. Deploying is rolling every group of one
environment to one version; a rollback is a deploy back to the previous good version."""

from __future__ import annotations

import hashlib
import json
from typing import Literal, Protocol, runtime_checkable

from pydantic import Field, model_validator

from core.models import Cloud, ConversationRef, Frozen

# -- the manifest -------------------------------------------------------------------------------------------------


class VersionSpec(Frozen):
    """What one version is in one cloud. Exactly one way per cloud:
    AWS: `launch_template` with its `template_version` (a number: never $Latest or $Default, which a rollback
    cannot return to), or an `ami` (a new launch template version is made from the group's own, with that image);
    Azure: `image` (an image or a gallery image version resource id); Google Cloud: `instance_template` (a name or
    URL). The simulated world takes any of them: there a version is its name."""

    launch_template: str | None = Field(default=None, max_length=256)
    template_version: str | None = Field(default=None, pattern=r"^[1-9][0-9]{0,8}$")
    ami: str | None = Field(default=None, pattern=r"^ami-[0-9a-f]{8,17}$")
    image: str | None = Field(default=None, max_length=512)
    instance_template: str | None = Field(default=None, max_length=512)

    @model_validator(mode="after")
    def _one_way(self) -> VersionSpec:
        if (self.launch_template is None) != (self.template_version is None):
            raise ValueError("a launch template needs its version (a number), and a version its launch template")
        ways = [self.launch_template, self.ami, self.image, self.instance_template]
        if sum(w is not None for w in ways) != 1:
            raise ValueError(
                "say one of: launch_template + template_version, ami (AWS); image (Azure); instance_template (Google)"
            )
        return self

    def describe(self) -> str:
        """How a reply names it: "launch template web v7", "ami-0abc...", the image's or template's last part."""
        if self.launch_template is not None:
            return f"launch template {self.launch_template} v{self.template_version}"
        if self.ami is not None:
            return self.ami
        whole = self.image or self.instance_template or ""
        return whole.rstrip("/").rsplit("/", 1)[-1]


class Strategy(Frozen):
    """How a group rolls. Each cloud maps it to its own settings (AWS instance refresh preferences, an Azure scale
    set's rolling upgrade policy, a Google MIG's update policy)."""

    batch_percent: int = Field(default=20, ge=1, le=100)  # share of the group replaced at once
    surge: int = Field(default=1, ge=0, le=100)  # instances added above the group's size while it rolls
    min_healthy_percent: int = Field(default=90, ge=0, le=100)  # kept in service throughout
    # The deploy fails (and stops itself) when more than this share of the new instances fail their health checks.
    max_unhealthy_percent: int = Field(default=20, ge=0, le=100)
    warmup_seconds: int = Field(default=60, ge=0, le=3600)  # a new instance counts as healthy after this
    canary_percent: int | None = Field(default=None, ge=1, le=50)  # Google MIG: a canary version first
    checkpoints: tuple[int, ...] = ()  # AWS: percentages where the refresh waits (CheckpointPercentages)
    auto_rollback: bool = False  # AWS: AutoRollback; elsewhere opsbot rolls a failed deploy back itself
    alarms: tuple[str, ...] = ()  # AWS: CloudWatch alarms whose ALARM state fails the refresh


class GroupRef(Frozen):
    group: str = Field(min_length=1, max_length=128)  # the inventory's name for it ("web-prod")
    strategy: Strategy | None = None  # None: the environment's


class Environment(Frozen):
    groups: tuple[GroupRef, ...] = Field(min_length=1)
    strategy: Strategy = Field(default_factory=Strategy)


class Version(Frozen):
    aws: VersionSpec | None = None
    azure: VersionSpec | None = None
    gcp: VersionSpec | None = None
    changes: tuple[str, ...] = ()  # changelog lines the preview shows ("checkout retries payment once")
    commit: str | None = Field(default=None, max_length=64)  # the commit it was built from
    # The simulated world only: this version's new instances fail their health checks (the demo's broken release).
    simulate_unhealthy: bool = False

    def spec_for(self, cloud: Cloud) -> VersionSpec | None:
        return {Cloud.AWS: self.aws, Cloud.AZURE: self.azure, Cloud.GCP: self.gcp}[cloud]


class Service(Frozen):
    description: str = ""
    # Where the changes between two versions are read: "https://github.com/example/web/compare/{from}...{to}",
    # filled with the versions' commits (or names when they have none).
    compare_url: str | None = None
    environments: dict[str, Environment] = Field(min_length=1)
    versions: dict[str, Version] = Field(min_length=1)


class Manifest(Frozen):
    services: dict[str, Service] = Field(default_factory=dict)


# -- what is asked ------------------------------------------------------------------------------------------------

DeployKind = Literal["deploy", "rollback"]


class GroupChange(Frozen):
    """One group's part of a deploy, as planned from the inventory and the manifest."""

    group_id: str  # the inventory's id ("aws:prod:us-east-1:asg/web-prod")
    group: str  # its name ("web-prod")
    cloud: Cloud
    region: str
    size: int = Field(ge=0)  # instances when planned
    from_version: str | None  # the manifest's name for what it runs now; None: not known
    to_version: str
    to: VersionSpec  # what `to_version` means in this cloud
    strategy: Strategy
    expected_seconds: int = Field(ge=0)  # how long the roll should take, for the preview and the ETA


class DeployRequest(Frozen):
    """Exactly what will be rolled where. Its `params_hash` binds a confirmation to it: the groups, their sizes and
    the versions they run now are in it, so a confirmation pressed after the world moved is refused."""

    kind: DeployKind
    service: str
    environment: str
    version: str  # the version every group goes to
    groups: tuple[GroupChange, ...] = Field(min_length=1)
    rollback_of: int | None = None  # a rollback: the deploy it undoes, when there is one
    freeze_override: str | None = Field(default=None, max_length=200)  # an admin's reason to deploy in a freeze
    requested_by: str

    @property
    def params_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"requested_by"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    @property
    def clouds(self) -> tuple[Cloud, ...]:
        return tuple(dict.fromkeys(g.cloud for g in self.groups))


# -- what runs ----------------------------------------------------------------------------------------------------

RolloutStatus = Literal[
    "pending", "rolling", "paused", "succeeded", "failed", "cancelled", "rolling_back", "rolled_back"
]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "rolled_back"})


class RolloutState(Frozen):
    """A group's rollout as its cloud reports it now."""

    status: RolloutStatus
    percent: int = Field(default=0, ge=0, le=100)  # of the group's instances on the new version
    updated: int = Field(default=0, ge=0)  # instances on the new version
    healthy: int = Field(default=0, ge=0)  # instances in service and healthy (any version)
    total: int = Field(default=0, ge=0)  # instances the group should have
    unhealthy: tuple[str, ...] = ()  # names of new instances failing their health checks
    detail: str = ""  # the cloud's own words for where it is ("Waiting for instances to warm up"), one line


class GroupRollout(Frozen):
    change: GroupChange
    handle: str | None = None  # the cloud's id for the rollout (instance refresh id, operation, ...); None: not begun
    state: RolloutState = Field(default_factory=lambda: RolloutState(status="pending"))
    started_at: float | None = None
    finished_at: float | None = None


DeployState = Literal[
    "starting", "rolling", "paused", "succeeded", "failed", "cancelled", "rolling_back", "rolled_back"
]
DEPLOY_FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "rolled_back"})


class DeployRecord(Frozen):
    """One deploy (or rollback) from confirmation to its end, kept in Redis (actions.deploy.records) and in the
    audit. `id` is the number people use ("deploy 17")."""

    id: int = Field(ge=1)
    request: DeployRequest
    state: DeployState = "starting"
    groups: tuple[GroupRollout, ...]
    ref: ConversationRef  # where the deploy was asked: its progress message lives there
    reply_key: str  # the one message edited with progress
    approved_by: str | None = None  # the confirmer (a second person when policy asked for one)
    created_at: float
    finished_at: float | None = None
    failure: str | None = None  # why it failed or stopped, one line
    milestones: tuple[str, ...] = ()  # thread replies already sent ("started", "web-prod done", "finished")

    @property
    def finished(self) -> bool:
        return self.state in DEPLOY_FINISHED


# -- the clouds ---------------------------------------------------------------------------------------------------


class RolloutBackend(Protocol):
    """Rolls one cloud's groups to a version. Every method raises the `core.errors` tree, never an SDK exception
    (`ProviderError` with one plain line naming the cloud and the group; `TransientProviderError` for 429/5xx), and
    is safe to call again after a worker died half way (check-then-act)."""

    cloud: Cloud

    def running(self, change: GroupChange) -> VersionSpec | None:
        """What the group's model (launch template version, scale set image, MIG template) says it runs now;
        None when it cannot be told (a group made some other way)."""
        ...

    def check(self, change: GroupChange) -> list[str]:
        """What stops `change` from starting, one line each naming the cloud, the group and the fix: the image or
        template missing or unreadable, the instance type not offered in the region, too little quota for the
        surge, the group too unhealthy to start. Read-only; answers in well under 2 s (called in parallel for every
        group of a deploy)."""
        ...

    def start(self, change: GroupChange) -> str:
        """Begin rolling the group to `change.to` with `change.strategy`; returns the rollout's handle. A rollout of
        this group to the same version already in flight (or done) is returned, never started twice."""
        ...

    def state(self, change: GroupChange, handle: str) -> RolloutState:
        """Where the rollout is now, from the cloud (one or two reads)."""
        ...

    def pause(self, change: GroupChange, handle: str) -> str:
        """Stop replacing instances, keeping those replaced; returns the handle to resume with."""
        ...

    def resume(self, change: GroupChange, handle: str) -> str:
        """Go on from where a pause left it (instances already on the version are not replaced again)."""
        ...

    def cancel(self, change: GroupChange, handle: str) -> None:
        """Stop the rollout for good where it is."""
        ...

    def roll_back(self, change: GroupChange, handle: str | None) -> str:
        """Return the group to `change.to` (the previous good version), stopping a rollout in flight (`handle`).
        AWS uses RollbackInstanceRefresh where it applies (not after a $Latest/$Default refresh), else starts a
        new refresh; the others start a rollout to `change.to`. Returns the new handle."""
        ...


@runtime_checkable
class PacedRollouts(Protocol):
    """A backend that knows how long its own rollouts take (the simulated world rolls a batch in about a second): its
    estimate replaces the clouds' usual boot and warm-up times in the preview and the ETA, which would otherwise say
    minutes for a roll that ends in seconds."""

    def expected_seconds(self, change: GroupChange) -> int: ...
