"""Cloud Monitoring source: the real google-cloud-monitoring client (gRPC, its only transport) against the loopback
fake of the Monitoring API (fakes.gcp_monitoring), which aligns, reduces and pages as the real API does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from google.api_core import exceptions as api
from google.cloud import monitoring_v3

from actions.backend import NoThrottle
from actions.gcp.metrics import CloudMonitoringSource
from actions.metrics.mapping import GcpMetric, load_mapping
from actions.metrics.model import Metric, MetricsUnavailable, SeriesRequest
from actions.provider import Resource
from core.cloud_config import GcpProject
from core.models import Cloud
from fakes.gcp_monitoring import FakeMonitoringApi

NOW = 1_767_000_000  # a whole minute
ZONE = "europe-west1-b"
CPU = "compute.googleapis.com/instance/cpu/utilization"
MAPPING = load_mapping().gcp


class CountingThrottle:
    """Our Throttle protocol, counting the waits: one per API request."""

    def __init__(self) -> None:
        self.endpoints: list[str] = []

    def wait(self, endpoint: str) -> None:
        self.endpoints.append(endpoint)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMonitoringApi]:
    with FakeMonitoringApi() as api_:
        yield api_


def source(fake: FakeMonitoringApi, *projects: str, mapping: dict[Metric, GcpMetric] | None = None,
           throttle: CountingThrottle | None = None) -> CloudMonitoringSource:  # fmt: skip
    return CloudMonitoringSource([GcpProject(id=p) for p in projects], mapping or MAPPING, monitoring_url=fake.url,
                                 throttle=throttle or NoThrottle(), timeout=5.0)  # fmt: skip


def resource(project: str, name: str, kind: str = "instance") -> Resource:
    ref = "mig" if kind == "group" else "instance"
    return Resource(id=f"gcp:{project}:{ZONE}:{ref}/{name}", name=name, cloud=Cloud.GCP, kind=kind, region=ZONE,
                    environment="prod", state="running", size="e2-medium", hourly_cost=0.1)  # fmt: skip


def ask(metric: Metric, *resources: Resource, minutes: int = 5, step: int = 60) -> SeriesRequest:
    return SeriesRequest(metric=metric, resources=resources, start=NOW - minutes * 60, end=NOW, step=step)


def test_cpu_values_are_window_means_in_percent_oldest_first(fake: FakeMonitoringApi) -> None:
    # two samples a minute; the window (t - 60, t] averages them; the fraction becomes percent (scale 100)
    samples = [(NOW - 300 + 30 * k, 0.1 + 0.01 * k) for k in range(1, 11)]
    fake.add_series("p-values", ZONE, "web-1", CPU, samples)
    fake.add_series("p-values", ZONE, "web-2", CPU, [(NOW - 10, 0.5)])
    fake.add_series("p-values", "us-east1-c", "web-1", CPU, [(NOW - 10, 0.99)])  # same name, another zone

    [series] = source(fake, "p-values").fetch(ask(Metric.CPU, resource("p-values", "web-1")), timeout=3)

    assert series.resource_id == f"gcp:p-values:{ZONE}:instance/web-1"
    assert series.resource_name == "web-1"
    times = [at for at, _ in series.points]
    assert times == [NOW - 240, NOW - 180, NOW - 120, NOW - 60, NOW]  # the API sent them newest first
    assert [round(v, 6) for _, v in series.points] == [11.5, 13.5, 15.5, 17.5, 19.5]
    call = fake.calls[-1]
    assert call.filter == (f'metric.type = "{CPU}" AND resource.type = "gce_instance" AND resource.labels.zone = '
                           f'"{ZONE}" AND (metadata.system_labels.name = "web-1")')  # fmt: skip
    assert (call.period, call.aligner, call.reducer) == (60, "ALIGN_MEAN", "REDUCE_MEAN")


def test_a_migs_members_each_get_a_series_named_by_member(fake: FakeMonitoringApi) -> None:
    for k, load in enumerate((0.2, 0.3, 0.9)):
        fake.add_series("p-mig", ZONE, f"api-prod-{k:04d}", CPU, [(NOW - 30, load)], group="api-prod")
    fake.add_series("p-mig", ZONE, "lonely", CPU, [(NOW - 30, 0.7)])
    fake.add_series("p-mig", ZONE, "batch-0000", CPU, [(NOW - 30, 0.6)], group="batch")

    found = source(fake, "p-mig").fetch(ask(Metric.CPU, resource("p-mig", "api-prod", "group")), timeout=3)

    by_name = {s.resource_name: s for s in found}
    assert sorted(by_name) == ["api-prod-0000", "api-prod-0001", "api-prod-0002"]
    assert by_name["api-prod-0002"].resource_id == f"gcp:p-mig:{ZONE}:instance/api-prod-0002"
    assert [round(v, 6) for _, v in by_name["api-prod-0002"].points] == [90.0]
    assert 'metadata.system_labels.instance_group = "api-prod"' in fake.calls[-1].filter


def test_memory_from_the_agent_is_named_through_its_metadata_and_keeps_the_mapping_filter(
    fake: FakeMonitoringApi,
) -> None:
    memory = "agent.googleapis.com/memory/percent_used"
    fake.add_series("p-mem", ZONE, "db-1", memory, [(NOW - 30, 71.0)], labels={"state": "used"})
    fake.add_series("p-mem", ZONE, "db-1", memory, [(NOW - 30, 20.0)], labels={"state": "free"})

    [series] = source(fake, "p-mem").fetch(ask(Metric.MEMORY, resource("p-mem", "db-1")), timeout=3)

    assert series.resource_name == "db-1"
    assert series.points == ((float(NOW), 71.0),)
    assert fake.calls[-1].filter.endswith('AND (metric.labels.state = "used")')


def test_network_rates_add_up_an_instances_series(fake: FakeMonitoringApi) -> None:
    received = "compute.googleapis.com/instance/network/received_bytes_count"
    for balanced, count in (("true", 6000.0), ("false", 1200.0)):  # bytes added in the minute
        fake.add_series("p-net", ZONE, "web-1", received, [(NOW - 20, count)], kind="DELTA",
                        labels={"loadBalanced": balanced})  # fmt: skip

    [series] = source(fake, "p-net").fetch(ask(Metric.NETWORK_IN, resource("p-net", "web-1")), timeout=3)

    assert series.points == ((float(NOW), 120.0),)  # (6000 + 1200) B / 60 s
    assert (fake.calls[-1].aligner, fake.calls[-1].reducer) == ("ALIGN_RATE", "REDUCE_SUM")


def test_every_page_is_followed_and_throttled(fake: FakeMonitoringApi) -> None:
    for k in range(130):
        fake.add_series("p-pages", ZONE, f"big-{k:04d}", CPU, [(NOW - 30, k / 1000)], group="big")
    throttle = CountingThrottle()

    found = source(fake, "p-pages", throttle=throttle).fetch(ask(Metric.CPU, resource("p-pages", "big", "group")),
                                                             timeout=3)  # fmt: skip

    assert len(found) == 130
    assert {s.resource_name: s.points[0][1] for s in found}["big-0129"] == pytest.approx(12.9)
    calls = [c for c in fake.calls if c.project == "p-pages"]
    assert [c.page_token for c in calls] == ["", "100"]
    assert throttle.endpoints == ["gcp:p-pages:monitoring"] * 2


def test_many_instances_are_asked_a_batch_a_call_and_each_zone_apart(fake: FakeMonitoringApi) -> None:
    names = [f"w-{k:02d}" for k in range(45)]
    for name in names:
        fake.add_series("p-batch", ZONE, name, CPU, [(NOW - 30, 0.4)])
    fake.add_series("p-batch", "us-east1-c", "east-1", CPU, [(NOW - 30, 0.8)])
    east = resource("p-batch", "east-1").model_copy(update={"id": "gcp:p-batch:us-east1-c:instance/east-1"})
    asked = [resource("p-batch", name) for name in names] + [east]

    found = source(fake, "p-batch").fetch(ask(Metric.CPU, *asked), timeout=3)

    assert sorted(s.resource_name for s in found) == sorted([*names, "east-1"])
    calls = [c for c in fake.calls if c.project == "p-batch"]
    assert [c.filter.count("metadata.system_labels.name") for c in calls] == [40, 5, 1]


def test_a_step_under_a_minute_is_asked_as_a_minute(fake: FakeMonitoringApi) -> None:
    fake.add_series("p-step", ZONE, "web-1", CPU, [(NOW - 100, 0.1), (NOW - 10, 0.2)])

    [series] = source(fake, "p-step").fetch(ask(Metric.CPU, resource("p-step", "web-1"), step=15), timeout=3)

    assert fake.calls[-1].period == 60
    assert [at for at, _ in series.points] == [NOW - 60, NOW]


def test_no_data_gives_no_series(fake: FakeMonitoringApi) -> None:
    fake.add_project("p-empty")
    assert source(fake, "p-empty").fetch(ask(Metric.CPU, resource("p-empty", "web-1")), timeout=3) == []


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("RESOURCE_EXHAUSTED", "Cloud Monitoring is throttling"),
        ("UNAVAILABLE", "Cloud Monitoring is unavailable (503)"),
        ("UNAUTHENTICATED", "Cloud Monitoring refused the credentials - check GOOGLE_APPLICATION_CREDENTIALS"),
    ],
)
def test_faults_read_as_one_line(fake: FakeMonitoringApi, code: str, line: str) -> None:
    fake.add_project("p-faults")
    fake.fail(code)
    with pytest.raises(MetricsUnavailable) as caught:
        source(fake, "p-faults").fetch(ask(Metric.CPU, resource("p-faults", "web-1")), timeout=3)
    assert str(caught.value).startswith(line)
    assert "\n" not in str(caught.value)


def test_an_unknown_project_is_refused(fake: FakeMonitoringApi) -> None:
    with pytest.raises(MetricsUnavailable, match=r"^Cloud Monitoring refused: Permission monitoring\.timeSeries"):
        source(fake, "p-nobody").fetch(ask(Metric.CPU, resource("p-nobody", "web-1")), timeout=3)


def test_an_invalid_argument_is_refused_with_googles_reason(fake: FakeMonitoringApi) -> None:
    fake.add_series("p-invalid", ZONE, "web-1", CPU, [(NOW - 30, 0.5)])
    wrong = {Metric.CPU: GcpMetric(type=CPU, aligner="ALIGN_RATE")}  # a rate of a gauge

    with pytest.raises(MetricsUnavailable) as caught:
        source(fake, "p-invalid", mapping=wrong).fetch(ask(Metric.CPU, resource("p-invalid", "web-1")), timeout=3)

    assert str(caught.value) == "Cloud Monitoring refused: The aligner ALIGN_RATE is not valid for a GAUGE metric."


def test_a_hang_is_cut_at_the_callers_timeout(fake: FakeMonitoringApi) -> None:
    fake.add_project("p-hang")
    fake.hang(5.0)
    with pytest.raises(MetricsUnavailable, match=r"^Cloud Monitoring did not answer in 0\.3 s$"):
        source(fake, "p-hang").fetch(ask(Metric.CPU, resource("p-hang", "web-1")), timeout=0.3)


def test_a_metric_without_a_mapping_says_so(fake: FakeMonitoringApi) -> None:
    with pytest.raises(MetricsUnavailable, match="no metric for latency_p99"):
        source(fake, "p-checks").fetch(ask(Metric.LATENCY_P99, resource("p-checks", "web-1")), timeout=3)


def test_covers_gcp_instances_and_migs_of_configured_projects(fake: FakeMonitoringApi) -> None:
    monitoring = CloudMonitoringSource([GcpProject(id="p-a"), GcpProject(id="p-z", zones=["us-east1-c"])], MAPPING,
                                       monitoring_url=fake.url, throttle=NoThrottle(), timeout=5)  # fmt: skip
    assert monitoring.covers(resource("p-a", "web-1"))
    assert monitoring.covers(resource("p-a", "api-prod", "group"))
    assert not monitoring.covers(resource("p-other", "web-1"))
    assert not monitoring.covers(resource("p-z", "web-1"))  # a zone the project is not read in
    aws = resource("p-a", "web-1").model_copy(update={"id": "aws:prod:us-east-1:i-0abc", "cloud": Cloud.AWS})
    assert not monitoring.covers(aws)


# -- the fake's own validation, through the real client -----------------------------------------------------------
def _request(filter_: str, period: int = 60) -> monitoring_v3.ListTimeSeriesRequest:
    return monitoring_v3.ListTimeSeriesRequest(
        name="projects/p-checks",
        filter=filter_,
        interval=monitoring_v3.TimeInterval(
            start_time=datetime.fromtimestamp(NOW - 300, UTC), end_time=datetime.fromtimestamp(NOW, UTC)
        ),
        aggregation=monitoring_v3.Aggregation(
            alignment_period=timedelta(seconds=period), per_series_aligner="ALIGN_MEAN"
        ),
    )


@pytest.mark.parametrize(
    ("filter_", "period", "message"),
    [
        ('resource.type = "gce_instance"', 60, "must specify a metric type"),
        (f'metric.type = "{CPU}"', 30, "at least 60 seconds"),
        (f'metric.type = "{CPU}" AND starts_with("web")', 60, 'expected field = "value"'),
        (f'metric.type = "{CPU}" AND metric.labels.a = "1" OR metric.labels.b = "2"', 60, "mixed"),
        (f'metric.type = "{CPU}" AND project.id = "x"', 60, "unknown field project.id"),
    ],
)
def test_the_fake_refuses_what_the_real_api_refuses(fake: FakeMonitoringApi, filter_: str, period: int,
                                                     message: str) -> None:  # fmt: skip
    fake.add_project("p-checks")
    client = source(fake, "p-checks").client
    with pytest.raises(api.InvalidArgument, match=message):
        list(client.list_time_series(request=_request(filter_, period), retry=None, timeout=5))
