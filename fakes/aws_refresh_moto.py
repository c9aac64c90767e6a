"""The moto side of the instance-refresh fake (`fakes.aws_refresh`): what a refresh reads and changes in moto,
through boto3 against moto's own server, so moto stays the one owner of the groups and instances.

moto reports every member of a group with the group's launch template version, whatever it was launched from;
which version an instance runs is read from the `aws:ec2launchtemplate:version` tag EC2 puts on an instance
launched from a template (and remembered for the instances launched here)."""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

_LEAVING = ("Terminating", "Terminated", "Detaching", "Detached")


class Refused(Exception):
    """An AWS error the fake answers with: its code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Member(NamedTuple):
    id: str
    template: tuple[str, str]  # (launch template id, version number) it was launched from
    healthy: bool


class MotoGroups:
    def __init__(self, moto_url: str) -> None:
        self._url = moto_url
        self._session = boto3.Session()
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._launched: dict[str, tuple[str, str]] = {}
        self._names: dict[str, str] = {}  # launch template id -> name
        self.last_launched: list[str] = []

    @staticmethod
    def region_of(headers: dict[str, str]) -> str:
        """The region a SigV4 request was signed for ("Credential=KEY/20261206/us-east-1/autoscaling/...")."""
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scope = authorization.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        return scope[2] if len(scope) >= 4 else "us-east-1"

    def _client(self, region: str, service: str) -> Any:
        with self._lock:
            if (region, service) not in self._clients:
                self._clients[(region, service)] = self._session.client(
                    service, region_name=region, endpoint_url=self._url, aws_access_key_id="testing",
                    aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}),
                )  # fmt: skip
            return self._clients[(region, service)]

    def group(self, region: str, name: str) -> dict[str, Any]:
        found = self._client(region, "autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        if not found["AutoScalingGroups"]:
            raise Refused("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
        group: dict[str, Any] = found["AutoScalingGroups"][0]
        return group

    def template_of(self, region: str, group: dict[str, Any]) -> tuple[str, str]:
        """The group's own (launch template id, version as the group names it: "3", "$Default" ...)."""
        spec = group.get("LaunchTemplate") or {}
        if not spec.get("LaunchTemplateId"):
            raise Refused("ValidationError", "The Auto Scaling group has no launch template to refresh from.")
        self._names[spec["LaunchTemplateId"]] = spec.get("LaunchTemplateName", "")
        return str(spec["LaunchTemplateId"]), str(spec.get("Version") or "$Default")

    def resolve(self, region: str, spec: dict[str, str]) -> tuple[str, str]:
        """A launch template spec (id or name, any version word) as (id, version number); AWS's ValidationError
        when the template or the version does not exist."""
        key = {"LaunchTemplateId": spec["LaunchTemplateId"]} if "LaunchTemplateId" in spec else {
            "LaunchTemplateName": spec.get("LaunchTemplateName", "")}  # fmt: skip
        try:
            found = self._client(region, "ec2").describe_launch_template_versions(
                Versions=[spec.get("Version") or "$Default"], **key
            )["LaunchTemplateVersions"]
        except ClientError as exc:
            message = exc.response["Error"].get("Message", "")
            raise Refused("ValidationError", f"You must use a valid fully-formed launch template. {message}") from exc
        self._names[found[0]["LaunchTemplateId"]] = found[0]["LaunchTemplateName"]
        return str(found[0]["LaunchTemplateId"]), str(found[0]["VersionNumber"])

    def template_name(self, template_id: str) -> str:
        return self._names.get(template_id, template_id)

    def members(self, region: str, name: str) -> list[Member]:
        states = [m for m in self.group(region, name).get("Instances", []) if m["LifecycleState"] not in _LEAVING]
        ids = [m["InstanceId"] for m in states]
        tags: dict[str, dict[str, str]] = {}
        if ids:
            reservations = self._client(region, "ec2").describe_instances(InstanceIds=ids)["Reservations"]
            for instance in (i for r in reservations for i in r["Instances"]):
                tags[instance["InstanceId"]] = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        return [
            Member(
                id=m["InstanceId"],
                template=self._launched.get(m["InstanceId"]) or (
                    tags.get(m["InstanceId"], {}).get("aws:ec2launchtemplate:id", ""),
                    tags.get(m["InstanceId"], {}).get("aws:ec2launchtemplate:version", ""),
                ),
                healthy=m.get("HealthStatus") == "Healthy" and m["LifecycleState"] == "InService",
            )
            for m in states
        ]  # fmt: skip

    def replace(self, region: str, name: str, old: list[Member], template: tuple[str, str], *, failing: bool) -> None:
        """Terminate `old` (the group's desired capacity follows) and launch as many from `template` into the
        group; `failing`: the new ones fail their health checks."""
        autoscaling, ec2 = self._client(region, "autoscaling"), self._client(region, "ec2")
        group = self.group(region, name)
        for member in old:
            autoscaling.terminate_instance_in_auto_scaling_group(
                InstanceId=member.id, ShouldDecrementDesiredCapacity=True
            )
        tags = [{"Key": t["Key"], "Value": t["Value"]} for t in group.get("Tags", []) if t.get("PropagateAtLaunch")]
        launched = ec2.run_instances(
            LaunchTemplate={"LaunchTemplateId": template[0], "Version": template[1]},
            MinCount=len(old), MaxCount=len(old),
            Placement={"AvailabilityZone": group["AvailabilityZones"][0]},
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}] if tags else [],
        )  # fmt: skip
        self.last_launched = [i["InstanceId"] for i in launched["Instances"]]
        autoscaling.attach_instances(AutoScalingGroupName=name, InstanceIds=self.last_launched)
        for instance_id in self.last_launched:
            self._launched[instance_id] = template
            if failing:
                autoscaling.set_instance_health(InstanceId=instance_id, HealthStatus="Unhealthy")

    def set_template(self, region: str, name: str, template: tuple[str, str]) -> None:
        """What AWS does when a refresh with a desired configuration succeeds: the group's own template moves."""
        self._client(region, "autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateId": template[0], "Version": template[1]}
        )
