"""The AWS calls of one scope (account + region): every failure translated, listings through boto3's paginators.

Every request, each page included, passes the throttle in the client itself (`clients.py`). Returns botocore's
plain dicts; `inventory.py` turns them into `Resource`s. Listing skips terminated instances (AWS keeps showing
them for an hour) and asks for pages of `page_size` so tests can force many pages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from actions.aws.clients import AwsClients
from actions.aws.errors import translated
from actions.backend import Scope
from core.cloud_config import AwsAccount

Record = dict[str, Any]
CpuSamples = dict[str, list[tuple[datetime, float]]]  # instance id -> (timestamp, CPU %), oldest first

LIVE_STATES = ("pending", "running", "stopping", "stopped", "shutting-down")
CPU_PERIOD_SECONDS = 300
CPU_WINDOW = timedelta(minutes=30)
METRIC_QUERIES_PER_CALL = 500


class ScopeApi:
    """One scope's calls."""

    def __init__(self, clients: AwsClients, account: AwsAccount, scope: Scope, *, page_size: int) -> None:
        self.account, self.scope, self.region = account, scope, scope.region
        self._clients, self._page_size = clients, page_size

    def _call(self, service: str, operation: str, subject: str, **params: Any) -> Record:
        with translated(self.account, self.region, subject, _api_name(operation)):
            client = self._clients.client(self.account, self.region, service)
            answer: Record = getattr(client, operation)(**params)
            return answer

    def _pages(
        self, service: str, operation: str, subject: str, page_size: int | None, **params: Any
    ) -> Iterator[Record]:
        """Each page of a listing from boto3's paginator, `page_size` items a page; each page is one request."""
        with translated(self.account, self.region, subject, _api_name(operation)):
            paginator = self._clients.client(self.account, self.region, service).get_paginator(operation)
            pages = iter(paginator.paginate(**params, PaginationConfig={"PageSize": page_size}))
        while True:
            with translated(self.account, self.region, subject, _api_name(operation)):
                page: Record | None = next(pages, None)
            if page is None:
                return
            yield page

    def instances(self, ids: Sequence[str] = ()) -> list[Record]:
        if ids:
            params: Record = {"InstanceIds": list(ids)}
            size = None  # EC2 refuses MaxResults with InstanceIds
        else:
            params = {"Filters": [{"Name": "instance-state-name", "Values": list(LIVE_STATES)}]}
            size = min(1000, max(5, self._page_size))
        subject = ids[0] if len(ids) == 1 else "instances"
        return [
            instance
            for page in self._pages("ec2", "describe_instances", subject, size, **params)
            for reservation in page.get("Reservations", [])
            for instance in reservation.get("Instances", [])
        ]

    def groups(self, names: Sequence[str] = ()) -> list[Record]:
        params: Record = {"AutoScalingGroupNames": list(names)} if names else {}
        subject = f"group {names[0]}" if len(names) == 1 else "groups"
        size = min(100, max(1, self._page_size))
        pages = self._pages("autoscaling", "describe_auto_scaling_groups", subject, size, **params)
        return [group for page in pages for group in page.get("AutoScalingGroups", [])]

    def volumes(self, ids: Sequence[str] = ()) -> list[Record]:
        params: Record = {"VolumeIds": list(ids)} if ids else {}
        size = None if ids else min(500, max(5, self._page_size))
        subject = ids[0] if len(ids) == 1 else "volumes"
        return [v for page in self._pages("ec2", "describe_volumes", subject, size, **params) for v in page["Volumes"]]

    def launch_types(self, group: Record) -> str | None:
        """The instance type an empty group would launch (its instances tell it otherwise)."""
        template = group.get("LaunchTemplate") or group.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {})
        overrides = template.get("Overrides") or []
        if overrides and overrides[0].get("InstanceType"):
            return str(overrides[0]["InstanceType"])
        spec = template.get("LaunchTemplateSpecification", template)
        if spec.get("LaunchTemplateId") or spec.get("LaunchTemplateName"):
            field = "LaunchTemplateId" if spec.get("LaunchTemplateId") else "LaunchTemplateName"
            key = {field: spec[field]}
            version = str(spec.get("Version") or "$Default")
            answer = self._call(
                "ec2", "describe_launch_template_versions", "launch template", Versions=[version], **key
            )
            versions = answer.get("LaunchTemplateVersions", [])
            return str(versions[0]["LaunchTemplateData"].get("InstanceType")) if versions else None
        if group.get("LaunchConfigurationName"):
            name = group["LaunchConfigurationName"]
            answer = self._call("autoscaling", "describe_launch_configurations", name, LaunchConfigurationNames=[name])
            configurations = answer.get("LaunchConfigurations", [])
            return str(configurations[0]["InstanceType"]) if configurations else None
        return None

    def cpu(self, instance_ids: Sequence[str], now: datetime | None = None) -> CpuSamples:
        """Average CPUUtilization per 5 minutes over the last half hour, in batches of 500 queries."""
        end = now or datetime.now(UTC)
        samples: CpuSamples = {}
        for start in range(0, len(instance_ids), METRIC_QUERIES_PER_CALL):
            batch = instance_ids[start : start + METRIC_QUERIES_PER_CALL]
            queries = [_cpu_query(f"q{index}", instance_id) for index, instance_id in enumerate(batch)]
            params: Record = {
                "MetricDataQueries": queries,
                "StartTime": end - CPU_WINDOW,
                "EndTime": end,
                "ScanBy": "TimestampAscending",
            }
            for page in self._pages("cloudwatch", "get_metric_data", "CPU metrics", None, **params):
                for result in page.get("MetricDataResults", []):
                    instance_id = batch[int(result["Id"][1:])]
                    points = zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
                    samples.setdefault(instance_id, []).extend(points)
        return {instance_id: sorted(points) for instance_id, points in samples.items()}

    def power(self, instance_id: str, action: str) -> Record:
        operation = {"start": "start_instances", "stop": "stop_instances", "restart": "reboot_instances"}[action]
        return self._call("ec2", operation, instance_id, InstanceIds=[instance_id])

    def set_desired_capacity(self, name: str, count: int) -> None:
        self._call(
            "autoscaling",
            "set_desired_capacity",
            f"group {name}",
            AutoScalingGroupName=name,
            DesiredCapacity=count,
            HonorCooldown=False,
        )


def _api_name(method: str) -> str:
    """boto3's method name as AWS names the operation: describe_instances -> DescribeInstances."""
    return "".join(word.capitalize() for word in method.split("_"))


def _cpu_query(query_id: str, instance_id: str) -> Record:
    metric = {
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
    }
    return {"Id": query_id, "MetricStat": {"Metric": metric, "Period": CPU_PERIOD_SECONDS, "Stat": "Average"}}
