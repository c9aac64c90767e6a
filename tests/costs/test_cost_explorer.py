"""CostExplorerSource with boto3 against moto's server (GetCostAndUsage answers from results the test seeds, in
the order distinct requests arrive) and against the loopback Cost Explorer (`fakes.aws_cost_explorer`) for what
moto lacks: the forecast, rightsizing advice, refusals, throttling and a server that never answers."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import botocore.session
import pytest
from moto.server import ThreadedMotoServer
from prometheus_client import REGISTRY

from actions.aws.clients import AwsClients
from actions.aws.cost_history import CloudRecommendation, CostExplorerSource
from actions.costs.model import CloudForecast, CostUnavailable, day_number
from core.cloud_config import AwsAccount
from fakes.aws_cost_explorer import FakeCostExplorer

ACCOUNT = AwsAccount(name="prod", regions=["eu-west-1"])
NOV_1, NOV_2 = day_number(date(2026, 11, 1)), day_number(date(2026, 11, 2))
EC2, RDS, S3 = "Amazon Elastic Compute Cloud - Compute", "Amazon Relational Database Service", "Amazon S3"
USAGE = "GetCostAndUsage"
_BOTOCORE = botocore.session.get_session()  # one parse of Cost Explorer's service model for every test


class RoutedSession(boto3.Session):  # type: ignore[misc]  # boto3 has no type hints here
    """boto3's own session whose clients all go to `url` (moto, or the loopback Cost Explorer)."""

    def __init__(self, url: str) -> None:
        super().__init__(aws_access_key_id="testing", aws_secret_access_key="testing", botocore_session=_BOTOCORE)
        self._url = url

    def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        return super().client(service_name, region_name=region_name, endpoint_url=self._url, **kwargs)


def clients_at(url: str, accounts: list[AwsAccount], timeout: float) -> AwsClients:
    session = RoutedSession(url)
    return AwsClients(accounts, timeout=timeout, session_factory=lambda _account: session)


def source_at(url: str, accounts: list[AwsAccount] | None = None, **options: Any) -> CostExplorerSource:
    accounts = accounts or [ACCOUNT]
    timeout = options.pop("timeout", 2.0)
    clients = options.pop("clients", None) or clients_at(url, accounts, timeout)
    return CostExplorerSource(accounts, timeout=timeout, clients=clients, **options)


def requests_made(operation: str = "GetCostAndUsage") -> float:
    return REGISTRY.get_sample_value("opsbot_cost_explorer_requests_total", {"operation": operation}) or 0.0


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def moto_post(url: str, path: str, payload: dict[str, Any] | None = None) -> None:
    body = json.dumps(payload).encode() if payload is not None else b""
    request = urllib.request.Request(url + path, data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status in (200, 201)


def day(start: str, end: str, *groups: tuple[list[str], str]) -> dict[str, Any]:
    """One period of a GetCostAndUsage answer, its groups' UnblendedCost as AWS writes it."""
    shaped = [
        {"Keys": keys, "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}} for keys, amount in groups
    ]
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": shaped, "Estimated": False}


def answer(*periods: dict[str, Any], next_token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ResultsByTime": list(periods), "DimensionValueAttributes": [], "GroupDefinitions": []}
    return body | ({"NextPageToken": next_token} if next_token else {})


@pytest.fixture
def seeded(moto_url: str) -> str:
    """Two days of November: prod-tagged EC2 and RDS split by team (two pages), untagged S3, a $3 credit."""
    moto_post(moto_url, "/moto-api/reset")
    results = [
        answer(day("2026-11-01", "2026-11-03", (["environment$prod", "Usage"], "100"),
                   (["environment$", "Usage"], "5"), (["environment$", "Credit"], "-3"))),
        answer(day("2026-11-01", "2026-11-02", ([S3, "team$"], "2.5")),
               day("2026-11-02", "2026-11-03", ([S3, "team$"], "2.5"))),
        answer(day("2026-11-01", "2026-11-02", ([EC2, "team$payments"], "40"), ([EC2, "team$search"], "10")),
               next_token="page-2"),
        answer(day("2026-11-02", "2026-11-03", ([EC2, "team$payments"], "45"), ([RDS, "team$payments"], "5"),
                   ([EC2, "team$search"], "0"))),
        answer(day("2026-11-01", "2026-11-02", ([EC2], "-3")), day("2026-11-02", "2026-11-03")),
    ]  # fmt: skip
    moto_post(moto_url, "/moto-api/static/ce/cost-and-usage-results", {"results": results})
    return moto_url


def test_history_is_split_by_service_team_and_environment_with_credits_apart(seeded: str) -> None:
    clients = clients_at(seeded, [ACCOUNT], 2.0)
    source = source_at(seeded, clients=clients)
    sent: list[dict[str, Any]] = []  # each GetCostAndUsage request as botocore is about to send it
    client = clients.client(ACCOUNT, "us-east-1", "ce")
    client.meta.events.register(
        f"before-parameter-build.cost-explorer.{USAGE}", lambda params, **_: sent.append(params)
    )
    before = requests_made()
    table = source.history(NOV_1, NOV_2)
    assert table.total() == pytest.approx(102.0)
    assert table.by("team") == pytest.approx({"payments": 90.0, "search": 10.0, "": 2.0})
    assert table.by("environment") == pytest.approx({"prod": 100.0, "": 2.0})
    assert table.by("service") == pytest.approx({EC2: 92.0, RDS: 5.0, S3: 5.0})
    assert table.daily(NOV_1, NOV_2).tolist() == pytest.approx([49.5, 52.5])
    assert float(table.credit.sum()) == -3.0 and float(table.amount.sum()) == 105.0
    assert set(table.provider.values()) == {"aws"} and set(table.account.values()) == {"prod"}
    assert requests_made() - before == 5  # survey, untagged, prod (two pages), credits: $0.05
    assert [p["TimePeriod"] for p in sent] == [{"Start": "2026-11-01", "End": "2026-11-03"}] * 5  # End exclusive
    assert [p["Granularity"] for p in sent] == ["MONTHLY", "DAILY", "DAILY", "DAILY", "DAILY"]
    by_team = [["SERVICE", "team"]] * 3
    assert [[g["Key"] for g in p["GroupBy"]] for p in sent] == [["environment", "RECORD_TYPE"], *by_team, ["SERVICE"]]
    untagged, prod = sent[1]["Filter"]["And"][0], sent[2]["Filter"]["And"][0]
    assert untagged == {"Tags": {"Key": "environment", "MatchOptions": ["ABSENT"]}}
    assert prod == {"Tags": {"Key": "environment", "Values": ["prod"], "MatchOptions": ["EQUALS"]}}
    credits = {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit", "Refund"]}}
    assert sent[2]["Filter"]["And"][1] == {"Not": credits}
    assert sent[3]["NextPageToken"] == "page-2"
    assert sent[4]["Filter"] == credits


def test_untagged_costs_take_the_accounts_environment(seeded: str) -> None:
    staging = AwsAccount(name="staging", regions=["us-east-1"], environment="staging")
    table = source_at(seeded, [staging]).history(NOV_1, NOV_2)
    assert table.by("environment") == pytest.approx({"prod": 100.0, "staging": 2.0})
    assert set(table.account.values()) == {"staging"}


def test_a_bill_without_charges_is_one_request_and_an_empty_table(moto_url: str) -> None:
    moto_post(moto_url, "/moto-api/reset")
    before = requests_made()
    assert len(source_at(moto_url).history(NOV_1, NOV_2)) == 0
    assert requests_made() - before == 1
    assert len(source_at(moto_url).history(NOV_2, NOV_1)) == 0  # an empty range asks nothing
    assert requests_made() - before == 1


# --- the loopback Cost Explorer ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeCostExplorer]:
    with FakeCostExplorer() as fake:
        yield fake


@pytest.fixture
def fake(shared_fake: FakeCostExplorer) -> Iterator[FakeCostExplorer]:
    shared_fake.answers.clear()
    shared_fake.requests.clear()
    yield shared_fake
    if shared_fake.hang is not None:
        shared_fake.hang.set()
        shared_fake.hang = None


def spent(amount: str) -> dict[str, Any]:
    total = {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}
    period = {"TimePeriod": {"Start": "2026-12-01", "End": "2026-12-06"}, "Total": total, "Groups": []}
    return {"ResultsByTime": [period], "DimensionValueAttributes": []}


def predicted(mean: str, low: str, high: str) -> dict[str, Any]:
    result = {"TimePeriod": {"Start": "2026-12-06", "End": "2027-01-01"}, "MeanValue": mean,
              "PredictionIntervalLowerBound": low, "PredictionIntervalUpperBound": high}  # fmt: skip
    return {"Total": {"Amount": mean, "Unit": "USD"}, "ForecastResultsByTime": [result]}


def test_forecast_adds_the_month_so_far_to_aws_forecast_for_every_account(fake: FakeCostExplorer) -> None:
    staging = AwsAccount(name="staging", regions=["us-east-1"])
    for so_far, mean, low, high in (("600", "2400", "2100", "2800"), ("100", "300.5", "250", "400")):
        fake.answer("GetCostAndUsage", spent(so_far))
        fake.answer("GetCostForecast", predicted(mean, low, high))
    forecast = source_at(fake.url, [ACCOUNT, staging]).forecast(day_number(date(2026, 12, 6)))
    assert forecast == CloudForecast(provider="aws", month_total=3400.5, low=3050.0, high=3900.0)
    usage, ahead = fake.requests[0][1], fake.requests[1][1]
    assert usage["TimePeriod"] == {"Start": "2026-12-01", "End": "2026-12-06"}
    assert ahead == {"TimePeriod": {"Start": "2026-12-06", "End": "2027-01-01"}, "Metric": "UNBLENDED_COST",
                     "Granularity": "MONTHLY", "PredictionIntervalLevel": 80}  # fmt: skip


def test_no_forecast_on_the_last_day_or_without_data_and_none_spent_on_the_first(fake: FakeCostExplorer) -> None:
    source = source_at(fake.url)
    assert source.forecast(day_number(date(2026, 12, 31))) is None
    assert fake.requests == []
    fake.refuse("GetCostForecast", 400, "DataUnavailableException", "Insufficient amount of historical data")
    assert source.forecast(day_number(date(2026, 12, 1))) is None
    assert fake.operations() == ["GetCostForecast"]  # nothing spent yet on the 1st: no usage request
    fake.answer("GetCostForecast", predicted("3000", "2500", "3500"))
    assert source.forecast(day_number(date(2026, 12, 1))) == CloudForecast("aws", 3000.0, 2500.0, 3500.0)


def test_rightsizing_advice_biggest_saving_first(fake: FakeCostExplorer) -> None:
    def ec2(size: str) -> dict[str, Any]:
        return {"EC2ResourceDetails": {"InstanceType": size, "Region": "US East (N. Virginia)"}}

    def target(size: str, saving: str, default: bool) -> dict[str, Any]:
        return {"EstimatedMonthlySavings": saving, "DefaultTargetInstance": default, "ResourceDetails": ec2(size)}

    web = {"ResourceId": "i-0web1", "ResourceDetails": ec2("m5.2xlarge"), "MonthlyCost": "280"}
    targets = [target("m5.large", "90.5", False), target("m5.xlarge", "70", True)]  # AWS's default is the one
    modify = {
        "RightsizingType": "MODIFY",
        "CurrentInstance": web,
        "ModifyRecommendationDetail": {"TargetInstances": targets},
    }
    idle = {"ResourceId": "i-0idle", "ResourceDetails": ec2("c5.large")}
    saving = {"EstimatedMonthlySavings": "62.05", "CurrencyCode": "USD"}
    terminate = {"RightsizingType": "TERMINATE", "CurrentInstance": idle, "TerminateRecommendationDetail": saving}
    fake.answer("GetRightsizingRecommendation", {"RightsizingRecommendations": [terminate], "NextPageToken": "more"})
    fake.answer("GetRightsizingRecommendation", {"RightsizingRecommendations": [modify]})
    before = requests_made("GetRightsizingRecommendation")
    assert source_at(fake.url).recommendations() == [
        CloudRecommendation("aws", "i-0web1", "rightsize", "m5.2xlarge -> m5.xlarge", 70.0, "prod"),
        CloudRecommendation("aws", "i-0idle", "terminate", "c5.large: terminate (idle)", 62.05, "prod"),
    ]
    assert fake.requests[0][1] == {"Service": "AmazonEC2", "Configuration": {
        "RecommendationTarget": "SAME_INSTANCE_FAMILY", "BenefitsConsidered": True}}  # fmt: skip
    assert fake.requests[1][1]["NextPageToken"] == "more"
    assert requests_made("GetRightsizingRecommendation") - before == 2


def test_a_refusal_is_one_line_with_the_code_and_the_reason(fake: FakeCostExplorer) -> None:
    message = ("User: arn:aws:iam::123456789012:user/opsbot is not authorized to perform: ce:GetCostAndUsage "
               "on resource: arn:aws:ce:us-east-1:123456789012:/GetCostAndUsage")  # fmt: skip
    fake.refuse("GetCostAndUsage", 400, "AccessDeniedException", message)
    with pytest.raises(CostUnavailable) as refused:
        source_at(fake.url).history(NOV_1, NOV_2)
    line = str(refused.value)
    assert line.startswith("Cost Explorer refused: AccessDeniedException - User: arn:aws:iam::123456789012:user/")
    assert "\n" not in line and len(line) < 160


def test_throttling_says_so(fake: FakeCostExplorer) -> None:
    fake.refuse("GetCostAndUsage", 400, "LimitExceededException", "Rate exceeded")
    with pytest.raises(CostUnavailable, match=r"^Cost Explorer is throttling \(LimitExceededException\) for AWS prod$"):
        source_at(fake.url).history(NOV_1, NOV_2)


def test_a_server_that_never_answers_is_reported_after_the_timeout(fake: FakeCostExplorer) -> None:
    fake.hang = threading.Event()
    with pytest.raises(CostUnavailable, match=r"^Cost Explorer did not answer in 0.3 s \(AWS prod\)$"):
        source_at(fake.url, timeout=0.3).history(NOV_1, NOV_2)


def test_a_long_read_stops_at_its_deadline_between_pages(fake: FakeCostExplorer) -> None:
    fake.answer("GetCostAndUsage", answer(day("2026-11-01", "2026-12-01", (["environment$", "Usage"], "5")),
                                          next_token="more"))  # fmt: skip
    ticks = iter(range(100))  # the clock moves one second each time it is read: the deadline is 0 + 1
    source = source_at(fake.url, clock=lambda: float(next(ticks)), read_seconds=1.0)
    with pytest.raises(CostUnavailable, match=r"^Cost Explorer did not finish reading in 1 s$"):
        source.history(NOV_1, NOV_2)
    assert len(fake.requests) == 1


def test_a_server_error_and_a_closed_port_say_what_happened(fake: FakeCostExplorer) -> None:
    with pytest.raises(CostUnavailable, match=r"^Cost Explorer failed for AWS prod \(InternalFailure\); try again$"):
        source_at(fake.url).history(NOV_1, NOV_2)  # the fake has no answer queued: it fails with a 500
    with FakeCostExplorer() as gone:
        closed = gone.url
    with pytest.raises(CostUnavailable, match=r"^Cost Explorer is unreachable \(AWS prod\)$"):
        source_at(closed).recommendations()
