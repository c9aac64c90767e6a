"""CloudWatchSource with boto3 against moto's server (it answers GetMetricData only from the data a test puts), and
against a loopback CloudWatch for what moto will not do: percentiles, NextToken pages, refusals, throttling and a
server that never answers. That loopback speaks the protocol boto3 picks for CloudWatch (AWS JSON 1.0; errors with
the `x-amzn-query-error` header real CloudWatch sends for its older query-protocol codes)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from moto.server import ThreadedMotoServer
from prometheus_client import REGISTRY

from actions.aws.clients import AwsClients
from actions.aws.metrics import CloudWatchSource, period_for
from actions.metrics.mapping import CloudWatchMetric, load_mapping
from actions.metrics.model import Metric, MetricsUnavailable, SeriesRequest
from actions.provider import Resource
from core.cloud_config import AwsAccount
from core.models import Cloud
from fakes.loopback import LoopbackHandler, LoopbackServer

REGION = "us-east-1"
ACCOUNT = AwsAccount(name="prod", regions=[REGION])
T0 = 1_764_979_200  # 2025-12-06 00:00 UTC: the world's metrics start here
NOW = T0 + 3600  # the wall clock the source sees: an hour later (fresh data: one-minute periods)
MAPPING = load_mapping().cloudwatch
_BOTOCORE = botocore.session.get_session()


class EndpointSession(boto3.Session):  # type: ignore[misc]  # boto3 has no type hints here
    """boto3's own session with every client sent to one endpoint (moto, or the loopback CloudWatch). They share
    one botocore session: it parses CloudWatch's service model once, not once a test (~0.3 s)."""

    def __init__(self, url: str) -> None:
        super().__init__(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION,
                         botocore_session=_BOTOCORE)  # fmt: skip
        self._url = url

    def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        return super().client(service_name, region_name=region_name, endpoint_url=self._url, **kwargs)


def resource(local: str, name: str, kind: str = "instance", account: str = "prod") -> Resource:
    return Resource(id=f"aws:{account}:{REGION}:{local}", name=name, cloud=Cloud.AWS, kind=kind, region=REGION,
                    environment="prod", state="running", size="m5.large", hourly_cost=0.1)  # fmt: skip


WEB1, WEB2 = resource("i-0web1", "web-1"), resource("i-0web2", "web-2")
GROUP = resource("asg/web-prod", "web-prod", "group")


def _datum(name: str, dimension: str, value: str, at: int, number: float) -> dict[str, Any]:
    return {"MetricName": name, "Dimensions": [{"Name": dimension, "Value": value}],
            "Timestamp": datetime.fromtimestamp(at, UTC), "Value": number}  # fmt: skip


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto with ten minutes of metrics: CPU of web-1 (0, 10, ... 90 %), web-2 (50 % flat) and the group web-prod
    (40 %), and web-1's NetworkIn (600 bytes a minute)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    cloudwatch = EndpointSession(url).client("cloudwatch", region_name=REGION)
    minutes = [T0 + 60 * i for i in range(10)]
    data = [_datum("CPUUtilization", "InstanceId", "i-0web1", at, 10.0 * i) for i, at in enumerate(minutes)]
    data += [_datum("CPUUtilization", "InstanceId", "i-0web2", at, 50.0) for at in minutes]
    data += [_datum("CPUUtilization", "AutoScalingGroupName", "web-prod", at, 40.0) for at in minutes]
    cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=data)
    network = [_datum("NetworkIn", "InstanceId", "i-0web1", at, 600.0) for at in minutes]
    cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=network)
    yield url
    server.stop()


def clients_at(url: str, timeout: float = 2.0) -> AwsClients:
    session = EndpointSession(url)
    return AwsClients([ACCOUNT], timeout=timeout, session_factory=lambda _account: session)


def source_at(url: str, mapping: dict[Metric, CloudWatchMetric] = MAPPING, **options: Any) -> CloudWatchSource:
    timeout = options.pop("timeout", 2.0)
    clients = options.pop("clients", None) or clients_at(url, timeout)
    return CloudWatchSource([ACCOUNT], mapping, timeout=timeout, clients=clients, wall_clock=lambda: NOW, **options)


def requested() -> float:
    return REGISTRY.get_sample_value("opsbot_cloudwatch_metrics_requested_total") or 0.0


def ask(metric: Metric, *resources: Resource, step: int = 60, minutes: int = 10) -> SeriesRequest:
    return SeriesRequest(metric=metric, resources=resources, start=T0, end=T0 + 60 * minutes, step=step)


def test_instances_and_a_group_come_back_with_their_own_points(moto_url: str) -> None:
    found = source_at(moto_url).fetch(ask(Metric.CPU, WEB1, WEB2, GROUP), timeout=3)
    by_name = {series.resource_name: series for series in found}
    assert set(by_name) == {"web-1", "web-2", "web-prod"}
    assert by_name["web-1"].resource_id == WEB1.id
    assert by_name["web-1"].points == tuple((T0 + 60.0 * i, 10.0 * i) for i in range(10))
    assert {value for _, value in by_name["web-2"].points} == {50.0}
    assert {value for _, value in by_name["web-prod"].points} == {40.0}


def test_a_step_under_a_minute_asks_for_one_minute_and_others_round_up_to_whole_minutes(moto_url: str) -> None:
    source = source_at(moto_url)
    fine = source.fetch(ask(Metric.CPU, WEB1, step=15), timeout=3)[0]
    assert [at for at, _ in fine.points] == [T0 + 60.0 * i for i in range(10)]
    coarse = source.fetch(ask(Metric.CPU, WEB1, step=90), timeout=3)[0]  # a 120 s period: pairs of minutes
    assert coarse.points == tuple((T0 + 120.0 * i, 20.0 * i + 5) for i in range(5))


def test_a_sum_is_per_second_of_its_period(moto_url: str) -> None:
    for step in (60, 300):  # 600 bytes a minute is 10 B/s whatever the period
        found = source_at(moto_url).fetch(ask(Metric.NETWORK_IN, WEB1, step=step), timeout=3)
        assert [series.resource_name for series in found] == ["web-1"]
        assert {value for _, value in found[0].points} == {10.0}


def test_the_mapping_names_the_statistic_and_the_scale(moto_url: str) -> None:
    peak = CloudWatchMetric(namespace="AWS/EC2", name="CPUUtilization", stat="Maximum", scale=0.5,
                            dimension={"instance": "InstanceId"})  # fmt: skip
    found = source_at(moto_url, {Metric.CPU: peak}).fetch(ask(Metric.CPU, WEB1, step=300), timeout=3)
    assert found[0].points == ((T0, 20.0), (T0 + 300.0, 45.0))  # max of 0..40 and 50..90, halved


def test_no_data_means_no_series_and_a_metric_without_mapping_says_so(moto_url: str) -> None:
    source = source_at(moto_url)
    assert source.fetch(ask(Metric.MEMORY, WEB1, WEB2), timeout=3) == []  # nobody put CWAgent memory
    quiet = resource("i-0quiet", "quiet-1")
    assert [s.resource_name for s in source.fetch(ask(Metric.CPU, WEB1, quiet), timeout=3)] == ["web-1"]
    assert source.fetch(ask(Metric.LATENCY_P99, WEB1), timeout=3) == []  # an instance has no target latency
    with pytest.raises(MetricsUnavailable, match=r"^CloudWatch has no metric for CPU \(metrics mapping\)$"):
        source_at(moto_url, {}).fetch(ask(Metric.CPU, WEB1), timeout=3)


def test_501_resources_take_two_calls_and_are_counted(moto_url: str) -> None:
    clients = clients_at(moto_url)
    source = source_at(moto_url, clients=clients)
    calls: list[int] = []  # the queries of each GetMetricData request, as botocore is about to send it
    clients.client(ACCOUNT, REGION, "cloudwatch").meta.events.register(
        "before-parameter-build.monitoring.GetMetricData",
        lambda params, **_: calls.append(len(params["MetricDataQueries"])),
    )
    crowd = [resource(f"i-{n:07x}", f"node-{n}") for n in range(499)]
    before = requested()
    found = source.fetch(ask(Metric.CPU, *crowd, WEB1, WEB2), timeout=5)
    assert calls == [500, 1]
    assert requested() - before == 501  # what AWS bills: $0.01 per 1,000
    assert {s.resource_name for s in found} == {"web-1", "web-2"}  # the last one came from the second call


def test_covers_aws_instances_and_groups_of_configured_accounts() -> None:
    source = CloudWatchSource([ACCOUNT], MAPPING, timeout=1.0)
    assert source.covers(WEB1) and source.covers(GROUP)
    assert not source.covers(resource("vol-0abc", "db-data", "disk"))
    assert not source.covers(resource("i-0other", "elsewhere", account="staging"))
    assert not source.covers(WEB1.model_copy(update={"cloud": Cloud.AZURE}))


def test_old_ranges_ask_for_the_coarser_periods_cloudwatch_keeps() -> None:
    day = 86_400
    assert period_for(60, NOW - 3600, NOW) == 60
    assert period_for(60, NOW - 20 * day, NOW) == 300
    assert period_for(600, NOW - 20 * day, NOW) == 600
    assert period_for(60, NOW - 70 * day, NOW) == 3600


# --- the loopback CloudWatch -----------------------------------------------------------------------------------
@dataclass
class LoopbackCloudWatch:
    """Answers each GetMetricData with the next scripted (status, body, headers); records the requests' bodies."""

    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    hang: threading.Event | None = None

    def page(self, values: list[float], first: int = 0, next_token: str | None = None) -> None:
        """One page: `values` a minute apart from minute `first`."""
        stamps = [T0 + 60 * (first + i) for i in range(len(values))]  # epoch seconds, as AWS JSON sends them
        result = {"Id": "q0", "Label": "TargetResponseTime", "Timestamps": stamps, "Values": values,
                  "StatusCode": "PartialData" if next_token else "Complete"}  # fmt: skip
        body: dict[str, Any] = {"MetricDataResults": [result], "Messages": []}
        if next_token:
            body["NextToken"] = next_token
        self.answers.append((200, body, {}))

    def refuse(self, status: int, code: str, shape: str, message: str, headers: dict[str, str] | None = None) -> None:
        body = {"__type": f"com.amazonaws.cloudwatch#{shape}", "message": message}
        self.answers.append((status, body, {"x-amzn-query-error": f"{code};Sender", **(headers or {})}))


@pytest.fixture
def loopback() -> Iterator[tuple[LoopbackCloudWatch, str]]:
    fake = LoopbackCloudWatch()

    class Handler(LoopbackHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fake.bodies.append(json.loads(body))
            if fake.hang is not None:
                fake.hang.wait(5)
                return
            status, answer, headers = fake.answers.pop(0)
            kind = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "r-1"}
            self.reply(status, json.dumps(answer).encode(), {**kind, **headers})

    with LoopbackServer(Handler, "fake-cloudwatch") as server:
        yield fake, server.url
        if fake.hang is not None:
            fake.hang.set()


BALANCER = resource("app/web/50dc6c49", "web-alb", "load_balancer")


def test_percentiles_follow_next_token_pages(loopback: tuple[LoopbackCloudWatch, str]) -> None:
    fake, url = loopback
    fake.page([0.120, 0.250], next_token="more")
    fake.page([0.300], first=2)
    found = source_at(url).fetch(ask(Metric.LATENCY_P99, BALANCER), timeout=3)
    assert found[0].resource_name == "web-alb"
    assert found[0].points == ((T0, 120.0), (T0 + 60.0, 250.0), (T0 + 120.0, 300.0))  # seconds -> ms
    query = fake.bodies[0]["MetricDataQueries"][0]
    assert query["MetricStat"]["Stat"] == "p99"
    assert query["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "LoadBalancer", "Value": "app/web/50dc6c49"}]
    assert [body.get("NextToken") for body in fake.bodies] == [None, "more"]


def test_a_refusal_is_one_line_with_the_code_and_the_reason(loopback: tuple[LoopbackCloudWatch, str]) -> None:
    fake, url = loopback
    message = ("User: arn:aws:iam::123456789012:user/opsbot is not authorized to perform: cloudwatch:GetMetricData "
               "because no identity-based policy allows the cloudwatch:GetMetricData action")  # fmt: skip
    fake.refuse(403, "AccessDenied", "AccessDeniedException", message)
    with pytest.raises(MetricsUnavailable) as refused:
        source_at(url).fetch(ask(Metric.CPU, WEB1), timeout=3)
    line = str(refused.value)
    assert line.startswith("CloudWatch refused: AccessDenied - User: arn:aws:iam::123456789012:user/opsbot is not")
    assert "\n" not in line and len(line) < 160


def test_throttling_says_so_and_when_to_retry(loopback: tuple[LoopbackCloudWatch, str]) -> None:
    fake, url = loopback
    fake.refuse(400, "Throttling", "ThrottlingException", "Rate exceeded", {"Retry-After": "4"})
    with pytest.raises(MetricsUnavailable, match=r"^CloudWatch is throttling requests for AWS prod us-east-1 "
                                                 r"\(retry in 4 s\)$"):  # fmt: skip
        source_at(url).fetch(ask(Metric.CPU, WEB1), timeout=3)


def test_a_server_that_never_answers_is_reported_after_the_timeout(loopback: tuple[LoopbackCloudWatch, str]) -> None:
    fake, url = loopback
    fake.hang = threading.Event()
    with pytest.raises(MetricsUnavailable, match=r"^CloudWatch did not answer in 0.3 s \(AWS prod us-east-1\)$"):
        source_at(url, timeout=0.3).fetch(ask(Metric.CPU, WEB1), timeout=3)


class SteppingClock:
    """A monotonic clock that moves `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.step, self.at = step, 0.0

    def now(self) -> float:
        self.at += self.step
        return self.at

    def sleep(self, seconds: float) -> None:
        self.at += seconds


def test_the_read_stops_at_its_deadline_between_pages(loopback: tuple[LoopbackCloudWatch, str]) -> None:
    fake, url = loopback
    fake.page([0.1], next_token="more")
    fake.page([0.2], first=1)
    source = source_at(url, clock=SteppingClock(1.0))  # the deadline is read at 1: 1 + 1; the 2nd page at 3
    with pytest.raises(MetricsUnavailable, match=r"^CloudWatch did not answer in 1 s$"):
        source.fetch(ask(Metric.LATENCY_P99, BALANCER), timeout=1)
    assert len(fake.bodies) == 1
