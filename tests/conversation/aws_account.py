"""An AWS account as an on-call engineer's would look, built with boto3 against moto: two regions, 300 tagged
instances (some stopped), Auto Scaling groups with their own min/max sizes and a DR standby in the other region,
unattached volumes, and the names the README and docs use (web-prod, web-dr, api-prod, db-prod, ...)."""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from tests.actions.aws.conftest import World, billed

REGION, OTHER_REGION = "us-east-1", "eu-west-1"
IMAGE = "ami-12c6146b"  # moto does not check images
TEAMS = ("payments", "web", "search", "data", "identity")
ENVIRONMENTS = ("prod", "staging")


@dataclass(frozen=True)
class GroupSpec:
    name: str
    region: str
    desired: int
    min_size: int
    max_size: int
    environment: str
    team: str
    standby: str | None = None


# The groups of the README and docs, with limits a real account would have.
GROUPS = (
    GroupSpec("web-prod", REGION, 6, 2, 30, "prod", "web", standby="web-dr"),
    GroupSpec("web-dr", OTHER_REGION, 0, 0, 30, "dr", "web"),
    GroupSpec("web-staging", REGION, 2, 0, 10, "staging", "web"),
    GroupSpec("api-prod", REGION, 3, 2, 10, "prod", "web"),
    GroupSpec("billing-prod", REGION, 2, 2, 30, "prod", "payments"),
    GroupSpec("worker-prod", REGION, 4, 1, 8, "prod", "data"),
)


class AwsAccountWorld(World):
    def group(self, name: str) -> dict[str, object]:
        spec = next(g for g in GROUPS if g.name == name)
        client = boto3.client("autoscaling", region_name=spec.region, endpoint_url=self.url)
        found: dict[str, object] = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
            "AutoScalingGroups"
        ][0]
        return found

    def state(self, name: str, region: str = REGION) -> str:
        ec2 = boto3.client("ec2", region_name=region, endpoint_url=self.url)
        found = ec2.describe_instances(InstanceIds=[self.ids[name]])
        return str(found["Reservations"][0]["Instances"][0]["State"]["Name"])


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _launch(ec2: object, count: int, instance_type: str, tags: dict[str, str]) -> list[str]:
    launched = ec2.run_instances(  # type: ignore[attr-defined]
        ImageId=IMAGE, MinCount=count, MaxCount=count, InstanceType=instance_type,
        TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(tags)}],
    )  # fmt: skip
    return [str(i["InstanceId"]) for i in launched["Instances"]]


def build_account(url: str, instances: int = 300) -> AwsAccountWorld:
    """Reset moto at `url` and build the account; `url` is what boto3 is pointed at."""
    world = AwsAccountWorld(url=url)
    world.post("/moto-api/reset", b"")
    for region in (REGION, OTHER_REGION):
        ec2 = boto3.client("ec2", region_name=region, endpoint_url=url)
        # An image of the account's own, as a deploy's checks look the template's image up.
        builder = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        image = ec2.create_image(InstanceId=builder, Name="web")["ImageId"]
        ec2.terminate_instances(InstanceIds=[builder])
        data = {"ImageId": image, "InstanceType": "m5.large"}
        ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData=data)
        for _ in range(2):  # versions 2 and 3: web's releases 2.3 and 2.4 (aws_releases.yaml); the groups run 2
            ec2.create_launch_template_version(LaunchTemplateName="web", LaunchTemplateData=data)
        ec2.modify_launch_template(LaunchTemplateName="web", DefaultVersion="2")
    for spec in GROUPS:
        tags = {"environment": spec.environment, "team": spec.team}
        labels = [{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in tags.items()]
        if spec.standby:
            labels.append({"Key": "opsbot-standby", "Value": spec.standby, "PropagateAtLaunch": False})
        boto3.client("autoscaling", region_name=spec.region, endpoint_url=url).create_auto_scaling_group(
            AutoScalingGroupName=spec.name, LaunchTemplate={"LaunchTemplateName": "web"},
            MinSize=spec.min_size, MaxSize=spec.max_size, DesiredCapacity=spec.desired,
            AvailabilityZones=[f"{spec.region}a"], Tags=labels,
        )  # fmt: skip
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=url)
    other = boto3.client("ec2", region_name=OTHER_REGION, endpoint_url=url)
    [world.ids["db-prod"]] = _launch(ec2, 1, "r5.xlarge", {"Name": "db-prod", "environment": "prod", "team": "data"})
    for n in range(5):
        name = f"payments-prod-us-{n:03d}"
        [world.ids[name]] = _launch(ec2, 1, "c5.large", {"Name": name, "environment": "prod", "team": "payments"})
    named = 6
    stopped: list[str] = []
    for n in range(instances - named):
        team, env = TEAMS[n % len(TEAMS)], ENVIRONMENTS[n % 2]
        name = f"{team}-{env}-{n:03d}"
        client = other if n % 4 == 3 else ec2
        [world.ids[name]] = _launch(client, 1, "t3.medium", {"Name": name, "environment": env, "team": team})
        if n % 10 == 7 and client is ec2:
            stopped.append(world.ids[name])
    ec2.stop_instances(InstanceIds=stopped)
    for n in range(4):  # unattached volumes: what an account collects
        volume = ec2.create_volume(
            Size=50, VolumeType="gp3", AvailabilityZone=f"{REGION}a",
            TagSpecifications=[{"ResourceType": "volume", "Tags": _tags({"Name": f"scratch-{n}"})}],
        )  # fmt: skip
        world.ids[f"scratch-{n}"] = str(volume["VolumeId"])
    world.seed_costs([billed("2026-12-01", "2026-12-06", {
        "Amazon Elastic Compute Cloud - Compute": "4321.5", "Amazon Simple Storage Service": "42.35",
    })])  # fmt: skip
    return world
