"""`AzureCostSource`: daily billed cost of Azure subscriptions from Azure Cost Management (Microsoft.CostManagement
`query` and `forecast`), through a `CostManagementClient` built like the other ARM clients (`ClientFactory.options`).

Cost Management groups by at most two columns per query, keeps a Daily query to one month (a longer range is cut
short without an error) and lets a scope make only a few queries a minute (users see 429 after ~4). So, per
subscription:
- one Daily query per calendar month, grouped by ResourceId + ChargeType: every dollar once, per resource and day.
  A row is a credit when its charge type is Refund/Credit or its cost is negative, else a charge (Usage, Purchase).
  The whole month is asked even when the range starts inside it (a stable key to reuse), then clipped.
- each resource's attributes from granularity-None queries over the range (12 months at most each), ResourceId
  grouped with ServiceName, ResourceLocation, tag `team`, tag `environment`. A resource billed under two services is
  put under its biggest. Environment: the tag, else an environment word in the resource group's name ("rg-web-prod"
  -> prod), else the subscription's configured environment, else unknown.
Months that ended `SETTLED_DAYS` before the range's last day are reused for `REUSE_SECONDS`, the attributes too
unless a resource they do not know shows up: an hourly refresh of 90 days costs one or two queries (and their
pages), not eight.
Every request (each page too) waits for the per-scope pace (`QueryPace`) and then the shared throttle. Amounts are
in the billing currency, which must be USD: another one is refused in one line rather than summed as dollars.
Imported lazily by whoever builds the sources: it loads the Azure SDK."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.costmanagement import CostManagementClient
from azure.mgmt.costmanagement import models as cm
from prometheus_client import Counter

from actions.azure.clients import ClientFactory
from actions.azure.cost_query import (
    NAME,
    QueryPace,
    biggest,
    environment_of,
    forecast_definition,
    month_of,
    months,
    query_definition,
    rows_of,
    skiptoken,
    usage_day,
)
from actions.azure.errors import arm_message
from actions.azure.ids import resource_group_of
from actions.backend import Throttle
from actions.costs.model import UNKNOWN, CloudForecast, CostRow, CostTable, CostUnavailable
from actions.retry_after import retry_after_seconds
from core.cloud_config import AzureSubscription

QUERIES = Counter("opsbot_azure_cost_queries_total", "Requests sent to Azure Cost Management (each page)", ["kind"])
SETTLED_DAYS = 5  # Azure still adds late usage to the last few days; a month ended earlier than this is settled
REUSE_SECONDS = 86400.0  # how long a settled month, and the attributes, are reused
ATTRIBUTE_DAYS = 365  # a granularity-None query covers 12 months at most
PARALLEL = 4  # subscriptions read at once (each has its own pace)
CREDIT_CHARGES = frozenset({"refund", "credit"})
RETRY_HEADERS = (*(f"x-ms-ratelimit-microsoft.costmanagement-{kind}-retry-after"
                   for kind in ("qpu", "entity", "tenant", "clienttype")), "Retry-After")  # fmt: skip
ATTRIBUTES = (("service", "Dimension", "ServiceName"), ("region", "Dimension", "ResourceLocation"),
              ("team", "TagKey", "team"), ("environment", "TagKey", "environment"))  # fmt: skip


@dataclass(frozen=True)
class _Charge:
    day: int
    resource_id: str  # lower case, as Cost Management reports it; "" for a charge of the subscription itself
    charge_type: str
    cost: float


@dataclass
class _Known:
    """What was read for one subscription: settled months' charges, and the attributes per resource id."""

    months: dict[int, tuple[float, list[_Charge]]]  # month's first day -> (read at, charges)
    attributes: dict[str, dict[str, str]]  # "service" / "region" / "team" / "environment" -> resource id -> label
    attributes_at: float | None = None
    attributes_range: tuple[int, int] = (0, -1)


class AzureCostSource:
    name = NAME
    provider = "azure"

    def __init__(
        self,
        subscriptions: list[AzureSubscription],
        *,
        arm_url: str | None,
        throttle: Throttle,
        timeout: float,
        credential: TokenCredential | None = None,
        connection_verify: str | bool = True,
        pace: QueryPace | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`timeout`: one request's connect and read timeout; `pace`: the per-scope limit (default 4 a minute);
        `clock`: when something was read (reuse of settled months)."""
        self._subscriptions, self._timeout, self._clock = subscriptions, timeout, clock
        self._pace = pace or QueryPace()
        self._factory = ClientFactory(arm_url=arm_url, credential=credential, timeout=timeout, throttle=throttle,
                                      connection_verify=connection_verify)  # fmt: skip
        self._clients: dict[str, CostManagementClient] = {}
        self._known = {s.id: _Known({}, {name: {} for name, _, _ in ATTRIBUTES}) for s in subscriptions}
        self._lock = threading.Lock()

    def history(self, first_day: int, last_day: int) -> CostTable:
        if last_day < first_day or not self._subscriptions:
            return CostTable.empty()
        with ThreadPoolExecutor(min(PARALLEL, len(self._subscriptions)), thread_name_prefix="azure-costs") as pool:
            parts = list(pool.map(lambda s: self._history(s, first_day, last_day), self._subscriptions))
        return CostTable.from_rows(row for rows in parts for row in rows)

    def forecast(self, today: int) -> CloudForecast | None:
        """Azure's forecast of this month's total (actual cost so far included), summed over the subscriptions;
        None when Azure forecasts nothing for any of them."""
        first, last = month_of(today)
        definition = forecast_definition(first, last)
        totals = [self._forecast(s, definition) for s in self._subscriptions]
        found = [total for total in totals if total is not None]
        return CloudForecast(provider="azure", month_total=round(sum(found), 2)) if found else None

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    # --- one subscription -----------------------------------------------------------------------------------
    def _history(self, subscription: AzureSubscription, first_day: int, last_day: int) -> list[CostRow]:
        known = self._known[subscription.id]
        charges: list[_Charge] = []
        for month_first, month_last in months(first_day, last_day):
            charges += [c for c in self._month(subscription, month_first, month_last, last_day)
                        if first_day <= c.day <= last_day]  # fmt: skip
        attributes = self._attributes(subscription, known, first_day, last_day, {c.resource_id for c in charges})
        label = subscription.name or subscription.id
        return [_row(c, label, attributes, subscription.environment) for c in charges]

    def _month(self, subscription: AzureSubscription, first: int, last: int, asked_last: int) -> list[_Charge]:
        known, now = self._known[subscription.id], self._clock()
        settled = last + SETTLED_DAYS <= asked_last
        kept = known.months.get(first)
        if settled and kept is not None and now - kept[0] < REUSE_SECONDS:
            return kept[1]
        grouping = [cm.QueryGrouping(type="Dimension", name="ResourceId"),
                    cm.QueryGrouping(type="Dimension", name="ChargeType")]  # fmt: skip
        rows = self._query(subscription, query_definition("Daily", first, last, grouping))
        charges = [_Charge(usage_day(r["usagedate"]), str(r.get("resourceid") or "").lower(),
                           str(r.get("chargetype") or ""), float(r["cost"])) for r in rows]  # fmt: skip
        if settled:
            known.months[first] = (now, charges)
        return charges

    def _attributes(self, subscription: AzureSubscription, known: _Known, first_day: int, last_day: int,
                    resource_ids: set[str]) -> dict[str, dict[str, str]]:  # fmt: skip
        fresh = known.attributes_at is not None and self._clock() - known.attributes_at < REUSE_SECONDS
        covered = known.attributes_range[0] <= first_day and last_day <= known.attributes_range[1] + SETTLED_DAYS
        if fresh and covered and resource_ids <= set(known.attributes["service"]):
            return known.attributes
        read_at, found = self._clock(), {name: dict[str, str]() for name, _, _ in ATTRIBUTES}
        for start in range(first_day, last_day + 1, ATTRIBUTE_DAYS):
            end = min(start + ATTRIBUTE_DAYS - 1, last_day)
            for name, kind, column in ATTRIBUTES:
                grouping = [
                    cm.QueryGrouping(type="Dimension", name="ResourceId"),
                    cm.QueryGrouping(type=kind, name=column),
                ]
                rows = self._query(subscription, query_definition("None", start, end, grouping))
                found[name].update(biggest(rows, "tagvalue" if kind == "TagKey" else column.lower()))
        known.attributes, known.attributes_at, known.attributes_range = found, read_at, (first_day, last_day)
        return found

    def _forecast(self, subscription: AzureSubscription, definition: cm.ForecastDefinition) -> float | None:
        rows = self._query(subscription, definition)
        return sum(float(r["cost"]) for r in rows) if rows else None

    def _query(self, subscription: AzureSubscription,
               definition: cm.QueryDefinition | cm.ForecastDefinition) -> list[dict[str, Any]]:  # fmt: skip
        """Every row of a query or forecast, its pages followed (each page POSTs the same body with the nextLink's
        skiptoken)."""
        params: dict[str, str] = {}
        rows: list[dict[str, Any]] = []
        while True:
            answer = self._call(subscription, definition, params)
            properties = answer.properties if answer is not None else None
            rows += rows_of(properties, subscription)
            token = skiptoken(properties.next_link if properties is not None else None)
            if token is None:
                return rows
            params = {"$skiptoken": token}

    def _call(self, subscription: AzureSubscription, definition: cm.QueryDefinition | cm.ForecastDefinition,
              params: dict[str, str]) -> Any:  # fmt: skip
        """One request (a page), after the pace; None when Azure answers 204 (nothing for this scope)."""
        scope_key = f"azure:{subscription.id}:*"
        scope, forecast = f"/subscriptions/{subscription.id}", isinstance(definition, cm.ForecastDefinition)
        self._pace.wait(scope_key)
        QUERIES.labels("forecast" if forecast else "query").inc()
        client = self._client(subscription.id, scope_key)
        try:
            if isinstance(definition, cm.ForecastDefinition):
                return client.forecast.usage(scope, definition, params=params)
            return client.query.usage(scope, definition, params=params)
        except Exception as exc:  # every SDK failure is one line for the user; the cause stays chained for the log
            raise self._unavailable(exc, subscription, scope_key) from exc

    def _client(self, subscription_id: str, scope_key: str) -> CostManagementClient:
        with self._lock:
            client = self._clients.get(subscription_id)
            if client is None:
                client = CostManagementClient(self._factory.token_credential(), **self._factory.options(scope_key))
                self._clients[subscription_id] = client
            return client

    def _unavailable(self, exc: Exception, subscription: AzureSubscription, scope_key: str) -> CostUnavailable:
        label = subscription.name or subscription.id
        if isinstance(exc, CostUnavailable):
            return exc
        if isinstance(exc, ServiceResponseError):
            return CostUnavailable(f"{NAME} did not answer in {self._timeout:g} s (subscription {label})")
        if isinstance(exc, ServiceRequestError):
            return CostUnavailable(f"{NAME} is unreachable (subscription {label})")
        if not isinstance(exc, HttpResponseError):
            return CostUnavailable(f"{NAME} failed for subscription {label} ({type(exc).__name__})")
        status = exc.status_code or 0
        if isinstance(exc, ClientAuthenticationError) and not status:  # the credential gave no token: no request
            return CostUnavailable(f"{NAME}: no Azure token for subscription {label} (check the credentials)")
        if status == 429:
            headers = getattr(exc.response, "headers", None) or {}
            waits = [w for name in RETRY_HEADERS if (w := retry_after_seconds(headers.get(name))) is not None]
            seconds = math.ceil(max(waits, default=60.0))
            self._pace.block(scope_key, seconds)
            return CostUnavailable(f"{NAME} is throttling (retry in {seconds} s)")
        if status == 401:
            return CostUnavailable(f"{NAME}: credentials refused for subscription {label}")
        if status == 403:
            return CostUnavailable(f"{NAME}: subscription {label} needs the Cost Management Reader role")
        if status == 404:
            return CostUnavailable(f"{NAME}: subscription {label} was not found")
        if status >= 500:
            return CostUnavailable(f"{NAME} answered {status} (subscription {label})")
        return CostUnavailable(f"{NAME} refused: {arm_message(exc)}")


def _row(charge: _Charge, account: str, attributes: dict[str, dict[str, str]], default_env: str | None) -> CostRow:
    rid = charge.resource_id
    credit = charge.charge_type.lower() in CREDIT_CHARGES or charge.cost < 0
    environment = attributes["environment"].get(rid) or environment_of(resource_group_of(rid)) or default_env
    return CostRow(
        day=charge.day, amount=0.0 if credit else charge.cost, credit=charge.cost if credit else 0.0,
        provider="azure", account=account, service=attributes["service"].get(rid) or "other",
        environment=environment or UNKNOWN, team=attributes["team"].get(rid, UNKNOWN),
        region=attributes["region"].get(rid, UNKNOWN), resource=rid.rsplit("/", 1)[-1] if rid else UNKNOWN,
    )  # fmt: skip
