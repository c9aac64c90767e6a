"""AzureCostSource with azure-mgmt-costmanagement against the fake ARM over HTTPS (a test CA): daily rows per
resource and charge type, attributes from granularity-None queries, pages, the per-scope pace, Azure's 429 with
its retry-after headers, refusals and the forecast. Each test seeds its own subscription (the fake is shared)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import trustme
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.mgmt.costmanagement import CostManagementClient
from azure.mgmt.costmanagement import models as cm

from actions.azure.cost_history import AzureCostSource
from actions.azure.cost_query import QueryPace
from actions.backend import NoThrottle
from actions.costs.model import CostUnavailable, day_number
from core.cloud_config import AzureSubscription
from fakes.azure_arm import CostRecord, FakeArm, StaticToken, trusted_ca

QUERY_PATH = r"/providers/Microsoft\.CostManagement/query$"
_numbers = itertools.count(1)


def new_subscription(name: str = "prod", environment: str | None = None) -> AzureSubscription:
    return AzureSubscription(id=f"00000000-0000-4000-8000-{next(_numbers):012d}", name=name, environment=environment)


def vm_id(sub: str, rg: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}"


class Clock:
    """Moves only when slept on."""

    def __init__(self) -> None:
        self.now, self.slept = 1000.0, list[float]()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    return trusted_ca(tmp_path_factory.mktemp("azure-ca"))


@pytest.fixture(scope="module")
def arm(tls: tuple[trustme.CA, str]) -> Iterator[FakeArm]:
    fake = FakeArm(tls[0])
    fake.cost_page_size = 7  # so that a month of a few resources takes pages
    yield fake
    fake.close()


def source_at(arm: FakeArm, ca_path: str, *subscriptions: AzureSubscription, **options: Any) -> AzureCostSource:
    clock = options.pop("clock", Clock())
    settings: dict[str, Any] = {
        "arm_url": arm.url, "credential": StaticToken(), "timeout": 2.0, "connection_verify": ca_path,
        "throttle": NoThrottle(), "pace": QueryPace(100, clock=clock, sleep=clock.sleep), "clock": clock,
    } | options  # fmt: skip
    return AzureCostSource(list(subscriptions), **settings)


def seed(arm: FakeArm, sub: str, first: date, days: int) -> None:
    """web-1 (team web, rg-web-prod) $10 a day, web-2 (tag environment=qa) $5 plus $1 of bandwidth, a disk in
    rg-data-staging $2; a reservation purchase of $300 and a refund of -$40 on the subscription itself."""
    disk = f"/subscriptions/{sub}/resourceGroups/rg-data-staging/providers/Microsoft.Compute/disks/data-1"
    records = []
    for i in range(days):
        day = first + timedelta(days=i)
        records += [
            CostRecord(day, 10.0, vm_id(sub, "rg-web-prod", "web-1"), tags={"team": "web"}),
            CostRecord(day, 5.0, vm_id(sub, "rg-web-prod", "web-2"), tags={"environment": "qa"}),
            CostRecord(day, 1.0, vm_id(sub, "rg-web-prod", "web-2"), service="Bandwidth", location="westeurope"),
            CostRecord(day, 2.0, disk, service="Storage", location="northeurope"),
        ]
    records += [
        CostRecord(first + timedelta(days=1), 300.0, service="Reservations", charge_type="Purchase"),
        CostRecord(first + timedelta(days=2), -40.0, service="Virtual Machines", charge_type="Refund"),
    ]
    arm.add_costs(sub, records)


def test_daily_rows_per_resource_with_their_attributes(arm: FakeArm, tls: tuple[trustme.CA, str]) -> None:
    sub = new_subscription(environment="prod")
    seed(arm, sub.id, date(2026, 11, 20), 16)  # 2026-11-20 .. 2026-12-05
    before = len(arm.requests_to(sub.id))
    table = source_at(arm, tls[1], sub).history(day_number(date(2026, 11, 23)), day_number(date(2026, 12, 5)))
    days = sorted(set(table.day.tolist()))
    assert days[0] == day_number(date(2026, 11, 23)) and days[-1] == day_number(date(2026, 12, 5))
    assert len(days) == 13
    assert table.total() == pytest.approx(13 * 18.0)  # the purchase and the refund were before the range
    assert table.by("resource") == pytest.approx({"web-1": 130.0, "web-2": 78.0, "data-1": 26.0})
    assert table.by("service") == pytest.approx({"Virtual Machines": 208.0, "Storage": 26.0})  # web-2: its biggest
    assert table.by("team") == pytest.approx({"": 104.0, "web": 130.0})
    assert table.by("environment") == pytest.approx({"prod": 130.0, "qa": 78.0, "staging": 26.0})
    assert table.by("region") == pytest.approx({"westeurope": 208.0, "northeurope": 26.0})
    assert set(table.column("account").labels) == {"prod"} and set(table.column("provider").labels) == {"azure"}
    asked = arm.requests_to(sub.id)[before:]
    assert len(asked) > 2 + 4 and any("$skiptoken" in r.query for r in asked)  # two months, four attributes, pages


def test_credits_and_purchases(arm: FakeArm, tls: tuple[trustme.CA, str]) -> None:
    sub = new_subscription()
    seed(arm, sub.id, date(2026, 12, 1), 3)
    table = source_at(arm, tls[1], sub).history(day_number(date(2026, 12, 1)), day_number(date(2026, 12, 3)))
    assert float(table.credit.sum()) == -40.0
    assert float(table.amount.sum()) == pytest.approx(3 * 18.0 + 300.0)
    assert table.by("service")["Reservations"] == pytest.approx(300.0 - 40.0)  # the subscription's own charges


def test_settled_months_are_reused_and_the_current_one_read_again(arm: FakeArm, tls: tuple[trustme.CA, str]) -> None:
    sub, clock = new_subscription(), Clock()
    seed(arm, sub.id, date(2026, 10, 1), 66)  # 2026-10-01 .. 2026-12-05
    source, arm.cost_page_size = source_at(arm, tls[1], sub, clock=clock), 200  # a page a month
    try:
        first = source.history(day_number(date(2026, 10, 5)), day_number(date(2026, 12, 6)))
        before = len(arm.requests_to(sub.id))
        clock.now += 3600
        again = source.history(day_number(date(2026, 10, 6)), day_number(date(2026, 12, 7)))
    finally:
        arm.cost_page_size = 7
    # December only: October and November ended 5 days before, and the attributes know every resource
    assert len(arm.requests_to(sub.id)[before:]) == 1
    assert again.total() == pytest.approx(first.total() - 18.0)


def test_the_pace_keeps_four_queries_a_minute_per_scope() -> None:
    clock = Clock()
    pace = QueryPace(4, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        pace.wait("azure:a:*")
    pace.wait("azure:b:*")  # another scope has its own minute
    assert clock.slept == []
    pace.wait("azure:a:*")
    assert clock.slept == [60.0]


def test_throttling_says_when_to_retry_and_waits_that_long(arm: FakeArm, tls: tuple[trustme.CA, str]) -> None:
    sub = new_subscription()
    seed(arm, sub.id, date(2026, 12, 1), 2)
    arm.clock, arm_now = (lambda: 500.0), arm.clock  # the fake's minute stands still: Azure says 60 s
    arm.limit_costs(2)
    try:
        source = source_at(arm, tls[1], sub)
        with pytest.raises(CostUnavailable, match=r"^Azure Cost Management is throttling \(retry in 60 s\)$"):
            source.history(day_number(date(2026, 12, 1)), day_number(date(2026, 12, 2)))
        sent = len(arm.requests_to(sub.id))
        with pytest.raises(CostUnavailable, match=r"^Azure Cost Management is throttling \(retry in 60 s\)$"):
            source.history(day_number(date(2026, 12, 1)), day_number(date(2026, 12, 2)))
        assert len(arm.requests_to(sub.id)) == sent  # not asked again before Azure's retry-after
    finally:
        arm.limit_costs(None)
        arm.clock = arm_now


def test_a_new_resource_gets_its_attributes(arm: FakeArm, tls: tuple[trustme.CA, str]) -> None:
    sub, clock = new_subscription(), Clock()
    seed(arm, sub.id, date(2026, 12, 1), 3)
    source = source_at(arm, tls[1], sub, clock=clock)
    source.history(day_number(date(2026, 12, 1)), day_number(date(2026, 12, 3)))
    arm.add_costs(sub.id, [CostRecord(date(2026, 12, 4), 7.0, vm_id(sub.id, "rg-api", "api-1"), tags={"team": "api"})])
    clock.now += 3600
    table = source.history(day_number(date(2026, 12, 1)), day_number(date(2026, 12, 4)))
    assert table.by("team")["api"] == 7.0
    assert table.where(table.column("resource").mask("api-1")).by("service") == {"Virtual Machines": 7.0}


def test_the_fake_sends_the_qpu_headers_and_refuses_unknown_groupings(
    arm: FakeArm, tls: tuple[trustme.CA, str]
) -> None:
    sub = new_subscription()
    client = CostManagementClient(StaticToken(), base_url=arm.url, connection_verify=tls[1])
    definition = cm.QueryDefinition(
        type="ActualCost", timeframe="Custom",
        time_period=cm.QueryTimePeriod(from_property=datetime(2026, 12, 1, tzinfo=UTC),
                                       to=datetime(2026, 12, 2, tzinfo=UTC)),
        dataset=cm.QueryDataset(granularity="Daily", grouping=[cm.QueryGrouping(type="Dimension", name="Team")],
                                aggregation={"totalCost": cm.QueryAggregation(name="Cost", function="Sum")}),
    )  # fmt: skip
    with pytest.raises(HttpResponseError) as refused:
        client.query.usage(f"/subscriptions/{sub.id}", definition)
    assert refused.value.status_code == 400
    assert "Invalid dimension name 'Team'" in str(refused.value)
    response: Any = refused.value.response  # azure-core types it as its common base, which has no headers
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers["x-ms-ratelimit-microsoft.costmanagement-qpu-consumed"] == "1"
    assert "QueriesPerMin" in headers["x-ms-ratelimit-microsoft.costmanagement-qpu-remaining"]
    client.close()


def test_refusals_are_one_line(arm: FakeArm, tls: tuple[trustme.CA, str]) -> None:
    sub = new_subscription("staging")
    first, last = day_number(date(2026, 12, 1)), day_number(date(2026, 12, 2))
    arm.fail(sub.id + QUERY_PATH, 403, code="AuthorizationFailed", message="The client does not have authorization.")
    with pytest.raises(CostUnavailable, match=r"^Azure Cost Management: subscription staging needs the Cost "):
        source_at(arm, tls[1], sub).history(first, last)
    arm.fail(sub.id + QUERY_PATH, 400, code="BadRequest", message="Invalid query definition: bad time period.")
    with pytest.raises(CostUnavailable, match=r"^Azure Cost Management refused: Invalid query definition: bad time"):
        source_at(arm, tls[1], sub).history(first, last)
    arm.hang(sub.id + QUERY_PATH, 1.0)
    with pytest.raises(
        CostUnavailable, match=r"^Azure Cost Management did not answer in 0.3 s \(subscription staging\)$"
    ):
        source_at(arm, tls[1], sub, timeout=0.3).history(first, last)
    arm.add_costs(sub.id, [CostRecord(date(2026, 12, 1), 9.0, currency="EUR")])
    with pytest.raises(CostUnavailable, match=r"bills subscription staging in EUR; opsbot adds up USD only$"):
        source_at(arm, tls[1], sub).history(first, last)


class NoToken:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")


def test_a_credential_without_a_token_is_one_line(arm: FakeArm, tls: tuple[trustme.CA, str]) -> None:
    sub = new_subscription("dev")
    with pytest.raises(CostUnavailable, match=r"^Azure Cost Management: no Azure token for subscription dev \("):
        source_at(arm, tls[1], sub, credential=NoToken()).history(
            day_number(date(2026, 12, 1)), day_number(date(2026, 12, 1))
        )
    assert arm.requests_to(sub.id) == []


def test_the_forecast_is_actual_cost_plus_azures_forecast(arm: FakeArm, tls: tuple[trustme.CA, str]) -> None:
    one, two = new_subscription("one"), new_subscription("two")
    seed(arm, one.id, date(2026, 12, 1), 5)  # 5 x 18 + 300 - 40
    arm.add_forecast(one.id, {date(2026, 12, d): 20.0 for d in range(6, 32)})
    source = source_at(arm, tls[1], one, two)
    forecast = source.forecast(day_number(date(2026, 12, 5)))
    assert forecast is not None and forecast.provider == "azure"
    assert forecast.month_total == pytest.approx(5 * 18.0 + 260.0 + 26 * 20.0)
    assert source_at(arm, tls[1], two).forecast(day_number(date(2026, 12, 5))) is None
