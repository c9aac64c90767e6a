"""Benchmark of the AWS backend's inventory read: 2,000 instances in moto's server on 127.0.0.1 (10 Auto Scaling
groups and standalone instances, three CPU samples each), timing `fetch(scope)` end to end through boto3.

moto runs in this process, so its time counts too: the figures bound what the backend adds, they are not AWS's
latency. The environment (endpoint, test keys) is set only while the benchmark runs and restored after."""

from __future__ import annotations

import logging
import os
import statistics
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from actions.aws import AwsBackend
from actions.aws.api import ScopeApi
from actions.aws.clients import AwsClients
from actions.aws.inventory import group_cpu, group_resource, group_type, instance_resource, recent_cpu, volume_resource
from actions.backend import Scope
from bench.figures import Figure
from core.cloud_config import AwsAccount

REGION, IMAGE = "us-east-1", "ami-12c6146b"
GROUPS, PER_GROUP, STANDALONE, BATCH = 10, 150, 500, 50  # 1,500 group members + 500 standalone = 2,000
RUNS = 2  # each fetch of 2,000 instances takes moto tens of seconds; a third read measures our own share
ACCOUNT = AwsAccount(name="bench", regions=[REGION])


class _CountingThrottle:
    """Counts API requests: the backend waits on its throttle before each one."""

    def __init__(self) -> None:
        self.requests = 0

    def wait(self, endpoint: str) -> None:
        self.requests += 1


@contextmanager
def _moto() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    wanted = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    saved = {key: os.environ.get(key) for key in [*wanted, "AWS_PROFILE"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(wanted)
    try:
        yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


def _seed() -> list[str]:
    """Create the world; return the ids of every instance."""
    ec2, autoscaling = boto3.client("ec2", region_name=REGION), boto3.client("autoscaling", region_name=REGION)
    ec2.create_launch_template(
        LaunchTemplateName="app", LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "m5.large"}
    )
    for index in range(GROUPS):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=f"app-{index}-prod", LaunchTemplate={"LaunchTemplateName": "app"}, MinSize=0,
            MaxSize=PER_GROUP, DesiredCapacity=PER_GROUP, AvailabilityZones=[f"{REGION}a"],
            Tags=[{"Key": "environment", "Value": "prod", "PropagateAtLaunch": True}],
        )  # fmt: skip
    for batch in range(STANDALONE // BATCH):
        tags = [{"Key": "Name", "Value": f"svc-{batch}"}, {"Key": "env", "Value": "staging"}]
        ec2.run_instances(
            ImageId=IMAGE, MinCount=BATCH, MaxCount=BATCH, InstanceType="t3.medium",
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )  # fmt: skip
    pages = ec2.get_paginator("describe_instances").paginate()
    ids = [i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"]]
    _put_cpu(boto3.client("cloudwatch", region_name=REGION), ids)
    return ids


def _put_cpu(cloudwatch: Any, ids: list[str]) -> None:
    now = datetime.now(UTC)
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
            "Timestamp": now - timedelta(minutes=minutes),
            "Value": float(10 + (n % 80)),
        }
        for n, instance_id in enumerate(ids)
        for minutes in (12, 7, 2)
    ]
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=data[start : start + 1000])


def _conversion_ms(scope: Scope) -> float:
    """The backend's own work in a fetch: turning botocore's records into Resources (moto and botocore excluded)."""
    api = ScopeApi(AwsClients([ACCOUNT], timeout=60.0), ACCOUNT, scope, page_size=1000)
    instances, groups, volumes = api.instances(), api.groups(), api.volumes()
    cpu = api.cpu([i["InstanceId"] for i in instances])
    start = time.perf_counter()
    for instance in instances:
        instance_resource(scope, instance, recent_cpu(cpu.get(instance["InstanceId"], ())))
    for group in groups:
        members = [m["InstanceId"] for m in group["Instances"]]
        group_resource(scope, group, group_type(group) or "", group_cpu(members, cpu))
    for volume in volumes:
        volume_resource(scope, volume)
    return (time.perf_counter() - start) * 1000


def run() -> list[Figure]:
    with _moto() as url:
        started = time.perf_counter()
        ids = _seed()
        seeding = time.perf_counter() - started
        throttle = _CountingThrottle()
        backend = AwsBackend([ACCOUNT], throttle=throttle, timeout=60.0)
        scope = backend.scopes()[0]
        backend.get(f"{scope.key}:{ids[0]}")  # warm-up: clients made, service models loaded
        throttle.requests = 0
        times, count = [], 0
        for _ in range(RUNS):
            start = time.perf_counter()
            count = len(backend.fetch(scope))
            times.append(time.perf_counter() - start)
        fetch, requests = statistics.median(times), throttle.requests / RUNS
        convert = _conversion_ms(scope)
        gets = []
        for instance_id in ids[:20]:
            start = time.perf_counter()
            backend.get(f"{scope.key}:{instance_id}")
            gets.append((time.perf_counter() - start) * 1000)
        urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", data=b"", method="POST"), timeout=30)
    return [
        Figure("aws seed 2,000 instances + CPU (moto)", seeding, "s"),
        Figure(f"aws fetch ({count} resources, moto-bound) p50", fetch * 1000, "ms"),
        Figure("aws fetch throughput", count / fetch, "resources/s"),
        Figure("aws fetch API requests", requests, "requests"),
        Figure("aws records -> resources (our share of fetch)", convert, "ms", "<= 200 ms"),
        Figure("aws get (one instance, with CPU) p50", statistics.median(gets), "ms"),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
