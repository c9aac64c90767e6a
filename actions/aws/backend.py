"""`AwsBackend`: the `CloudBackend` for AWS. One scope per (account, region); EC2 instances, Auto Scaling groups
and EBS volumes, with recent CPU from CloudWatch. Resource ids: "aws:<account>:<region>:i-0abc",
"aws:<account>:<region>:asg/web-prod", "aws:<account>:<region>:vol-0abc"."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import date

from actions.aws import costs, operations
from actions.aws.api import CpuSamples, ScopeApi
from actions.aws.clients import AwsClients, SessionFactory
from actions.aws.errors import translated
from actions.aws.inventory import group_cpu, group_resource, group_type, instance_resource, recent_cpu, volume_resource
from actions.backend import NoThrottle, Scope, Throttle
from actions.provider import Billing, ProgressCallback, Resource
from actions.waiting import SYSTEM_CLOCK, Clock, Wait
from core.cloud_config import AwsAccount
from core.errors import ProviderError, ResourceNotFound
from core.models import Cloud

log = logging.getLogger(__name__)
DEFAULT_PAGE_SIZE = 1000  # the most describe_instances gives per page; other listings take their own maximum


class AwsBackend:
    cloud = Cloud.AWS

    def __init__(
        self,
        accounts: Sequence[AwsAccount],
        *,
        timeout: float = 10.0,
        poll_seconds: float = 2.0,
        throttle: Throttle = NoThrottle(),  # noqa: B008 - stateless default
        session_factory: SessionFactory | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._clients = AwsClients(accounts, timeout=timeout, session_factory=session_factory, throttle=throttle)
        self._poll_seconds, self._page_size, self._clock = poll_seconds, page_size, clock
        self._cpu_refused: set[str] = set()
        self._scopes = {
            scope.key: scope
            for account in accounts
            for scope in (
                Scope(
                    cloud=Cloud.AWS,
                    account=account.name,
                    region=region,
                    label=f"AWS {account.name} {region}",
                    environment=account.environment,
                )
                for region in account.regions
            )
        }

    def scopes(self) -> list[Scope]:
        return list(self._scopes.values())

    def scope_of(self, resource_id: str) -> Scope:
        parts = resource_id.split(":", 3)
        if len(parts) != 4 or parts[0] != Cloud.AWS.value:
            raise ResourceNotFound(f"{resource_id} is not an AWS resource id")
        scope = self._scopes.get(":".join(parts[:3]))
        if scope is None:
            raise ResourceNotFound(f"AWS {parts[1]} {parts[2]} is not configured")
        return scope

    def _api(self, scope: Scope) -> ScopeApi:
        account = self._clients.account(scope.account)
        return ScopeApi(self._clients, account, scope, page_size=self._page_size)

    def fetch(self, scope: Scope) -> list[Resource]:
        api = self._api(scope)
        instances, groups, volumes = api.instances(), api.groups(), api.volumes()
        running = [i["InstanceId"] for i in instances if i["State"]["Name"] == "running"]
        cpu = self._cpu_or_none(api, scope, running)
        resources = [instance_resource(scope, i, recent_cpu(cpu.get(i["InstanceId"], ()))) for i in instances]
        for group in groups:
            members = [m["InstanceId"] for m in group.get("Instances", ())]
            instance_type = group_type(group) or api.launch_types(group) or ""
            resources.append(group_resource(scope, group, instance_type, group_cpu(members, cpu)))
        resources.extend(volume_resource(scope, volume) for volume in volumes)
        return resources

    def _cpu_or_none(self, api: ScopeApi, scope: Scope, running: list[str]) -> CpuSamples:
        """CPU is a detail: without CloudWatch permission the inventory still comes, without CPU (logged once)."""
        if not running:
            return {}
        try:
            return api.cpu(running)
        except ProviderError as exc:
            if exc.transient:
                raise
            if scope.key not in self._cpu_refused:
                self._cpu_refused.add(scope.key)
                log.warning("%s: no CPU figures: %s", scope.label, exc)
            return {}

    def get(self, resource_id: str) -> Resource:
        scope = self.scope_of(resource_id)
        api, local = self._api(scope), resource_id.split(":", 3)[3]
        missing = ResourceNotFound(f"{local} was not found in {scope.label}")
        if local.startswith("asg/"):
            groups = api.groups([local.removeprefix("asg/")])
            if not groups:
                raise missing
            members = [m["InstanceId"] for m in groups[0].get("Instances", ())]
            cpu = api.cpu(members) if members else {}
            instance_type = group_type(groups[0]) or api.launch_types(groups[0]) or ""
            return group_resource(scope, groups[0], instance_type, group_cpu(members, cpu))
        if local.startswith("i-"):
            instances = [i for i in api.instances([local]) if i["State"]["Name"] != "terminated"]
            if not instances:
                raise missing
            running = instances[0]["State"]["Name"] == "running"
            samples = api.cpu([local]).get(local, []) if running else []
            return instance_resource(scope, instances[0], recent_cpu(samples))
        if local.startswith("vol-"):
            volumes = api.volumes([local])
            if not volumes:
                raise missing
            return volume_resource(scope, volumes[0])
        raise missing

    def set_power(self, resource: Resource, action: str, progress: ProgressCallback, timeout: float) -> Resource:
        api, wait = self._api(self.scope_of(resource.id)), self._wait(timeout)
        return operations.set_power(api, resource, action, progress, wait)

    def scale(self, group: Resource, count: int, progress: ProgressCallback, timeout: float) -> Resource:
        """A planned change of the group's limits (`group.set_limits`: an admin's "and raise max") is made with the
        new size in one UpdateAutoScalingGroup; without one, the limits are never touched."""
        scope, wait = self.scope_of(group.id), self._wait(timeout)
        self._set_limits(scope, group, count)
        return operations.scale(self._api(scope), group, count, progress, wait)

    def _wait(self, timeout: float) -> Wait:
        return Wait(timeout, self._poll_seconds, clock=self._clock)

    def _set_limits(self, scope: Scope, group: Resource, count: int) -> None:
        if group.kind != "group" or group.set_limits is None:
            return
        low, high = group.set_limits
        account = self._clients.account(scope.account)
        with translated(account, scope.region, f"group {group.name}"):
            self._clients.client(account, scope.region, "autoscaling").update_auto_scaling_group(
                AutoScalingGroupName=group.name, MinSize=low, MaxSize=high, DesiredCapacity=count
            )

    def billed_this_month(self) -> list[Billing]:
        """Cost Explorer's month to date for every account; an account that fails carries its error."""
        found = []
        for account in self._clients.accounts:
            label = f"AWS {account.name}"
            try:
                found.append(Billing(label=label, by_service=self.month_to_date(account.name), fetched_at=time.time()))
            except ProviderError as exc:
                found.append(Billing(label=label, fetched_at=time.time(), error=str(exc)))
        return found

    def month_to_date(self, account_name: str, today: date | None = None) -> dict[str, float]:
        """This month's spend so far per service (USD), from Cost Explorer."""
        account = self._clients.account(account_name)
        return costs.month_to_date(account, clients=self._clients, today=today)
