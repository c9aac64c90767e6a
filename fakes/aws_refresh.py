"""Instance refresh, which moto 5 does not implement, in front of moto's server: the Auto Scaling limits proxy
(`AwsLimits`) that also answers StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh and
RollbackInstanceRefresh itself, with AWS's query-protocol shapes and errors, and forwards everything else to moto.

A refresh really replaces the group's instances in moto, a batch per step: it terminates old members
(TerminateInstanceInAutoScalingGroup, decrementing) and launches as many from the desired launch template version
(RunInstances + AttachInstances), so DescribeAutoScalingGroups and DescribeInstances show the new instances. The
batch follows MinHealthyPercentage / MaxHealthyPercentage as AWS documents them; SkipMatching leaves instances
already on the desired version. A step happens on a DescribeInstanceRefreshes at most every `step_seconds` (0: on
each one), so a test moves a refresh forward by polling it. `fail_version(template, version)` makes the new
instances of that version fail their health checks: the next step fails the refresh (Status Failed, with the
instances in StatusReason), or rolls it back when it was started with AutoRollback. A refresh stops at each of
its CheckpointPercentages for one step. The group's own launch template moves to the desired one only when a
refresh succeeds, as on AWS.

Errors as the Auto Scaling API reference gives them: InstanceRefreshInProgress (one active refresh per group),
ActiveInstanceRefreshNotFound, IrreversibleInstanceRefresh (a rollback when the group's launch template version
is $Latest/$Default or there is no desired configuration), ValidationError (an unknown group or template version,
AutoRollback without a desired configuration or on a group using $Latest/$Default, MinHealthy/MaxHealthy more than
100 apart)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fakes.aws_limits import AwsLimits, validation_error
from fakes.aws_refresh_moto import Member, MotoGroups, Refused

_NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
ACTIVE = frozenset({"Pending", "InProgress", "Baking", "Cancelling", "RollbackInProgress"})
IN_PROGRESS_MESSAGE = "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh."


def fault(code: str, message: str) -> bytes:
    """The body of a 400 from the Auto Scaling query API with this error code."""
    if code == "ValidationError":
        return validation_error(message)
    return (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>'
        f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


VCPU_QUOTA = "L-1216C47A"  # Service Quotas: running On-Demand Standard vCPUs


@dataclass
class Refresh:
    id: str
    group: str
    params: dict[str, str]  # the StartInstanceRefresh request, as sent (DesiredConfiguration.*, Preferences.*)
    original: tuple[str, str]  # the group's (launch template id, version) before
    target: tuple[str, str]  # (launch template id, version) it rolls to
    status: str = "Pending"
    reason: str = ""
    percent: int = 0
    to_update: int = 0
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None
    stepped: float = 0.0
    launched: set[str] = field(default_factory=set)  # instances this refresh launched
    checkpoints: list[int] = field(default_factory=list)
    rollback: dict[str, str] = field(default_factory=dict)

    def preference(self, name: str, default: str = "") -> str:
        return self.params.get(f"Preferences.{name}", default)


class AwsRefresh(AwsLimits):
    """`AwsRefresh(moto_url).start()`; point boto3's Auto Scaling client at `url` (and EC2 too: it is forwarded)."""

    def __init__(self, moto_url: str, *, step_seconds: float = 0.0) -> None:
        super().__init__(moto_url)
        self.step_seconds = step_seconds
        self._moto = MotoGroups(moto_url)
        self._lock = threading.RLock()
        self._refreshes: dict[tuple[str, str], list[Refresh]] = {}  # (region, group) -> newest first
        self._failing: set[tuple[str, str]] = set()  # (template name or id, version)
        self.requests: list[str] = []  # the refresh actions answered here, in order
        # Service Quotas' On-Demand Standard vCPUs (L-1216C47A), which moto does not know for EC2; None: the
        # request goes to moto, which answers NoSuchResourceException as for a region without the quota.
        self.vcpu_quota: float | None = None

    def fail_version(self, template: str, version: str) -> None:
        """New instances of this launch template (name or id) version fail their health checks from now on."""
        self._failing.add((template, str(version)))

    def clear(self) -> None:
        """Forget every refresh, failing version and quota (after moto was reset)."""
        self.vcpu_quota = None
        with self._lock:
            self._refreshes.clear()
            self._failing.clear()
            self.requests.clear()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], bytes]:
        target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
        if target == "ServiceQuotasV20190624.GetServiceQuota" and self.vcpu_quota is not None:
            asked = json.loads(body or b"{}")
            if (asked.get("ServiceCode"), asked.get("QuotaCode")) == ("ec2", VCPU_QUOTA):
                quota = {"ServiceCode": "ec2", "QuotaCode": VCPU_QUOTA, "Value": self.vcpu_quota, "Unit": "None",
                         "QuotaName": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"}  # fmt: skip
                return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps({"Quota": quota}).encode()
        params = dict(parse_qsl(body.decode("utf-8", "replace"))) if method == "POST" else {}
        action = params.get("Action", "")
        answer = {
            "StartInstanceRefresh": self._start,
            "DescribeInstanceRefreshes": self._describe,
            "CancelInstanceRefresh": self._cancel,
            "RollbackInstanceRefresh": self._rollback,
        }.get(action)
        if answer is None:
            return super().forward(method, path, headers, body)
        self.requests.append(action)
        region = MotoGroups.region_of(headers)
        try:
            with self._lock:
                result = answer(region, params)
        except Refused as refused:
            return 400, [("Content-Type", "text/xml")], fault(refused.code, refused.message)
        document = (
            f'<{action}Response xmlns="{_NS}"><{action}Result>{result}</{action}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
        )
        return 200, [("Content-Type", "text/xml")], document.encode()

    # -- the four actions -----------------------------------------------------------------------------------------

    def _start(self, region: str, params: dict[str, str]) -> str:
        name = params.get("AutoScalingGroupName", "")
        group = self._moto.group(region, name)
        if self._active(region, name) is not None:
            raise Refused("InstanceRefreshInProgress", IN_PROGRESS_MESSAGE)
        low = int(params.get("Preferences.MinHealthyPercentage", "90"))
        high = int(params.get("Preferences.MaxHealthyPercentage", "100"))
        if not (0 <= low <= 100 and 100 <= high <= 200 and high - low <= 100):
            raise Refused(
                "ValidationError",
                "The difference between MaxHealthyPercentage and MinHealthyPercentage must be less than or equal "
                "to 100.",
            )
        original = self._moto.template_of(region, group)
        desired = {k.removeprefix("DesiredConfiguration.LaunchTemplate."): v for k, v in params.items()
                   if k.startswith("DesiredConfiguration.LaunchTemplate.")}  # fmt: skip
        if params.get("Preferences.AutoRollback") == "true":
            if not desired:
                raise Refused(
                    "ValidationError",
                    "The request isn't valid. The AutoRollback parameter cannot be set to true when the "
                    "DesiredConfiguration parameter is empty. Set AutoRollback to false or specify a desired "
                    "configuration and try again.",
                )
            if not original[1].isdigit():
                raise Refused("ValidationError", _IRREVERSIBLE)
        target = self._moto.resolve(region, desired or {"LaunchTemplateId": original[0], "Version": original[1]})
        refresh = Refresh(
            id=str(uuid.uuid4()), group=name, params=params, original=original, target=target,
            checkpoints=sorted(int(v) for k, v in params.items() if k.startswith("Preferences.CheckpointPercentages.")),
        )  # fmt: skip
        refresh.to_update = len(self._left(region, refresh, self._moto.members(region, name)))
        self._refreshes.setdefault((region, name), []).insert(0, refresh)
        return f"<InstanceRefreshId>{refresh.id}</InstanceRefreshId>"

    def _describe(self, region: str, params: dict[str, str]) -> str:
        name = params.get("AutoScalingGroupName", "")
        self._moto.group(region, name)
        wanted = {v for k, v in params.items() if k.startswith("InstanceRefreshIds.member.")}
        found = [r for r in self._refreshes.get((region, name), []) if not wanted or r.id in wanted]
        for refresh in found:
            self._advance(region, refresh)
        return f"<InstanceRefreshes>{''.join(_member(r) for r in found)}</InstanceRefreshes>"

    def _cancel(self, region: str, params: dict[str, str]) -> str:
        name = params.get("AutoScalingGroupName", "")
        self._moto.group(region, name)
        refresh = self._active(region, name)
        if refresh is None or refresh.status == "Cancelling":
            raise Refused(
                "ActiveInstanceRefreshNotFound",
                f"No in progress, baking, pending, or cancelling Instance Refresh found for Auto Scaling group {name}.",
            )
        refresh.status, refresh.reason = "Cancelling", "Cancelling the instance refresh at the user's request."
        return f"<InstanceRefreshId>{refresh.id}</InstanceRefreshId>"

    def _rollback(self, region: str, params: dict[str, str]) -> str:
        name = params.get("AutoScalingGroupName", "")
        self._moto.group(region, name)
        refresh = self._active(region, name)
        if refresh is None or refresh.status in ("Pending", "Cancelling"):
            raise Refused(
                "ActiveInstanceRefreshNotFound", f"No in progress or baking Instance Refresh found for Auto Scaling "
                f"group {name}.",
            )  # fmt: skip
        if refresh.status == "RollbackInProgress":
            raise Refused("InstanceRefreshInProgress", "The instance refresh is already rolling back.")
        if not any(k.startswith("DesiredConfiguration.") for k in refresh.params) or not refresh.original[1].isdigit():
            raise Refused("IrreversibleInstanceRefresh", _IRREVERSIBLE)
        self._roll_back(refresh, "Rollback triggered due to user request.")
        return f"<InstanceRefreshId>{refresh.id}</InstanceRefreshId>"

    # -- progress -------------------------------------------------------------------------------------------------

    def _active(self, region: str, name: str) -> Refresh | None:
        return next((r for r in self._refreshes.get((region, name), []) if r.status in ACTIVE), None)

    def _left(self, region: str, refresh: Refresh, members: list[Member]) -> list[Member]:
        """The members still to replace: not on the version rolled to (with SkipMatching), or not launched by it."""
        goal = refresh.original if refresh.status == "RollbackInProgress" else refresh.target
        skip = refresh.preference("SkipMatching") == "true" or refresh.status == "RollbackInProgress"
        return [m for m in members if (m.template != goal if skip else m.id not in refresh.launched)]

    def _roll_back(self, refresh: Refresh, reason: str) -> None:
        refresh.rollback = {
            "RollbackReason": reason,
            "RollbackStartTime": _timestamp(datetime.now(UTC)),
            "PercentageCompleteOnRollback": str(refresh.percent),
            "InstancesToUpdateOnRollback": str(refresh.to_update),
        }
        refresh.status, refresh.reason = "RollbackInProgress", reason

    def _advance(self, region: str, refresh: Refresh) -> None:
        """One step of an active refresh, at most every `step_seconds`."""
        now = time.monotonic()
        if refresh.status not in ACTIVE or now - refresh.stepped < self.step_seconds:
            return
        refresh.stepped = now
        if refresh.status == "Pending":
            refresh.status, refresh.reason = "InProgress", "Replacing instances."
        elif refresh.status == "Cancelling":
            self._finish(refresh, "Cancelled", "The instance refresh was cancelled.")
        else:
            self._replace(region, refresh)

    def _replace(self, region: str, refresh: Refresh) -> None:
        rolling_back = refresh.status == "RollbackInProgress"
        goal = refresh.original if rolling_back else refresh.target
        members = self._moto.members(region, refresh.group)
        failed = [m.id for m in members if m.id in refresh.launched and not m.healthy and m.template == goal]
        if failed and not rolling_back:
            reason = f"Instance refresh failed: new instances failed their health checks: {', '.join(failed)}."
            if refresh.preference("AutoRollback") == "true":
                self._roll_back(refresh, f"Rollback triggered due to instance refresh failure. {reason}")
            else:
                self._finish(refresh, "Failed", reason)
            return
        left = self._left(region, refresh, members)
        if refresh.checkpoints and refresh.percent >= refresh.checkpoints[0] and refresh.checkpoints[0] < 100:
            point = refresh.checkpoints.pop(0)
            refresh.reason = f"Waiting at the checkpoint of {point}% before replacing more instances."
            return
        if left:
            size = _batch(len(members), refresh)
            if refresh.checkpoints and not rolling_back:  # AWS stops at a checkpoint, not past it
                there = -(-refresh.checkpoints[0] * len(members) // 100)
                size = min(size, max(1, there - sum(1 for m in members if m.template == goal)))
            batch = left[:size]
            self._moto.replace(region, refresh.group, batch, goal, failing=self._fails(goal))
            refresh.launched.update(self._moto.last_launched)
            members = self._moto.members(region, refresh.group)
            left = self._left(region, refresh, members)
            example = next(iter(self._moto.last_launched), "-")
            refresh.reason = (
                f"Waiting for instances to warm up before continuing. For example: {example} is warming up."
            )
        on_target = sum(1 for m in members if m.template == refresh.target and m.healthy)
        refresh.percent = 100 if not members else min(100, on_target * 100 // len(members))
        if not rolling_back:
            refresh.to_update = len(left)
        if not left and all(m.healthy for m in members if m.template == goal):
            if rolling_back:
                self._finish(refresh, "RollbackSuccessful", "Instance refresh rollback completed.")
            else:
                self._moto.set_template(region, refresh.group, refresh.target)
                self._finish(refresh, "Successful", "")
                refresh.percent = 100

    def _fails(self, template: tuple[str, str]) -> bool:
        names = {template[0], self._moto.template_name(template[0])}
        return any((name, template[1]) in self._failing for name in names)

    def _finish(self, refresh: Refresh, status: str, reason: str) -> None:
        refresh.status, refresh.reason, refresh.ended = status, reason, datetime.now(UTC)


_IRREVERSIBLE = (
    "The instance refresh cannot be rolled back: there is no desired configuration, or the Auto Scaling group "
    "uses $Latest or $Default for its launch template version."
)


def _batch(size: int, refresh: Refresh) -> int:
    """How many instances one step replaces: the room between MinHealthyPercentage and MaxHealthyPercentage of
    the desired capacity (at least one, as AWS launches one before terminating when the bounds leave none)."""
    keep = -(-size * int(refresh.preference("MinHealthyPercentage", "90")) // 100)
    ceiling = size * int(refresh.preference("MaxHealthyPercentage", "100")) // 100
    return max(1, ceiling - keep)


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _nested(params: dict[str, str], prefix: str) -> str:
    """Flattened query parameters ("Preferences.CheckpointPercentages.member.1") as the XML AWS answers with."""
    tree: dict[str, Any] = {}
    for key, value in sorted(params.items()):
        if not key.startswith(prefix + "."):
            continue
        node, parts = tree, [p for p in key[len(prefix) + 1 :].split(".") if p != "member"]  # lists: index keys
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _xml(tree)


def _xml(node: dict[str, Any]) -> str:
    out = []
    for key, value in node.items():
        tag = "member" if key.isdigit() else key
        out.append(f"<{tag}>{_xml(value) if isinstance(value, dict) else _escape(value)}</{tag}>")
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _member(refresh: Refresh) -> str:
    parts = [
        f"<InstanceRefreshId>{refresh.id}</InstanceRefreshId>",
        f"<AutoScalingGroupName>{refresh.group}</AutoScalingGroupName>",
        f"<Status>{refresh.status}</Status>",
        f"<StatusReason>{_escape(refresh.reason)}</StatusReason>" if refresh.reason else "",
        f"<StartTime>{_timestamp(refresh.started)}</StartTime>",
        f"<EndTime>{_timestamp(refresh.ended)}</EndTime>" if refresh.ended else "",
        f"<PercentageComplete>{refresh.percent}</PercentageComplete>",
        f"<InstancesToUpdate>{refresh.to_update}</InstancesToUpdate>",
        f"<Preferences>{_nested(refresh.params, 'Preferences')}</Preferences>",
        f"<DesiredConfiguration>{_nested(refresh.params, 'DesiredConfiguration')}</DesiredConfiguration>",
        f"<RollbackDetails>{_xml(refresh.rollback)}</RollbackDetails>" if refresh.rollback else "",
        f"<Strategy>{refresh.params.get('Strategy', 'Rolling')}</Strategy>",
    ]
    return f"<member>{''.join(parts)}</member>"
