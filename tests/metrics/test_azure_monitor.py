"""AzureMonitorSource with azure-mgmt-monitor against the fake ARM over HTTPS (a test CA): VMs and a scale set with
one-minute samples the fake aggregates per interval as Azure Monitor does, and Azure's refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from azure.core.exceptions import HttpResponseError
from azure.mgmt.monitor import MonitorManagementClient

from actions.azure.metrics import AzureMonitorSource, interval_for
from actions.metrics.mapping import AzureMetric, load_mapping
from actions.metrics.model import Metric, MetricsUnavailable, SeriesRequest
from actions.metrics.reader import MetricsReader
from actions.provider import Resource
from core.cloud_config import AzureSubscription
from core.models import Cloud
from fakes.azure_arm import FakeArm, StaticToken
from tests.actions.azure.conftest import CountingThrottle

SUB, OTHER = "11111111-1111-4111-8111-111111111111", "33333333-3333-4333-8333-333333333333"
SUBSCRIPTIONS = [AzureSubscription(id=SUB, name="prod")]
T0 = 1_764_979_200  # 2025-12-06 00:00 UTC
MAPPING = load_mapping().azure
METRICS_PATH = r"/providers/Microsoft\.Insights/metrics$"


def arm_id(kind: str, name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/{kind}/{name}"


def resource(local: str, name: str, kind: str = "instance", sub: str = SUB) -> Resource:
    return Resource(id=f"azure:{sub}:rg-web:{local}", name=name, cloud=Cloud.AZURE, kind=kind, region="westeurope",
                    environment="prod", state="running", size="Standard_D2s_v5", hourly_cost=0.1)  # fmt: skip


WEB1, WEB2, WEB3 = resource("vm/web-1", "web-1"), resource("vm/web-2", "web-2"), resource("vm/web-3", "web-3")
SET = resource("vmss/web-prod", "web-prod", "group")
MEMBER = resource("vmss/web-prod/0", "web-prod_0")
SET_ARM = arm_id("virtualMachineScaleSets", "web-prod")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    """A test CA, and the file of its certificate the clients trust: the fake ARM serves HTTPS."""
    ca, path = trustme.CA(), tmp_path_factory.mktemp("azure-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


@pytest.fixture(scope="module")
def ca_path(tls: tuple[trustme.CA, str]) -> str:
    return tls[1]


@pytest.fixture(scope="module")
def arm(tls: tuple[trustme.CA, str]) -> Iterator[FakeArm]:
    """Ten minutes of samples: web-1's CPU 0, 10, ... 90 % but none in minute 5; web-2 at 50 %; the scale set at
    40 %; web-1's memory 30 % available and 600 bytes in a minute. web-3 has nothing."""
    fake = FakeArm(tls[0])
    for name in ("web-1", "web-2", "web-3"):
        fake.add_vm(SUB, "rg-web", name)
    fake.add_scale_set(SUB, "rg-web", "web-prod", 2)
    minutes = [T0 + 60 * i for i in range(10)]
    vm1, vm2, vmss = arm_id("virtualMachines", "web-1"), arm_id("virtualMachines", "web-2"), SET_ARM
    fake.add_metric(vm1, "Percentage CPU", [(at, 10.0 * i) for i, at in enumerate(minutes) if i != 5])
    fake.add_metric(vm2, "Percentage CPU", [(at, 50.0) for at in minutes])
    fake.add_metric(vmss, "Percentage CPU", [(at, 40.0) for at in minutes])
    fake.add_metric(vm1, "Available Memory Percentage", [(at, 30.0) for at in minutes])
    fake.add_metric(vm1, "Network In Total", [(at, 600.0) for at in minutes])
    yield fake
    fake.close()


def source_at(
    arm: FakeArm, ca_path: str, mapping: dict[Metric, AzureMetric] = MAPPING, **options: Any
) -> AzureMonitorSource:
    settings: dict[str, Any] = {"arm_url": arm.url, "credential": StaticToken(), "timeout": 2.0,
                                "connection_verify": ca_path} | options  # fmt: skip
    return AzureMonitorSource(SUBSCRIPTIONS, mapping, **settings)


@pytest.fixture
def source(arm: FakeArm, ca_path: str) -> Iterator[AzureMonitorSource]:
    made = source_at(arm, ca_path)
    yield made
    made.close()


def ask(metric: Metric, *resources: Resource, step: int = 60, minutes: int = 10) -> SeriesRequest:
    return SeriesRequest(metric=metric, resources=resources, start=T0, end=T0 + 60 * minutes, step=step)


def test_each_vm_gets_its_series_with_gaps_left_out(source: AzureMonitorSource) -> None:
    found = {s.resource_name: s for s in source.fetch(ask(Metric.CPU, WEB1, WEB2, WEB3), timeout=3)}
    assert set(found) == {"web-1", "web-2"}  # web-3 has no samples: no series
    assert found["web-1"].resource_id == WEB1.id
    assert found["web-1"].points == tuple((T0 + 60.0 * i, 10.0 * i) for i in range(10) if i != 5)
    assert {value for _, value in found["web-2"].points} == {50.0}


def test_the_step_is_rounded_up_to_an_interval_azure_accepts(source: AzureMonitorSource, arm: FakeArm) -> None:
    before = len(arm.requests_to("Microsoft.Insights/metrics"))
    (series,) = source.fetch(ask(Metric.CPU, WEB2, step=120), timeout=3)
    asked = arm.requests_to("Microsoft.Insights/metrics")[before:]
    assert [r.query["interval"] for r in asked] == ["PT5M"]
    assert asked[0].query["timespan"] == "2025-12-06T00:00:00Z/2025-12-06T00:10:00Z"
    assert series.points == ((T0, 50.0), (T0 + 300.0, 50.0))
    assert [interval_for(step) for step in (15, 60, 61, 3600, 7200, 86400, 10**6)] == [
        ("PT1M", 60), ("PT1M", 60), ("PT5M", 300), ("PT1H", 3600), ("PT6H", 21600), ("P1D", 86400), ("P1D", 86400)
    ]  # fmt: skip


def test_a_scale_set_is_one_series_and_its_members_are_not_covered(source: AzureMonitorSource) -> None:
    (series,) = source.fetch(ask(Metric.CPU, SET, MEMBER), timeout=3)
    assert series.resource_name == "web-prod" and {v for _, v in series.points} == {40.0}
    assert source.covers(SET) and source.covers(WEB1)
    assert not source.covers(MEMBER)
    assert not source.covers(resource("vm/else", "else", sub=OTHER))
    assert not source.covers(WEB1.model_copy(update={"cloud": Cloud.AWS, "id": "aws:prod:us-east-1:i-0abc"}))


def test_a_scale_set_asked_with_its_instances_is_read_as_the_set(source: AzureMonitorSource) -> None:
    """The conversation hands a group with its members; Azure Monitor knows the set, not its instances."""
    member = MEMBER.model_copy(update={"group": "web-prod"})
    reading = MetricsReader([source]).read(Metric.CPU, [SET, member], T0, T0 + 600, step=60, deadline=5)
    assert [s.resource_name for s in reading.series] == ["web-prod"]
    assert reading.missing == () and reading.problems == ()


def test_memory_is_the_complement_and_network_is_per_second(source: AzureMonitorSource) -> None:
    (memory,) = source.fetch(ask(Metric.MEMORY, WEB1), timeout=3)
    assert {value for _, value in memory.points} == {70.0}  # 30 % available is 70 % used
    for step in (60, 300):  # 600 bytes a minute is 10 B/s whatever the interval
        (network,) = source.fetch(ask(Metric.NETWORK_IN, WEB1, step=step), timeout=3)
        assert {value for _, value in network.points} == {10.0}


def test_every_request_passes_the_throttle_with_the_token(arm: FakeArm, ca_path: str) -> None:
    throttle = CountingThrottle()
    source = source_at(arm, ca_path, throttle=throttle, credential=StaticToken("test-token"))
    before = len(arm.requests_to("Microsoft.Insights/metrics"))
    assert len(source.fetch(ask(Metric.CPU, WEB1, WEB2, SET), timeout=3)) == 3
    assert throttle.endpoints == [f"azure:{SUB}:*"] * 3
    assert {r.token for r in arm.requests_to("Microsoft.Insights/metrics")[before:]} == {"test-token"}
    source.close()


def test_a_metric_azure_does_not_know_is_refused_in_its_words(arm: FakeArm, ca_path: str) -> None:
    typo = {Metric.CPU: AzureMetric(name="Percentage CPUs", aggregation="Average")}
    with pytest.raises(MetricsUnavailable) as refused:
        source_at(arm, ca_path, typo).fetch(ask(Metric.CPU, WEB1), timeout=3)
    line = str(refused.value)
    assert line.startswith("Azure Monitor refused: Failed to find metric configuration for provider: Microsoft.Compute")
    assert len(line) < 200
    with pytest.raises(MetricsUnavailable, match=r"^Azure Monitor has no metric for p99 latency \(metrics mapping\)$"):
        source_at(arm, ca_path).fetch(ask(Metric.LATENCY_P99, WEB1), timeout=3)


def test_the_fake_refuses_an_interval_azure_does_not_accept(arm: FakeArm, ca_path: str) -> None:
    client = MonitorManagementClient(StaticToken(), SUB, base_url=arm.url, connection_verify=ca_path)
    with pytest.raises(HttpResponseError) as refused:
        client.metrics.list(
            arm_id("virtualMachines", "web-1").lstrip("/"),
            interval="PT2M",
            timespan="2025-12-06T00:00:00Z/2025-12-06T00:10:00Z",
            metricnames="Percentage CPU",
        )
    assert refused.value.status_code == 400
    assert "Invalid time grain duration: PT2M" in str(refused.value)
    client.close()


def test_throttling_says_when_to_retry(source: AzureMonitorSource, arm: FakeArm) -> None:
    arm.fail(METRICS_PATH, 429, retry_after="17", code="TooManyRequests", message="Too many requests.")
    with pytest.raises(MetricsUnavailable, match=r"^Azure Monitor is throttling \(retry in 17 s\)$"):
        source.fetch(ask(Metric.CPU, WEB1), timeout=3)


def test_a_request_that_hangs_is_reported(arm: FakeArm, ca_path: str) -> None:
    arm.hang(METRICS_PATH, 1.0)  # longer than the request may take
    with pytest.raises(MetricsUnavailable, match=r"^Azure Monitor did not answer in 0.3 s \(subscription prod\)$"):
        source_at(arm, ca_path, timeout=0.3).fetch(ask(Metric.CPU, WEB1), timeout=3)
    arm.hang(METRICS_PATH, 1.0)  # ... and the question's own deadline, shorter than a request may take
    with pytest.raises(MetricsUnavailable, match=r"^Azure Monitor did not answer in 0.2 s$"):
        source_at(arm, ca_path, timeout=5.0).fetch(ask(Metric.CPU, WEB1), timeout=0.2)
