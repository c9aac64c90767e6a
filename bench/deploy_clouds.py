"""The deploy benchmark's real-cloud half: the three rollout backends (AwsRollouts, AzureRollouts, GcpRollouts)
through their real SDKs against the loopback fakes - moto behind the instance-refresh fake (fakes.aws_refresh), the
fake ARM with its rolling upgrades and capacity reads, the Compute Engine fake with its MIG updates.

Cloud latency is simulated in the throttle: every backend calls `throttle.wait(endpoint)` right before each request,
and `CloudLatency.wait` sleeps a round trip drawn from a seeded triangular distribution of 60-180 ms (most near 90 ms,
the time an API call from a nearby region usually takes) - so each request costs what it would against the cloud,
on top of the fakes' own (small) time. With a limiter (20 services at once) it first waits on the shared
client-side `RateLimiter`, and notes when the limiter admitted each request (inside the limiter's lock, on its
clock) and when the request left (after thread scheduling, which may reorder requests by a few ms).

The environment (AWS endpoint, test keys) is set only while the fakes run and restored after (bench.inventory_aws's
moto, the AWS endpoint then moved to the instance-refresh fake in front of it)."""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import trustme
from google.auth.credentials import AnonymousCredentials
from limits.storage import MemoryStorage

from actions.aws.rollout import AwsRollouts
from actions.azure.rollout import AzureRollouts
from actions.backend import Throttle
from actions.deploy.model import DeployRequest, GroupChange, RolloutBackend, Strategy, VersionSpec
from actions.gcp.rollout import GcpRollouts
from actions.resilience import RateLimiter
from bench.inventory_aws import _moto
from core.cloud_config import AwsAccount, AzureSubscription, GcpProject
from core.models import Cloud
from core.rate_limits import Limit, Windows
from fakes.aws_refresh import AwsRefresh
from fakes.azure_arm import FakeArm, StaticToken
from fakes.azure_rollouts import RollingUpgrades
from fakes.gcp_compute import FakeComputeApi

REGION, IMAGE = "us-east-1", "ami-12c6146b"
SUB, RG, LOCATION = "11111111-1111-4111-8111-111111111111", "rg-bench", "westeurope"
PROJECT, ZONE = "bench-project", "europe-west1-b"
GALLERY = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/images/providers/Microsoft.Compute"
    "/galleries/opsbot/images/web/versions/"
)
OLD_IMAGE, NEW_IMAGE = GALLERY + "2.3.0", GALLERY + "2.4.0"
RUNNING_TEMPLATE, NEXT_TEMPLATE = "2", "3"  # launch template web versions in moto (1 is the empty one)
STRATEGY = Strategy(warmup_seconds=0, min_healthy_percent=50)


class CloudLatency:
    """A `Throttle` that makes each request cost a cloud's round trip (see the module docstring). With a limiter:
    `admitted` is when the limiter let each request through (read inside its lock, on its clock), `sent` when the
    request then left, after thread scheduling; both per endpoint."""

    def __init__(self, seed: int, limiter: RateLimiter | None = None, low: float = 0.06, high: float = 0.18) -> None:
        self._rng, self._lock, self._limiter = random.Random(seed), threading.Lock(), limiter
        self._low, self._high, self._mode = low, high, low + (high - low) / 4
        self.admitted: dict[str, list[float]] = defaultdict(list)
        self.sent: dict[str, list[float]] = defaultdict(list)
        if limiter is not None:
            limiter._windows = _Admissions(self.admitted)  # the bench's probe in the limiter's lock

    def wait(self, endpoint: str) -> None:
        if self._limiter is not None:
            self._limiter.wait(endpoint)
        with self._lock:
            self.sent[endpoint].append(time.time())
            delay = self._rng.triangular(self._low, self._high, self._mode)
        time.sleep(delay)


class _Admissions(Windows):
    """The limiter's moving windows (as `core.rate_limits.in_memory` makes them), noting each hit they allow."""

    def __init__(self, admitted: dict[str, list[float]]) -> None:
        super().__init__(MemoryStorage(), time.time)
        self._admitted = admitted

    def hit(self, limit: Limit, key: str) -> float | None:
        pause = super().hit(limit, key)
        if pause is None:
            self._admitted[key].append(time.time())
        return pause


def busiest_second(times: Sequence[float]) -> int:
    """The most requests in any window shorter than one second."""
    ordered, first, most = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


@dataclass
class Fakes:
    """The three clouds' fakes, running, and where the backends reach them."""

    arm: FakeArm
    rolling: RollingUpgrades
    gcp: FakeComputeApi
    ca_path: str

    def backends(self, throttle: Throttle) -> dict[Cloud, RolloutBackend]:
        return {
            Cloud.AWS: AwsRollouts([AwsAccount(name="bench", regions=[REGION])], throttle=throttle, timeout=10.0,
                                   poll_seconds=0.05),
            Cloud.AZURE: AzureRollouts([AzureSubscription(id=SUB, name="bench")], arm_url=self.arm.url,
                                       throttle=throttle, timeout=10.0, credential=StaticToken(),
                                       connection_verify=self.ca_path),
            Cloud.GCP: GcpRollouts([GcpProject(id=PROJECT)], compute_url=self.gcp.url, throttle=throttle,
                                   timeout=10.0, poll_seconds=0.05,
                                   credentials=AnonymousCredentials()),  # type: ignore[no-untyped-call]
        }  # fmt: skip

    def add_groups(self, names: Sequence[str], size: int) -> None:
        """One group per name in each cloud, on the running version, at `size` instances."""
        autoscaling = boto3.client("autoscaling", region_name=REGION)
        for name in names:
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateName": "web", "Version": RUNNING_TEMPLATE},
                MinSize=0, MaxSize=size + 5, DesiredCapacity=size, AvailabilityZones=[f"{REGION}a"],
            )  # fmt: skip
            self.arm.add_scale_set(SUB, RG, name, size, size="Standard_D4s_v5", location=LOCATION)
            self.rolling.track(SUB, RG, name, OLD_IMAGE)
            self.gcp.add_mig(PROJECT, ZONE, name, size, machine_type="n2-standard-8", template="web-v2-3")


def changes(name: str, size: int, *, back: bool = False) -> list[GroupChange]:
    """The group `name`'s part of a deploy in each cloud (`back`: to the version it runs)."""
    version = "v2.3" if back else "v2.4"
    aws = VersionSpec(launch_template="web", template_version=RUNNING_TEMPLATE if back else NEXT_TEMPLATE)
    azure = VersionSpec(image=OLD_IMAGE if back else NEW_IMAGE)
    gcp = VersionSpec(instance_template="web-v2-3" if back else "web-v2-4")
    where = [
        (Cloud.AWS, f"aws:bench:{REGION}:asg/{name}", REGION, aws),
        (Cloud.AZURE, f"azure:{SUB}:{RG}:vmss/{name}", LOCATION, azure),
        (Cloud.GCP, f"gcp:{PROJECT}:{ZONE}:mig/{name}", ZONE, gcp),
    ]
    return [
        GroupChange(group_id=group_id, group=name, cloud=cloud, region=region, size=size, from_version="v2.3",
                    to_version=version, to=spec, strategy=STRATEGY, expected_seconds=60)
        for cloud, group_id, region, spec in where
    ]  # fmt: skip


def request_for(name: str, size: int) -> DeployRequest:
    return DeployRequest(kind="deploy", service=name, environment="bench", version="v2.4",
                         groups=tuple(changes(name, size)), requested_by="bench")  # fmt: skip


def start_all(backends: dict[Cloud, RolloutBackend], work: Sequence[GroupChange]) -> dict[str, str]:
    """Every change's rollout started at once (as the deploy jobs of many services would): group/cloud -> handle."""
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        handles = pool.map(lambda c: backends[c.cloud].start(c), work)
        return {f"{c.group}/{c.cloud.value}": h for c, h in zip(work, handles, strict=True)}


@contextmanager
def running_fakes() -> Iterator[Fakes]:
    """moto + the instance-refresh fake, the fake ARM, the Compute fake; the shared launch template, images, SKUs,
    quotas and instance templates made."""
    ca = trustme.CA()
    with _moto() as moto_url, tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        proxy = AwsRefresh(moto_url).start()
        # Every AWS request through the fake (it forwards the rest to moto); _moto restores the endpoint after.
        os.environ["AWS_ENDPOINT_URL"] = proxy.url
        ca_path = str(Path(tmp) / "ca.pem")
        ca.cert_pem.write_to_path(ca_path)
        arm, gcp = FakeArm(ca, page_size=100), FakeComputeApi().start()
        try:
            fakes = Fakes(arm=arm, rolling=RollingUpgrades(arm), gcp=gcp, ca_path=ca_path)
            _seed(fakes)
            yield fakes
        finally:
            gcp.stop()
            arm.close()
            proxy.stop()


def _seed(fakes: Fakes) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "m5.large"}
    )
    for release in ("web-2.3", "web-2.4"):  # template versions 2 and 3, each its own image
        launched = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        image = ec2.create_image(InstanceId=launched, Name=release)["ImageId"]
        ec2.terminate_instances(InstanceIds=[launched])
        ec2.create_launch_template_version(
            LaunchTemplateName="web", SourceVersion="1",
            LaunchTemplateData={"ImageId": image, "InstanceType": "m5.large"},
        )  # fmt: skip
    capacity = fakes.rolling.capacity
    for image in (OLD_IMAGE, NEW_IMAGE):
        capacity.add_image(image)
    capacity.offer(LOCATION, "Standard_D4s_v5", "standardDSv5Family", 4)
    capacity.set_usage(LOCATION, "standardDSv5Family", 16, 5000, "Standard DSv5 Family vCPUs")
    capacity.set_usage(LOCATION, "cores", 40, 5000, "Total Regional vCPUs")
    for template in ("web-v2-3", "web-v2-4"):
        fakes.gcp.rollouts.add_template(PROJECT, template, "n2-standard-8")
