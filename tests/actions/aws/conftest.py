"""moto's server on 127.0.0.1 for the whole session, boto3 pointed at it through AWS_ENDPOINT_URL, and a small
world built with boto3 itself: an Auto Scaling group web-prod (3 x m5.large, environment=prod, standby web-dr),
standalone instances with Name tags, EBS volumes, and one instance in a second region."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from actions.aws import AwsBackend
from actions.backend import NoThrottle, Throttle
from core.cloud_config import AwsAccount

REGION, OTHER_REGION = "us-east-1", "eu-west-1"
ACCOUNT = AwsAccount(name="prod", regions=[REGION, OTHER_REGION])
IMAGE = "ami-12c6146b"  # moto does not check images; loading its default image list costs seconds per region


@dataclass
class CountingThrottle:
    """Records every `wait` a backend makes, i.e. every API request, per endpoint."""

    waits: list[str] = field(default_factory=list)

    def wait(self, endpoint: str) -> None:
        self.waits.append(endpoint)


class RoutedSession(boto3.Session):  # type: ignore[misc]  # boto3 has no type hints here
    """boto3's own session, sending some regions' requests elsewhere (a loopback fake, or a closed port)."""

    def __init__(self, routes: dict[str, str]) -> None:
        super().__init__()
        self._routes = routes

    def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        if region_name in self._routes:
            kwargs["endpoint_url"] = self._routes[region_name]
        return super().client(service_name, region_name=region_name, **kwargs)


@dataclass
class World:
    url: str
    ids: dict[str, str] = field(default_factory=dict)  # name -> instance or volume id

    def post(self, path: str, body: bytes, content_type: str = "text/plain") -> None:
        request = urllib.request.Request(
            self.url + path, data=body, method="POST", headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status in (200, 201)

    def seed_costs(self, results: list[dict[str, object]]) -> None:
        self.post(
            "/moto-api/static/ce/cost-and-usage-results", json.dumps({"results": results}).encode(), "application/json"
        )


def billed(start: str, end: str, by_service: dict[str, str]) -> dict[str, object]:
    """One Cost Explorer GetCostAndUsage answer: the period's unblended cost by service, as AWS shapes it."""
    groups = [{"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
              for service, amount in by_service.items()]  # fmt: skip
    period = {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": True}
    return {"ResultsByTime": [period], "DimensionValueAttributes": []}


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    empty = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as env:
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            env.delenv(key, raising=False)
        env.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_CONFIG_FILE", str(Path(empty)))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(Path(empty)))
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance-metadata host for credentials
        yield f"http://{host}:{port}"
    server.stop()


def _instance(ec2: object, name: str | None, instance_type: str, **tags: str) -> str:
    all_tags = ({"Name": name} if name else {}) | tags
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in all_tags.items()]}]
    launched = ec2.run_instances(  # type: ignore[attr-defined]
        ImageId=IMAGE, MinCount=1, MaxCount=1, InstanceType=instance_type, TagSpecifications=spec if all_tags else []
    )
    return str(launched["Instances"][0]["InstanceId"])


def _group(autoscaling: Any, name: str, desired: int, zone: str, tags: dict[str, str]) -> None:
    """An Auto Scaling group of the "web" template (at most 10); its environment tag goes to its instances."""
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": "web"},
        MinSize=0,
        MaxSize=10,
        DesiredCapacity=desired,
        AvailabilityZones=[zone],
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": k == "environment"} for k, v in tags.items()],
    )


def empty_world(url: str) -> tuple[World, Any, Any]:
    """Moto reset to an empty account with the "web" launch template; its EC2 and Auto Scaling clients."""
    world = World(url=url, ids={})
    world.post("/moto-api/reset", b"")
    ec2, autoscaling = boto3.client("ec2", region_name=REGION), boto3.client("autoscaling", region_name=REGION)
    ec2.create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "m5.large"}
    )
    return world, ec2, autoscaling


def build_world(url: str) -> World:
    """Reset moto and build the small world the tests read and change."""
    world, ec2, autoscaling = empty_world(url)
    _group(autoscaling, "web-prod", 3, f"{REGION}a", {"environment": "prod", "opsbot-standby": "web-dr"})
    _group(autoscaling, "web-dr", 0, f"{REGION}b", {"environment": "dr"})
    world.ids["db-prod"] = _instance(ec2, "db-prod", "t3.medium", environment="prod")
    world.ids["batch-staging"] = _instance(ec2, "batch-staging", "c5.large", Env="Staging")
    world.ids["unnamed"] = _instance(ec2, None, "t3.micro")
    volume = ec2.create_volume(
        Size=100, VolumeType="gp3", AvailabilityZone=f"{REGION}a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "db-data"}]}],
    )  # fmt: skip
    world.ids["db-data"] = volume["VolumeId"]
    ec2.attach_volume(VolumeId=volume["VolumeId"], InstanceId=world.ids["db-prod"], Device="/dev/sdf")
    world.ids["scratch"] = ec2.create_volume(Size=20, VolumeType="gp2", AvailabilityZone=f"{REGION}a")["VolumeId"]
    other = boto3.client("ec2", region_name=OTHER_REGION)
    world.ids["api-eu"] = _instance(other, "api-eu", "m5.xlarge", environment="staging")
    return world


@pytest.fixture
def world(moto_url: str) -> World:
    return build_world(moto_url)


@pytest.fixture
def throttle() -> CountingThrottle:
    return CountingThrottle()


@pytest.fixture(scope="session")
def shared_session(moto_url: str) -> boto3.Session:
    """One boto3 session for the tests' backends: a new session parses the service models again (~0.4 s)."""
    return boto3.Session()


def aws_backend(session: boto3.Session, *, timeout: float = 2.0, throttle: Throttle | None = None) -> AwsBackend:
    """The AWS backend on the test account, every request through `session` (moto, or routed elsewhere)."""
    return AwsBackend(
        [ACCOUNT], timeout=timeout, poll_seconds=0.05, throttle=throttle or NoThrottle(),
        session_factory=lambda _account: session,
    )  # fmt: skip


@pytest.fixture
def backend(world: World, throttle: CountingThrottle, shared_session: boto3.Session) -> AwsBackend:
    return aws_backend(shared_session, timeout=5.0, throttle=throttle)
