"""Before an AWS group rolls: the calls a rollout makes for one Auto Scaling group (`GroupApi`), and `problems`,
the read-only checks behind `AwsRollouts.check`: the launch template version and its AMI exist, the instance type
is offered in the region, the On-Demand vCPU quota has room for the surge, and the group is healthy enough to start.
Each problem is one line naming AWS, the group and the fix. The reads run concurrently (a few requests, well under
the 2 s a deploy's validation has).

The quota is Service Quotas' L-1216C47A (running On-Demand Standard vCPUs) against the vCPUs of the running
standard instances. Where Service Quotas does not answer (a region without the service, or no permission to read
it) the quota is not checked: EC2's `max-instances` account attribute is no longer supported by AWS and says 20 in
accounts that run hundreds, so it would refuse deploys it should not."""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from actions.aws.api import Record, ScopeApi
from actions.aws.clients import AwsClients
from actions.aws.inventory import group_type
from actions.backend import Scope
from actions.deploy.model import GroupChange
from core.cloud_config import AwsAccount
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound
from core.models import Cloud

ON_DEMAND_STANDARD_VCPUS = "L-1216C47A"
_STANDARD_FAMILIES = tuple("acdhimrtz")  # the families L-1216C47A counts: A, C, D, H, I, M, R, T, Z


class RefusedByAws(ProviderError):
    """AWS refused a request; `code` is AWS's error code (InstanceRefreshInProgress ...), for check-then-act."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class GroupApi(ScopeApi):
    """One Auto Scaling group's calls, every failure translated; refusals name the group."""

    def __init__(self, clients: AwsClients, account: AwsAccount, region: str, name: str) -> None:
        scope = Scope(cloud=Cloud.AWS, account=account.name, region=region, label=f"AWS {account.name} {region}")
        super().__init__(clients, account, scope, page_size=1000)  # the quota check lists the region
        self.name = name

    def call(self, service: str, operation: str, **params: Any) -> Record:
        try:
            return self._call(service, operation, f"group {self.name}", **params)
        except ProviderError as exc:
            cause = exc.__cause__
            if type(exc) is not ProviderError or not isinstance(cause, ClientError):
                raise
            error = cause.response.get("Error", {})
            message = str(error.get("Message") or error.get("Code") or exc).strip().splitlines()[0][:200]
            raise RefusedByAws(f"AWS {self.name}: {message}", str(error.get("Code", ""))) from cause

    def record(self) -> Record:
        found = self.groups([self.name])
        if not found:
            raise ResourceNotFound(f"AWS: group {self.name} not found in {self.account.name} {self.region}")
        return found[0]

    def refreshes(self, ids: tuple[str, ...] = ()) -> list[Record]:
        """The group's instance refreshes, newest first (AWS keeps six weeks of them)."""
        params: Record = {"AutoScalingGroupName": self.name} | ({"InstanceRefreshIds": list(ids)} if ids else {})
        return list(self.call("autoscaling", "describe_instance_refreshes", **params).get("InstanceRefreshes", []))

    def template_version(self, key: Record, version: str) -> Record | None:
        """One launch template version (`key`: LaunchTemplateId or LaunchTemplateName); None when it is missing."""
        try:
            answer = self.call("ec2", "describe_launch_template_versions", Versions=[version], **key)
        except (RefusedByAws, ResourceNotFound) as exc:
            if isinstance(exc, RefusedByAws) and "NotFound" not in exc.code:
                raise
            return None
        versions = answer.get("LaunchTemplateVersions", [])
        return versions[0] if versions else None

    def versions_with_image(self, template_id: str, image_id: str) -> list[int]:
        """The numbers of a launch template's versions that launch `image_id`."""
        filters = [{"Name": "image-id", "Values": [image_id]}]
        pages = self._pages("ec2", "describe_launch_template_versions", f"group {self.name}", None,
                            LaunchTemplateId=template_id, Filters=filters)  # fmt: skip
        versions = [v for page in pages for v in page.get("LaunchTemplateVersions", [])]
        return [int(v["VersionNumber"]) for v in versions if v.get("LaunchTemplateData", {}).get("ImageId") == image_id]

    def image(self, image_id: str) -> Record | None:
        try:
            images = self.call("ec2", "describe_images", ImageIds=[image_id]).get("Images", [])
        except (RefusedByAws, ResourceNotFound):
            return None
        return images[0] if images else None

    def offered(self, instance_type: str) -> bool:
        filters = [{"Name": "instance-type", "Values": [instance_type]}]
        answer = self.call("ec2", "describe_instance_type_offerings", LocationType="region", Filters=filters)
        return bool(answer.get("InstanceTypeOfferings"))

    def vcpus(self, instance_types: set[str]) -> dict[str, int]:
        answer = self.call("ec2", "describe_instance_types", InstanceTypes=sorted(instance_types))
        return {t["InstanceType"]: int(t["VCpuInfo"]["DefaultVCpus"]) for t in answer.get("InstanceTypes", [])}

    def vcpu_quota(self) -> float | None:
        """The On-Demand Standard vCPU quota; None where Service Quotas does not tell it (not offered in the region,
        or opsbot may not read it: then the quota is not checked; a deploy is not refused for a permission)."""
        try:
            answer = self.call(
                "service-quotas", "get_service_quota", ServiceCode="ec2", QuotaCode=ON_DEMAND_STANDARD_VCPUS
            )
        except (RefusedByAws, ResourceNotFound, ProviderAuthError):
            return None
        return float(answer["Quota"]["Value"])


def group_template(group: Record) -> Record:
    """The group's own launch template spec (LaunchTemplateId/Name, Version), from either place AWS keeps it."""
    spec = group.get("LaunchTemplate") or group.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {}).get(
        "LaunchTemplateSpecification", {}
    )
    return dict(spec)


def problems(api: GroupApi, change: GroupChange) -> list[str]:
    """What stops `change` from starting, one line each; [] when nothing does."""
    name, to = change.group, change.to
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="aws-check") as pool:
        group_future = pool.submit(api.record)
        template: Future[Record | None] | None = None
        if to.launch_template is not None:
            template = pool.submit(
                api.template_version, {"LaunchTemplateName": to.launch_template}, str(to.template_version)
            )
        try:
            group = group_future.result()
        except ResourceNotFound:
            return [f"AWS {name}: no such Auto Scaling group in {api.account.name} {api.region}: check the inventory"]
        lines: list[str] = []
        data: Record = {}
        if template is not None:
            found = template.result()
            if found is None:
                return [f"AWS {name}: launch template {to.launch_template} has no version {to.template_version}: "
                        f"create it, or fix versions.{change.to_version}.aws in the release manifest"]  # fmt: skip
            data = found.get("LaunchTemplateData", {})
        image_id = to.ami or data.get("ImageId")
        instance_type = data.get("InstanceType") or group_type(group) or api.launch_types(group) or ""
        image = pool.submit(api.image, image_id) if image_id else None
        offered = pool.submit(api.offered, instance_type) if instance_type else None
        quota = pool.submit(_quota_line, api, change, instance_type) if instance_type else None
        if image is not None:
            lines += _image_lines(name, image_id or "", image.result(), change)
        if offered is not None and not offered.result():
            lines.append(f"AWS {name}: {instance_type} is not offered in {api.region}: "
                         "pick another instance type in the launch template")  # fmt: skip
        if quota is not None and (line := quota.result()):
            lines.append(line)
    lines += _health_lines(name, group, change.strategy.min_healthy_percent)
    return lines


def _image_lines(name: str, image_id: str, image: Record | None, change: GroupChange) -> list[str]:
    if image is None:
        return [f"AWS {name}: image {image_id} of {change.to_version} does not exist or is not shared with this "
                "account: register or share it, or fix the version in the release manifest"]  # fmt: skip
    if image.get("State", "available") != "available":
        return [f"AWS {name}: image {image_id} of {change.to_version} is {image['State']}, not available: "
                "wait for it or deploy another version"]  # fmt: skip
    return []


def _health_lines(name: str, group: Record, min_healthy_percent: int) -> list[str]:
    size = int(group.get("DesiredCapacity", 0))
    healthy = sum(
        1
        for m in group.get("Instances", [])
        if m.get("LifecycleState") == "InService" and m.get("HealthStatus") == "Healthy"
    )
    needed = math.ceil(size * min_healthy_percent / 100)
    if healthy >= needed:
        return []
    return [f"AWS {name}: only {healthy} of {size} instances are healthy, {needed} needed to start "
            f"({min_healthy_percent}%): fix or replace the unhealthy ones first"]  # fmt: skip


def _quota_line(api: GroupApi, change: GroupChange, instance_type: str) -> str | None:
    surge = change.strategy.surge
    if surge == 0 or change.size == 0:
        return None
    limit = api.vcpu_quota()
    if limit is None:
        return None
    running = [i for i in api.instances() if i["State"]["Name"] in ("pending", "running")]
    standard = {str(i["InstanceType"]) for i in running if _standard(str(i["InstanceType"]))}
    sizes = api.vcpus(standard | {instance_type})
    used = sum(sizes.get(str(i["InstanceType"]), 0) for i in running if _standard(str(i["InstanceType"])))
    need = surge * sizes.get(instance_type, 0)
    if not _standard(instance_type) or used + need <= limit:
        return None
    return (f"AWS {change.group}: the surge needs {need} vCPUs ({surge} x {instance_type}) but {limit - used:g} of "
            f"{limit:g} On-Demand vCPUs are free in {api.region}: ask for a higher quota ({ON_DEMAND_STANDARD_VCPUS}) "
            "or lower the surge")  # fmt: skip


def _standard(instance_type: str) -> bool:
    return instance_type[:1].lower() in _STANDARD_FAMILIES
