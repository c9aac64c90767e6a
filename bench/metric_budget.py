"""What a day of metrics questions asks of each cloud's monitoring API, beside its documented limit, and what a day
of watching costs on CloudWatch. Each cloud's REAL source runs against the loopback fake the tests use: boto3 against
moto's server (the `bench` extra), azure-mgmt-monitor against fakes.azure_arm over HTTPS, google-cloud-monitoring
against fakes.gcp_monitoring; each holds 7 h of CPU samples of a group of 20 instances.

Method. A day is 300 questions ("cpu of web-prod last 6h": 6 h at 1 min of a 20-instance group, read member by
member) and 5 watches of such groups (10 min each, the last 5 minutes read every 15 s: 40 readings), all of one
cloud - the worst case for that cloud's API. A fiftieth of it runs here (6 questions at different moments, 4 watch
readings) through the MetricsReader without the shared cache (a day's questions are asked at different moments,
so the cache would rarely answer). Counted: the reader's own `opsbot_metric_fetches_total{source}`, CloudWatch's
`opsbot_cloudwatch_metrics_requested_total` (what GetMetricData bills), and every API request the source made (each
passes the source's throttle, as in production; the Azure and Cloud Monitoring fakes' own records must agree, or a
figure says so). Fifty times that is the day. The busiest period is measured in each limit's own window: a second
for CloudWatch (ten users asking at once while the 5 watches tick), an hour for Azure (every watch and a fifth of
the day's questions), a minute for Cloud Monitoring (ten at once, 4 readings of each watch)."""

from __future__ import annotations

import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from actions.metrics.mapping import load_mapping
from actions.metrics.model import Metric, MetricSource
from actions.provider import Resource
from bench.figures import Figure
from core.models import Cloud

# gRPC's C core logs a GOAWAY at INFO when the loopback Cloud Monitoring server stops: noise in the figures.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

MEMBERS = 20
DAY_QUESTIONS, DAY_WATCHES, WATCH_READINGS, TICK = 300, 5, 40, 15  # a watch: 10 min, a reading every 15 s
SCALE = 50  # the run here is a fiftieth of the day
QUESTIONS, READINGS = DAY_QUESTIONS // SCALE, DAY_WATCHES * WATCH_READINGS // SCALE
AT_ONCE = 10  # users asking in the same second (so, the same minute)
BUSY_HOUR_QUESTIONS = DAY_QUESTIONS // 5  # an incident's hour: a fifth of the day's questions, and every watch
HOURS, HELD = 6, 7  # a question's hours; hours of samples each fake holds
CLOUDWATCH_USD_PER_1000 = 0.01  # GetMetricData, per 1,000 metrics requested
EXTRA = "pip install 'opsbot[bench]'"
REGION, SUB, PROJECT, ZONE = "us-east-1", "00000000-0000-0000-0000-0000000bench", "bench-project", "europe-west1-b"


class Rig(NamedTuple):
    source: MetricSource
    resources: tuple[Resource, ...]  # the group first, then its members
    requests: Callable[[], int]  # API requests the source made so far
    seen: Callable[[], int | None]  # requests the fake itself recorded (None: it keeps no record)
    limit: float  # requests the API allows in `window` seconds
    window: int  # 1, 60 or 3600: the limit's own period
    limit_text: str


class Counted:
    """The sources' throttle seam: every API request (a page, a member) waits on it first; here it only counts."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def wait(self, endpoint: str) -> None:
        with self._lock:
            self.count += 1


def run() -> list[Figure]:
    now = math.floor(time.time() / 60) * 60 - 60
    figures: list[Figure] = []
    for rig in (_cloudwatch, _azure, _cloud_monitoring):
        try:
            with rig(now) as built:
                figures += _day(built, now)
        except ModuleNotFoundError as exc:
            if exc.name not in ("moto", "trustme"):
                raise
            print(f"   metric budget: {rig.__name__.strip('_')} skipped - needs {exc.name}: {EXTRA}", flush=True)
    return figures


def _day(rig: Rig, now: float) -> list[Figure]:
    from actions.metrics.reader import MetricsReader

    name = rig.source.name
    fetches = _fetches(name)
    clock = _Clock(now)
    reader = MetricsReader([rig.source], None, clock=clock)
    try:
        requested, made = _requested(), rig.requests()
        answered = 0  # members with a series: the fake holds data for all, so every question should read all
        for k in range(QUESTIONS):
            end = now - k * 60
            answered += len(reader.read(Metric.CPU, rig.resources, end - HOURS * 3600, end, deadline=10).series)
        asking, asked = rig.requests() - made, _requested() - requested
        requested, made = _requested(), rig.requests()
        for k in range(READINGS):
            clock.now = now - TICK * k
            reader.latest(Metric.CPU, rig.resources, deadline=10)
        watching, watched = rig.requests() - made, _requested() - requested
    finally:
        reader.close()
    per_question, per_reading = asking / QUESTIONS, watching / READINGS
    window = {1: "second", 60: "minute", 3600: "hour"}[rig.window]
    readings = DAY_WATCHES * min(math.ceil(rig.window / TICK), WATCH_READINGS)
    busiest = per_reading * readings + per_question * (AT_ONCE if rig.window <= 60 else BUSY_HOUR_QUESTIONS)
    watches = rig.limit / (per_reading * rig.window / TICK)
    figures = [
        Figure(f"{name}: API requests a question (6 h of {MEMBERS} instances)", per_question, "requests"),
        Figure(f"{name}: API requests a watch reading", per_reading, "requests"),
        Figure(f"{name}: members with data a question", answered / QUESTIONS, f"of {MEMBERS}"),
        Figure(f"{name}: reader fetches for {QUESTIONS + READINGS} reads", _fetches(name) - fetches, "fetches"),
        Figure(f"{name}: a day's requests", (asking + watching) * SCALE, "requests"),
        Figure(f"{name}: the busiest {window}", busiest, "requests", f"<= {rig.limit:,.0f}: {rig.limit_text}"),
        Figure(f"{name}: {MEMBERS}-instance watches the limit allows at once", watches, "watches"),
    ]  # fmt: skip
    seen = rig.seen()
    if seen is not None and seen != asking + watching:  # the source's count and the fake's record must agree
        figures.append(Figure(f"{name}: requests the fake saw, not {asking + watching}", seen, "requests"))
    if name == "CloudWatch":
        usd = CLOUDWATCH_USD_PER_1000 / 1000 * SCALE
        figures += [
            Figure(f"CloudWatch cost of a day of answering ({DAY_QUESTIONS} questions)", asked * usd, "USD"),
            Figure(f"CloudWatch cost of a day of watching ({DAY_WATCHES} x 10 min)", watched * usd, "USD"),
        ]
    return figures


def _fetches(source: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("opsbot_metric_fetches_total", {"source": source}) or 0.0


def _requested() -> float:
    """CloudWatch's own count of the metrics it was asked for (0 until its module is loaded)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("opsbot_cloudwatch_metrics_requested_total") or 0.0


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _minutes(now: float, every: int = 1) -> list[float]:
    """Sample times over the HELD hours up to `now`, one each `every` minutes."""
    return [now - 60.0 * i for i in range(HELD * 60, -1, -every)]


def _members(cloud: Cloud, prefix: str, local: Callable[[int], str]) -> tuple[Resource, ...]:
    """The group, then its MEMBERS instances (ids as each cloud's inventory writes them)."""
    region = {Cloud.AWS: REGION, Cloud.AZURE: "westeurope", Cloud.GCP: ZONE}[cloud]

    def made(kind: str, local_id: str, name: str, group: str | None) -> Resource:
        return Resource(id=f"{prefix}:{local_id}", name=name, cloud=cloud, kind=kind, region=region,
                        environment="prod", state="running", size="m", hourly_cost=0.1, group=group)  # fmt: skip

    group = made("group", local(-1), "web-prod", None)
    return (group, *(made("instance", local(n), f"web-prod-{n}", "web-prod") for n in range(MEMBERS)))


@contextmanager
def _cloudwatch(now: float) -> Iterator[Rig]:
    import boto3
    from moto.server import ThreadedMotoServer

    from actions.aws.clients import AwsClients
    from actions.aws.metrics import CloudWatchSource
    from core.cloud_config import AwsAccount

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"

        def session(_account: AwsAccount) -> Any:
            return _endpoint_session(boto3.Session, url)

        resources = _members(Cloud.AWS, f"aws:prod:{REGION}", lambda n: "asg/web-prod" if n < 0 else f"i-{n:017x}")
        cloudwatch = session(AwsAccount(name="prod", regions=[REGION])).client("cloudwatch", region_name=REGION)
        data = [
            {"MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": r.id.split(":")[3]}],
             "Timestamp": datetime.fromtimestamp(at, UTC), "Value": 40.0 + n}
            # A sample each 5 minutes, not each minute: moto scans every datum for every query, and the count of
            # requests does not depend on it (one call carries 500 queries; pages come after 100,800 points).
            for n, r in enumerate(resources[1:]) for at in _minutes(now, every=5)
        ]  # fmt: skip
        for first in range(0, len(data), 1000):
            cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=data[first : first + 1000])
        counted = Counted()
        accounts = [AwsAccount(name="prod", regions=[REGION])]
        clients = AwsClients(accounts, timeout=10, session_factory=session, throttle=counted)
        source = CloudWatchSource(accounts, load_mapping().cloudwatch, timeout=10, clients=clients)
        yield Rig(source, resources, lambda: counted.count, lambda: None, 50, 1, "GetMetricData 50 TPS a region")
    finally:
        server.stop()


def _endpoint_session(base: Any, url: str) -> Any:
    """boto3's Session with every client sent to `url` (moto's server)."""

    class Session(base):  # type: ignore[misc]
        def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
            return super().client(service_name, region_name=region_name, endpoint_url=url, **kwargs)

    return Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION)


@contextmanager
def _azure(now: float) -> Iterator[Rig]:
    import trustme

    from actions.azure.metrics import AzureMonitorSource
    from core.cloud_config import AzureSubscription
    from fakes.azure_arm import FakeArm, StaticToken

    ca = trustme.CA()
    arm = FakeArm(ca)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ca_file = Path(tmp) / "ca.pem"
            ca.cert_pem.write_to_path(str(ca_file))
            resources = _members(Cloud.AZURE, f"azure:{SUB}:rg-web",
                                 lambda n: "vmss/web-prod" if n < 0 else f"vm/web-prod-{n}")  # fmt: skip
            for n, member in enumerate(resources[1:]):
                arm.add_vm(SUB, "rg-web", member.name)
                arm_id = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/"
                arm.add_metric(arm_id + member.name, "Percentage CPU", [(at, 40.0 + n) for at in _minutes(now)])
            counted = Counted()
            source = AzureMonitorSource([AzureSubscription(id=SUB, name="prod")], load_mapping().azure,
                                        arm_url=arm.url, throttle=counted, timeout=10, credential=StaticToken(),
                                        connection_verify=str(ca_file))  # fmt: skip
            seen = len(arm.requests_to("Microsoft.Insights/metrics"))
            yield Rig(source, resources, lambda: counted.count,
                      lambda: len(arm.requests_to("Microsoft.Insights/metrics")) - seen,
                      12_000, 3600, "12,000 reads/h a subscription")  # fmt: skip
            source.close()
    finally:
        arm.close()


@contextmanager
def _cloud_monitoring(now: float) -> Iterator[Rig]:
    from actions.gcp.metrics import CloudMonitoringSource
    from core.cloud_config import GcpProject
    from fakes.gcp_monitoring import FakeMonitoringApi

    cpu = load_mapping().gcp[Metric.CPU].type
    with FakeMonitoringApi() as fake:
        resources = _members(Cloud.GCP, f"gcp:{PROJECT}:{ZONE}",
                             lambda n: "mig/web-prod" if n < 0 else f"instance/web-prod-{n}")  # fmt: skip
        for n, member in enumerate(resources[1:]):
            fake.add_series(PROJECT, ZONE, member.name, cpu, [(at, 0.4 + n / 100) for at in _minutes(now)],
                            group="web-prod")  # fmt: skip
        counted = Counted()
        source = CloudMonitoringSource([GcpProject(id=PROJECT, zones=[ZONE])], load_mapping().gcp,
                                       monitoring_url=fake.url, throttle=counted, timeout=10)  # fmt: skip
        seen = len(fake.calls)
        yield Rig(source, resources, lambda: counted.count, lambda: len(fake.calls) - seen,
                  6_000, 60, "6,000 reads/min a project")  # fmt: skip
