"""Asking Azure Cost Management and reading its answers: the query and forecast bodies, the rows of an answer by
column name, its pages, its dates, and the per-scope pace (`QueryPace`) its limits call for. Used by
`actions.azure.cost_history`; imported lazily with it (it loads the Azure SDK models)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.mgmt.costmanagement import models as cm

from actions.costs.model import CostUnavailable, day_number, day_of
from core.cloud_config import AzureSubscription

NAME = "Azure Cost Management"
PER_MINUTE = 4  # queries per scope per minute: users report 429 beyond about this many
ENVIRONMENT_WORDS = {"prod": "prod", "production": "prod", "prd": "prod", "staging": "staging", "stage": "staging",
                     "stg": "staging", "dev": "dev", "development": "dev", "test": "test", "qa": "qa",
                     "uat": "uat", "sandbox": "sandbox"}  # fmt: skip


class QueryPace:
    """At most `per_minute` requests per scope in any 60 s (waits for a free slot), and none at all while Azure's
    last 429 for the scope asks to wait (refused at once: the question is answered from the cache anyway).
    In process memory: the cost refresher reads a source from one process at a time."""

    def __init__(self, per_minute: int = PER_MINUTE, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.per_minute, self._clock, self._sleep = per_minute, clock, sleep
        self._sent: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, scope: str) -> None:
        while True:
            with self._lock:
                now = self._clock()
                left = self._blocked.get(scope, 0.0) - now
                if left > 0:
                    raise CostUnavailable(f"{NAME} is throttling (retry in {math.ceil(left)} s)")
                sent = self._sent.setdefault(scope, deque())
                while sent and sent[0] <= now - 60.0:
                    sent.popleft()
                if len(sent) < self.per_minute:
                    sent.append(now)
                    return
                pause = sent[0] + 60.0 - now
            self._sleep(pause)

    def block(self, scope: str, seconds: float) -> None:
        with self._lock:
            self._blocked[scope] = self._clock() + seconds


def query_definition(granularity: str, first: int, last: int, grouping: list[cm.QueryGrouping]) -> cm.QueryDefinition:
    # no granularity at all is Azure's "None": one total per group over the range
    dataset = cm.QueryDataset(aggregation={"totalCost": cm.QueryAggregation(name="Cost", function="Sum")},
                              grouping=grouping,
                              granularity=None if granularity == "None" else granularity)  # fmt: skip
    return cm.QueryDefinition(type="ActualCost", timeframe="Custom", time_period=cm.QueryTimePeriod(
        **_period(first, last)), dataset=dataset)  # fmt: skip


def forecast_definition(first: int, last: int) -> cm.ForecastDefinition:
    """The month's forecast, the actual cost so far included, Daily."""
    aggregation = {"totalCost": cm.ForecastAggregation(name="Cost", function="Sum")}
    return cm.ForecastDefinition(type="ActualCost", timeframe="Custom", time_period=cm.ForecastTimePeriod(
        **_period(first, last)), dataset=cm.ForecastDataset(granularity="Daily", aggregation=aggregation),
        include_actual_cost=True, include_fresh_partial_cost=False)  # fmt: skip


def _period(first: int, last: int) -> dict[str, datetime]:
    start = datetime.combine(day_of(first), datetime.min.time(), UTC)
    end = datetime.combine(day_of(last), datetime.max.time().replace(microsecond=0), UTC)
    return {"from_property": start, "to": end}


def months(first_day: int, last_day: int) -> list[tuple[int, int]]:
    """The calendar months the range touches, whole, the last one ending with the range."""
    months, day = [], month_of(first_day)[0]
    while day <= last_day:
        first, last = month_of(day)
        months.append((first, min(last, last_day)))
        day = last + 1
    return months


def month_of(day: int) -> tuple[int, int]:
    start = day_of(day).replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return day_number(start), day_number(following) - 1


def rows_of(properties: Any, subscription: AzureSubscription) -> list[dict[str, Any]]:
    """The answer's rows as {lower-case column name: value}; the aggregated column is "cost" whatever its name."""
    if properties is None or not properties.rows:
        return []
    names = [str(c.name or "").lower() for c in properties.columns or ()]
    names = ["cost" if n in ("cost", "totalcost", "pretaxcost") else n for n in names]
    rows = [dict(zip(names, row, strict=False)) for row in properties.rows]
    currencies = {str(r.get("currency") or "USD").upper() for r in rows}
    if currencies - {"USD"}:
        label = subscription.name or subscription.id
        raise CostUnavailable(f"{NAME} bills subscription {label} in {', '.join(sorted(currencies))}; "
                              "opsbot adds up USD only")  # fmt: skip
    return rows


def skiptoken(next_link: str | None) -> str | None:
    if not next_link:
        return None
    tokens = {k.lower(): v for k, v in parse_qs(urlsplit(next_link).query).items()}.get("$skiptoken")
    return tokens[0] if tokens else None


def usage_day(value: Any) -> int:
    """UsageDate: a number like 20261201 (Daily granularity), or an ISO date/time text."""
    text = str(int(value)) if isinstance(value, int | float) else str(value)
    if len(text) == 8 and text.isdigit():
        return day_number(date(int(text[:4]), int(text[4:6]), int(text[6:])))
    return day_number(datetime.fromisoformat(text.replace("Z", "+00:00")).date())


def biggest(rows: Sequence[dict[str, Any]], column: str) -> dict[str, str]:
    """Per resource id, the label of the given column under which it cost the most (untagged: left out)."""
    best: dict[str, tuple[float, str]] = {}
    for row in rows:
        label, resource_id = str(row.get(column) or ""), str(row.get("resourceid") or "").lower()
        cost = float(row.get("cost") or 0.0)
        if label and (resource_id not in best or cost > best[resource_id][0]):
            best[resource_id] = (cost, label)
    return {resource_id: label for resource_id, (_, label) in best.items()}


def environment_of(resource_group: str) -> str | None:
    words = resource_group.lower().replace("_", "-").replace(".", "-").split("-")
    return next((ENVIRONMENT_WORDS[w] for w in words if w in ENVIRONMENT_WORDS), None)
