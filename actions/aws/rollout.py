"""`AwsRollouts`: the `RolloutBackend` for AWS Auto Scaling groups, through instance refresh.

A version is a launch template version (or an AMI: then a launch template version of the group's own template with
that image, found or made once). `start` is StartInstanceRefresh with that DesiredConfiguration; the Strategy maps
to the refresh preferences: MinHealthyPercentage keeps min_healthy_percent (and never lets more than batch_percent
out at once), MaxHealthyPercentage is 100 + the surge's share of the group, InstanceWarmup, SkipMatching (so a
resumed or repeated refresh replaces only what is not on the version yet), CheckpointPercentages, AutoRollback and
the CloudWatch alarms. AWS has no "share of failed instances" setting: a refresh whose new instances fail their
health checks fails (max_unhealthy_percent is opsbot's to judge from `state`).

The handle is the instance refresh id; ":paused" after `pause` (AWS has no pause: CancelInstanceRefresh keeps the
replaced instances, and `resume` starts a new refresh with SkipMatching) and ":rollback" for a refresh that
RollbackInstanceRefresh turned around (its progress then counts back towards the old version). AWS allows one
active refresh per group, so every action looks first (check-then-act): a refresh to the same version already
rolling or done is returned, never started twice."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from actions.aws.api import Record
from actions.aws.clients import AwsClients, SessionFactory
from actions.aws.rollout_checks import GroupApi, RefusedByAws, group_template, problems
from actions.backend import Throttle
from actions.deploy.model import GroupChange, RolloutState, RolloutStatus, Strategy, VersionSpec
from actions.waiting import SYSTEM_CLOCK, Clock, Wait
from core.cloud_config import AwsAccount
from core.errors import ProviderError, ResourceNotFound, TransientProviderError
from core.models import Cloud

ACTIVE = frozenset({"Pending", "InProgress", "Baking", "Cancelling", "RollbackInProgress"})
ROLLING = frozenset({"Pending", "InProgress", "Baking"})
PAUSED, ROLLBACK = "paused", "rollback"
_STATUS: dict[str, RolloutStatus] = {
    "Pending": "pending", "InProgress": "rolling", "Baking": "rolling", "Successful": "succeeded", "Failed": "failed",
    "Cancelling": "cancelled", "Cancelled": "cancelled", "RollbackInProgress": "rolling_back",
    "RollbackSuccessful": "rolled_back", "RollbackFailed": "failed",
}  # fmt: skip
# A refresh turned around by RollbackInstanceRefresh, seen by the rollback it became.
_AS_ROLLBACK: dict[str, RolloutStatus] = {
    "RollbackInProgress": "rolling", "RollbackSuccessful": "succeeded", "RollbackFailed": "failed"
}  # fmt: skip
_ROLLBACK_REFUSED = frozenset({"IrreversibleInstanceRefresh", "ValidationError", "ActiveInstanceRefreshNotFound"})


class Target(NamedTuple):
    id: str
    name: str
    version: str  # a number

    def matches(self, spec: Record) -> bool:
        """Whether a LaunchTemplateSpecification (id or name, version) names this version."""
        same = spec.get("LaunchTemplateId") == self.id or spec.get("LaunchTemplateName") == self.name
        return same and str(spec.get("Version")) == self.version


def preferences(strategy: Strategy, size: int, *, auto_rollback: bool) -> Record:
    """The instance refresh preferences for a strategy on a group of `size` instances."""
    minimum = max(strategy.min_healthy_percent, 100 - strategy.batch_percent)
    surge_share = math.ceil(100 * strategy.surge / size) if size else 0
    chosen: Record = {
        "MinHealthyPercentage": minimum,
        "MaxHealthyPercentage": min(200, minimum + 100, 100 + surge_share),
        "InstanceWarmup": strategy.warmup_seconds,
        "SkipMatching": True,
        "AutoRollback": auto_rollback,
    }
    if strategy.checkpoints:
        chosen["CheckpointPercentages"] = sorted(set(strategy.checkpoints) | {100})  # the last must be 100
    if strategy.alarms:
        chosen["AlarmSpecification"] = {"Alarms": list(strategy.alarms)}
    return chosen


def rollout_state(refresh: Record, group: Record, mode: str = "") -> RolloutState:
    """A refresh (DescribeInstanceRefreshes) and its group (DescribeAutoScalingGroups) as a `RolloutState`."""
    word = str(refresh.get("Status", "Pending"))
    status = _STATUS.get(word, "rolling")
    if mode == ROLLBACK:
        status = _AS_ROLLBACK.get(word, status)
    elif mode == PAUSED and word in ("Cancelling", "Cancelled"):
        status = "paused"
    total = int(group.get("DesiredCapacity", 0))
    members = group.get("Instances", [])
    done = int(refresh.get("PercentageComplete", 0))
    if mode == ROLLBACK:  # AWS counts PercentageComplete back down to 0 as the old version returns
        percent, updated = 100 - done, total - round(done * total / 100)
    elif status == "succeeded":
        percent, updated = 100, total
    else:
        left = refresh.get("InstancesToUpdate")
        percent = done
        updated = round(done * total / 100) if left is None else max(0, total - int(left))
    return RolloutState(
        status=status,
        percent=max(0, min(100, percent)),
        updated=max(0, updated),
        healthy=sum(
            1 for m in members if m.get("LifecycleState") == "InService" and m.get("HealthStatus") == "Healthy"
        ),
        total=total,
        unhealthy=tuple(sorted(str(m["InstanceId"]) for m in members if m.get("HealthStatus") == "Unhealthy")),
        detail=" ".join(str(refresh.get("StatusReason", "")).split())[:200],
    )


def _split(handle: str) -> tuple[str, str]:
    refresh_id, _, mode = handle.partition(":")
    return refresh_id, mode


class AwsRollouts:
    cloud = Cloud.AWS

    def __init__(
        self,
        accounts: Sequence[AwsAccount],
        *,
        throttle: Throttle,
        timeout: float,
        session_factory: SessionFactory | None = None,
        poll_seconds: float = 0.5,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._clients = AwsClients(accounts, timeout=timeout, session_factory=session_factory, throttle=throttle)
        self._timeout, self._poll_seconds, self._clock = timeout, poll_seconds, clock

    def _api(self, change: GroupChange) -> GroupApi:
        """The group's calls, from its inventory id ("aws:prod:us-east-1:asg/web-prod")."""
        parts = change.group_id.split(":", 3)
        if len(parts) != 4 or parts[0] != Cloud.AWS.value or not parts[3].startswith("asg/"):
            raise ProviderError(f"AWS: {change.group} is not an Auto Scaling group; only groups can be deployed")
        return GroupApi(self._clients, self._clients.account(parts[1]), parts[2], parts[3].removeprefix("asg/"))

    def _resolve(self, api: GroupApi, spec: Record) -> tuple[Target, Record]:
        """A launch template spec, its version word ($Default, $Latest) resolved to the number."""
        key = {"LaunchTemplateId": spec["LaunchTemplateId"]} if spec.get("LaunchTemplateId") else {
            "LaunchTemplateName": spec.get("LaunchTemplateName", "")}  # fmt: skip
        version = str(spec.get("Version") or "$Default")
        found = api.template_version(key, version)
        if found is None:
            template = spec.get("LaunchTemplateName") or spec.get("LaunchTemplateId")
            raise ProviderError(f"AWS {api.name}: launch template {template} has no version {version}: create it, "
                                "or fix the version in the release manifest")  # fmt: skip
        target = Target(str(found["LaunchTemplateId"]), str(found["LaunchTemplateName"]), str(found["VersionNumber"]))
        return target, found

    def _target(self, api: GroupApi, change: GroupChange, group: Record) -> Target:
        """What `change.to` is in this group: its launch template version, or one with its AMI (made once)."""
        to = change.to
        if to.launch_template is not None:
            return self._resolve(api, {"LaunchTemplateName": to.launch_template, "Version": to.template_version})[0]
        if to.ami is None:
            raise ProviderError(
                f"AWS {api.name}: {change.to_version} names no launch template or AMI for AWS: add "
                f"aws: ami: ... under versions.{change.to_version} in the release manifest"
            )
        spec = group_template(group)
        if not spec:
            raise ProviderError(f"AWS {api.name}: the group has no launch template to put {to.ami} in: give "
                                f"{change.to_version} a launch_template in the release manifest")  # fmt: skip
        current, _data = self._resolve(api, spec)
        numbers = api.versions_with_image(current.id, to.ami)
        if numbers:
            return current._replace(version=str(max(numbers)))
        made = api.call(
            "ec2", "create_launch_template_version", LaunchTemplateId=current.id, SourceVersion=current.version,
            VersionDescription=f"opsbot {change.to_version}", LaunchTemplateData={"ImageId": to.ami},
        )["LaunchTemplateVersion"]  # fmt: skip
        return current._replace(version=str(made["VersionNumber"]))

    def running(self, change: GroupChange) -> VersionSpec | None:
        api = self._api(change)
        spec = group_template(api.record())
        if not spec:
            return None
        target, _data = self._resolve(api, spec)
        return VersionSpec(launch_template=target.name, template_version=target.version)

    def check(self, change: GroupChange) -> list[str]:
        return problems(self._api(change), change)

    def start(self, change: GroupChange) -> str:
        api = self._api(change)
        group = api.record()
        target = self._target(api, change, group)
        return self._already(api.refreshes(), target) or self._start(api, change, group, target)

    @staticmethod
    def _already(refreshes: list[Record], target: Target) -> str | None:
        """A refresh of the group to `target` still rolling, or the newest one when it got there."""
        for index, refresh in enumerate(refreshes):
            desired = refresh.get("DesiredConfiguration", {}).get("LaunchTemplate", {})
            if target.matches(desired) and (refresh["Status"] in ROLLING or
                                            (index == 0 and refresh["Status"] == "Successful")):  # fmt: skip
                return str(refresh["InstanceRefreshId"])
        return None

    def _start(self, api: GroupApi, change: GroupChange, group: Record, target: Target) -> str:
        reversible = str(group_template(group).get("Version", "")).isdigit()  # AWS refuses AutoRollback otherwise
        size = int(group.get("DesiredCapacity", change.size))
        chosen = preferences(change.strategy, size, auto_rollback=change.strategy.auto_rollback and reversible)
        try:
            answer = api.call(
                "autoscaling", "start_instance_refresh", AutoScalingGroupName=api.name, Strategy="Rolling",
                DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": target.id, "Version": target.version}},
                Preferences=chosen,
            )  # fmt: skip
        except RefusedByAws as exc:
            if exc.code != "InstanceRefreshInProgress":
                raise
            refreshes = api.refreshes()
            if found := self._already(refreshes, target):
                return found
            active = next((r for r in refreshes if r["Status"] in ACTIVE), {})
            if active.get("Status") == "Cancelling":
                raise TransientProviderError(
                    f"AWS {api.name}: the last instance refresh is still stopping; will retry"
                ) from exc
            running = active.get("InstanceRefreshId", "?")
            raise ProviderError(
                f"AWS {api.name}: another instance refresh is running ({running}): wait for it or cancel it"
            ) from exc
        return str(answer["InstanceRefreshId"])

    def _refresh(self, api: GroupApi, refresh_id: str) -> Record:
        found = api.refreshes((refresh_id,))
        if not found:
            raise ResourceNotFound(f"AWS {api.name}: instance refresh {refresh_id} not found (AWS keeps six weeks)")
        return found[0]

    def state(self, change: GroupChange, handle: str) -> RolloutState:
        api = self._api(change)
        refresh_id, mode = _split(handle)
        refresh = self._refresh(api, refresh_id)
        return rollout_state(refresh, api.record(), mode)

    def pause(self, change: GroupChange, handle: str) -> str:
        api = self._api(change)
        refresh_id, _mode = _split(handle)
        refresh = self._refresh(api, refresh_id)
        if refresh["Status"] in ROLLING:
            self._cancel(api)
        elif refresh["Status"] not in ("Cancelling", "Cancelled"):
            return handle  # it has finished: nothing to pause
        return f"{refresh_id}:{PAUSED}"

    def resume(self, change: GroupChange, handle: str) -> str:
        """A new refresh with SkipMatching: the instances the paused one replaced stay. A pause still stopping
        (Cancelling) is waited for, as AWS allows no second refresh until it has."""
        api = self._api(change)
        stopping = next((r for r in api.refreshes() if r["Status"] == "Cancelling"), None)
        if stopping is not None:
            self._stop(api, stopping)
        return self.start(change)

    def cancel(self, change: GroupChange, handle: str) -> None:
        api = self._api(change)
        if self._refresh(api, _split(handle)[0])["Status"] in ACTIVE - {"Cancelling"}:
            self._cancel(api)

    def _cancel(self, api: GroupApi, *, wait_for_transitions: bool = True) -> None:
        try:
            api.call("autoscaling", "cancel_instance_refresh", AutoScalingGroupName=api.name,
                     WaitForTransitioningInstances=wait_for_transitions)  # fmt: skip
        except RefusedByAws as exc:
            if exc.code != "ActiveInstanceRefreshNotFound":  # it ended meanwhile: nothing to stop
                raise

    def roll_back(self, change: GroupChange, handle: str | None) -> str:
        api = self._api(change)
        group = api.record()
        target = self._target(api, change, group)
        refreshes = api.refreshes()
        if found := self._already(refreshes, target):
            return found
        spec = group_template(group)
        before = self._resolve(api, spec)[0] if spec and refreshes else None  # kept until a refresh succeeds
        newest = refreshes[0] if refreshes else {}
        if before == target and newest.get("Status") in ("RollbackInProgress", "RollbackSuccessful"):
            return f"{newest['InstanceRefreshId']}:{ROLLBACK}"  # turned around already (a worker died after)
        active = next((r for r in refreshes if r["Status"] in ACTIVE), None)
        if active is None:
            return self._start(api, change, group, target)
        refresh_id = str(active["InstanceRefreshId"])
        if before == target and active["Status"] in ROLLING:
            try:
                api.call("autoscaling", "rollback_instance_refresh", AutoScalingGroupName=api.name)
            except RefusedByAws as exc:  # $Latest/$Default, or it ended meanwhile: a refresh back instead
                if exc.code not in _ROLLBACK_REFUSED:
                    raise
            else:
                return f"{refresh_id}:{ROLLBACK}"
        self._stop(api, active)
        return self._start(api, change, api.record(), target)

    def _stop(self, api: GroupApi, refresh: Record) -> None:
        """Cancel an active refresh without waiting for its launches, and wait until AWS says it stopped."""
        if refresh["Status"] != "Cancelling":
            self._cancel(api, wait_for_transitions=False)
        refresh_id = str(refresh["InstanceRefreshId"])
        Wait(self._timeout, self._poll_seconds, clock=self._clock).until(
            lambda: self._refresh(api, refresh_id),
            lambda r: r["Status"] not in ACTIVE,
            lambda r: f"AWS {api.name}: instance refresh {refresh_id} is still {r['Status']}; try again in a minute",
        )
