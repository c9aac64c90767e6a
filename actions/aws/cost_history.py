"""`CostExplorerSource`: the daily AWS bill, AWS's own month-end forecast and its rightsizing advice, from Cost
Explorer (a global service answering from us-east-1), for each configured account through its own credentials.

Cost Explorer bills $0.01 a request, each page included, and groups by at most two keys a call, so `history` asks
the fewest calls that fill service, team and environment (per account and range of days):
  1. a survey: MONTHLY by TAG `environment` + RECORD_TYPE - which environments had charges, and whether any
     credits or refunds came;
  2. one DAILY call per environment found (the untagged included: Filter ABSENT) by SERVICE + TAG `team`,
     credits and refunds filtered out - these rows are `amount`;
  3. only when the survey saw some: one DAILY call by SERVICE for RECORD_TYPE Credit/Refund - the rows' `credit`
     (credits carry no tags: their team and environment stay unset).
So an account with three environments costs 5 requests a read (4 without credits), plus any NextPageToken pages.
The account column is the configured account's name: an organisation's management account sees its members' costs
as its own. Region and resource stay unset (resource-level data is an opt-in 14-day feature of Cost Explorer).

`REQUESTS` counts every request made, by operation. Imported lazily by whoever builds the sources: it loads boto3."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from botocore import exceptions as boto
from prometheus_client import Counter

from actions.aws.clients import AwsClients
from actions.aws.errors import translate
from actions.backend import NoThrottle, Throttle
from actions.cloud_errors import translated_by
from actions.costs.model import UNKNOWN, CloudForecast, CostRow, CostTable, CostUnavailable, day_number, day_of
from core.cloud_config import AwsAccount

NAME = "Cost Explorer"
COST_EXPLORER_REGION = "us-east-1"
METRIC = "UnblendedCost"
ENVIRONMENT_TAG, TEAM_TAG = "environment", "team"
CREDIT_RECORD_TYPES = ("Credit", "Refund")
REQUESTS = Counter(
    "opsbot_cost_explorer_requests_total",
    "Requests made to AWS Cost Explorer, pages included (AWS bills $0.01 a request)",
    ["operation"],
)
_THROTTLING = frozenset({"LimitExceededException", "ThrottlingException", "Throttling", "TooManyRequestsException"})
_CREDITS = {"Dimensions": {"Key": "RECORD_TYPE", "Values": list(CREDIT_RECORD_TYPES)}}
_LINE = 150  # a refusal's line, AWS's message cut to fit a phone's few lines
Page = dict[str, Any]
Guard = Callable[[], AbstractContextManager[None]]


class DataUnavailable(CostUnavailable):
    """Cost Explorer has no data to answer from (a new account, or one whose Cost Explorer was just enabled)."""


@dataclass(frozen=True)
class CloudRecommendation:
    """A cloud's own advice to change a resource, shown beside opsbot's: `detail` is "m5.xlarge -> m5.large"."""

    provider: str
    resource: str  # the cloud's id ("i-0abc")
    kind: str  # "rightsize" or "terminate"
    detail: str
    monthly_saving: float  # USD a month
    account: str = UNKNOWN


def pages(call: Callable[..., Page], operation: str, params: dict[str, Any], guard: Guard) -> Iterator[Page]:
    """Every page of a Cost Explorer call (boto3 has no paginators for these): its NextPageToken followed, each
    request counted in `REQUESTS`, each made inside `guard()` (the caller's error translation)."""
    params = dict(params)
    while True:
        with guard():
            REQUESTS.labels(operation).inc()
            page = call(**params)
        yield page
        if not page.get("NextPageToken"):
            return
        params["NextPageToken"] = page["NextPageToken"]


class CostExplorerSource:
    name = NAME
    provider = "aws"
    # Cost Explorer bills $0.01 a request (about 5 a read per account) and updates its data a few times a day: read
    # every 6 h at most often, whatever OPSBOT_COST_REFRESH_SECONDS says (about $6 a month per account).
    min_refresh_seconds = 6 * 3600.0

    def __init__(
        self,
        accounts: list[AwsAccount],
        *,
        throttle: Throttle = NoThrottle(),  # noqa: B008 - stateless default
        timeout: float,
        clients: AwsClients | None = None,
        clock: Callable[[], float] = time.time,
        read_seconds: float = 300.0,
    ) -> None:
        """`timeout`: how long one request may take; `clients`: share the AWS backend's clients (their throttle then
        applies, not `throttle`); `read_seconds`: a whole read (every call and page) stops after this long."""
        self._accounts, self._timeout = list(accounts), timeout
        self._clients = clients or AwsClients(accounts, timeout=timeout, throttle=throttle)
        self._clock, self._read_seconds = clock, read_seconds

    def history(self, first_day: int, last_day: int) -> CostTable:
        if last_day < first_day:
            return CostTable.empty()
        period = {"Start": day_of(first_day).isoformat(), "End": day_of(last_day + 1).isoformat()}  # End exclusive
        deadline = self._clock() + self._read_seconds
        rows: list[CostRow] = []
        for account in self._accounts:
            rows.extend(self._account_history(account, period, deadline))
        return CostTable.from_rows(rows)

    def _account_history(self, account: AwsAccount, period: dict[str, str], deadline: float) -> Iterator[CostRow]:
        survey = {"TimePeriod": period, "Granularity": "MONTHLY", "Metrics": [METRIC],
                  "GroupBy": [_tag(ENVIRONMENT_TAG), {"Type": "DIMENSION", "Key": "RECORD_TYPE"}]}  # fmt: skip
        environments: set[str] = set()
        credited = False
        for _day, (environment, record_type), _amount in _groups(self._pages(account, survey, deadline)):
            credited |= record_type in CREDIT_RECORD_TYPES
            if record_type not in CREDIT_RECORD_TYPES:
                environments.add(environment)
        daily = {"TimePeriod": period, "Granularity": "DAILY", "Metrics": [METRIC]}
        for environment in sorted(environments):
            charges = {"And": [_tagged(ENVIRONMENT_TAG, environment), {"Not": _CREDITS}]}
            by_team = daily | {"GroupBy": [_dimension("SERVICE"), _tag(TEAM_TAG)], "Filter": charges}
            for day, (service, team), amount in _groups(self._pages(account, by_team, deadline)):
                yield CostRow(day=day, amount=amount, provider="aws", service=service, account=account.name,
                              environment=environment or account.environment or UNKNOWN, team=team)  # fmt: skip
        if credited:
            credits = daily | {"GroupBy": [_dimension("SERVICE")], "Filter": _CREDITS}
            for day, (service,), amount in _groups(self._pages(account, credits, deadline)):
                yield CostRow(day=day, amount=0.0, credit=amount, provider="aws", service=service,
                              account=account.name, environment=account.environment or UNKNOWN)  # fmt: skip

    def forecast(self, today: int) -> CloudForecast | None:
        """Spent this month before today plus Cost Explorer's forecast from today to the month's end (80 %
        interval), summed over the accounts; None on the month's last day, or when an account has no data (a
        forecast without it would look whole)."""
        day = day_of(today)
        next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        if (next_month - day).days <= 1:
            return None
        deadline = self._clock() + self._read_seconds
        mean = low = high = 0.0
        for account in self._accounts:
            try:
                spent = self._spent(account, day, deadline)
                answer = self._forecast(account, day, next_month, deadline)
            except DataUnavailable:
                return None
            results = answer.get("ForecastResultsByTime") or [{}]
            mean += spent + float(answer["Total"]["Amount"])
            low += spent + sum(float(r.get("PredictionIntervalLowerBound", math.nan)) for r in results)
            high += spent + sum(float(r.get("PredictionIntervalUpperBound", math.nan)) for r in results)
        bounds = (None, None) if math.isnan(low + high) else (round(low, 2), round(high, 2))
        return CloudForecast(provider="aws", month_total=round(mean, 2), low=bounds[0], high=bounds[1])

    def _spent(self, account: AwsAccount, day: date, deadline: float) -> float:
        if day.day == 1:
            return 0.0
        period = {"Start": day.replace(day=1).isoformat(), "End": day.isoformat()}
        query = {"TimePeriod": period, "Granularity": "MONTHLY", "Metrics": [METRIC]}
        return sum(
            float(result.get("Total", {}).get(METRIC, {}).get("Amount", 0.0))
            for page in self._pages(account, query, deadline)
            for result in page.get("ResultsByTime", [])
        )

    def _forecast(self, account: AwsAccount, day: date, next_month: date, deadline: float) -> Page:
        query = {"TimePeriod": {"Start": day.isoformat(), "End": next_month.isoformat()}, "Metric": "UNBLENDED_COST",
                 "Granularity": "MONTHLY", "PredictionIntervalLevel": 80}  # fmt: skip
        return next(self._pages(account, query, deadline, "GetCostForecast"))

    def recommendations(self) -> list[CloudRecommendation]:
        """Cost Explorer's EC2 rightsizing advice (within the instance family, savings plans considered), biggest
        saving first; an account without the feature enabled says so as CostUnavailable."""
        deadline = self._clock() + self._read_seconds
        within_family = {"RecommendationTarget": "SAME_INSTANCE_FAMILY", "BenefitsConsidered": True}
        query = {"Service": "AmazonEC2", "Configuration": within_family}
        found = [
            advice
            for account in self._accounts
            for page in self._pages(account, query, deadline, "GetRightsizingRecommendation")
            for advice in _advice(account, page)
        ]
        return sorted(found, key=lambda advice: -advice.monthly_saving)

    def _pages(
        self, account: AwsAccount, params: dict[str, Any], deadline: float, operation: str = "GetCostAndUsage"
    ) -> Iterator[Page]:
        guard = self._guard(account)
        with guard():
            client = self._clients.client(account, COST_EXPLORER_REGION, "ce")
        call = getattr(client, _snake(operation))
        yield from pages(call, operation, params, self._checked(guard, deadline))

    def _checked(self, guard: Guard, deadline: float) -> Guard:
        """`guard`, refusing to start another request once the read's deadline has passed."""

        def checked() -> AbstractContextManager[None]:
            if self._clock() > deadline:
                raise CostUnavailable(f"Cost Explorer did not finish reading in {self._read_seconds:g} s")
            return guard()

        return checked

    def _guard(self, account: AwsAccount) -> Guard:
        return lambda: translated_by(lambda exc: unavailable(exc, account, self._timeout))


def _dimension(key: str) -> dict[str, str]:
    return {"Type": "DIMENSION", "Key": key}


def _tag(key: str) -> dict[str, str]:
    return {"Type": "TAG", "Key": key}


def _tagged(key: str, value: str) -> dict[str, Any]:
    """A filter on a tag's value; the empty value means the tag is absent."""
    if not value:
        return {"Tags": {"Key": key, "MatchOptions": ["ABSENT"]}}
    return {"Tags": {"Key": key, "Values": [value], "MatchOptions": ["EQUALS"]}}


def _groups(found: Iterator[Page]) -> Iterator[tuple[int, tuple[str, ...], float]]:
    """(day, the group's keys, amount) of every non-zero group; a tag key "team$payments" becomes "payments" and
    "team$" (untagged) the empty label."""
    for page in found:
        for result in page.get("ResultsByTime", []):
            day = day_number(date.fromisoformat(result["TimePeriod"]["Start"]))
            for group in result.get("Groups", []):
                amount = float(group.get("Metrics", {}).get(METRIC, {}).get("Amount", 0.0))
                if amount:
                    keys = tuple(key.split("$", 1)[1] if "$" in key else key for key in group.get("Keys", []))
                    yield day, keys, amount


def _advice(account: AwsAccount, page: Page) -> Iterator[CloudRecommendation]:
    for item in page.get("RightsizingRecommendations", []):
        current = item.get("CurrentInstance", {})
        resource = str(current.get("ResourceId", ""))
        size = current.get("ResourceDetails", {}).get("EC2ResourceDetails", {}).get("InstanceType", "?")
        if item.get("RightsizingType") == "TERMINATE":
            saving = item.get("TerminateRecommendationDetail", {}).get("EstimatedMonthlySavings", 0)
            yield CloudRecommendation("aws", resource, "terminate", f"{size}: terminate (idle)", float(saving),
                                      account.name)  # fmt: skip
            continue
        targets = item.get("ModifyRecommendationDetail", {}).get("TargetInstances", [])
        target = next((t for t in targets if t.get("DefaultTargetInstance")), targets[0] if targets else None)
        if target is not None:
            to = target.get("ResourceDetails", {}).get("EC2ResourceDetails", {}).get("InstanceType", "?")
            saving = float(target.get("EstimatedMonthlySavings", 0))
            yield CloudRecommendation("aws", resource, "rightsize", f"{size} -> {to}", saving, account.name)


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def unavailable(exc: Exception, account: AwsAccount, timeout: float) -> CostUnavailable:
    """One line for a failed Cost Explorer request: it timed out, is throttling, has no data, or refused (why)."""
    where = f"AWS {account.name}"
    if isinstance(exc, boto.ReadTimeoutError | boto.ConnectTimeoutError):
        return CostUnavailable(f"Cost Explorer did not answer in {timeout:g} s ({where})")
    if isinstance(exc, boto.ConnectionError | boto.HTTPClientError):
        return CostUnavailable(f"Cost Explorer is unreachable ({where})")
    if not isinstance(exc, boto.ClientError):
        return CostUnavailable(str(translate(exc, account, COST_EXPLORER_REGION, "costs", "Cost Explorer")))
    error, meta = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {})
    code, status = str(error.get("Code") or ""), int(meta.get("HTTPStatusCode") or 0)
    if code in _THROTTLING or status == 429:
        return CostUnavailable(f"Cost Explorer is throttling ({code or status}) for {where}")
    if code == "DataUnavailableException":
        return DataUnavailable(f"Cost Explorer has no data yet for {where}")
    if code == "RequestChangedException":  # the bill changed between two pages of one read
        return CostUnavailable(f"Cost Explorer's data changed during the read for {where}; try again")
    if status >= 500:
        return CostUnavailable(f"Cost Explorer failed for {where} ({code or status}); try again")
    message = str(error.get("Message") or "").strip().splitlines()
    line = f"Cost Explorer refused: {code or status}" + (f" - {message[0]}" if message else "")
    return CostUnavailable(line if len(line) <= _LINE else line[: _LINE - 3] + "...")
