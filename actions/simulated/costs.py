"""The simulated world's billed history: a CostSource that bills every resource of the simulated inventory per day.

A day's charge for a resource is a pure function of (seed, resource, day, today): its list price x 24 h, a growth
of ~3 % a month up to today, the weekly rhythm of a wedding platform (prod compute busiest Friday to Sunday, more so
from May to September), +-5 % noise by hash, and now and then an anomaly: one of prod's biggest services in one
account costing 2-4x for a day or two. Non-prod instances run nights and weekends at full price (what "what can we cut"
finds); one account gets a monthly credit; each cloud, environment and region has storage and network lines too.

Anomalies fall on fixed days (one in every 14-day block of day numbers, its day, length, size and target by hash),
so every 29 days before today hold at least one; `anomalies()` names them for the tests and the demo. Everything is
built column-wise with numpy: 15,000 resources x 91 days (1.29 million rows) in 25-130 ms, plus 0.2-0.6 s the
first time for the per-resource columns (kept while the inventory object stays the same)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from actions.costs.model import TEXT_COLUMNS, Amounts, CloudForecast, Column, CostTable, Days, today_number
from actions.provider import Resource

SECONDS_PER_DAY = 86_400
GROWTH_PER_MONTH = 0.03
NOISE = 0.05
BLOCK_DAYS = 14  # one anomaly in every block of this many day numbers
CREDIT_ACCOUNT = "aws-prod"
CREDIT_SHARE = 0.04  # of the account's daily charge x 30, once a month on the 1st
STORAGE_SHARE, NETWORK_SHARE = 0.06, 0.05  # of the compute in the same cloud, environment and region
# Monday first; 1970-01-01 (day 0) was a Thursday. Prod compute follows it; May-September weekends are busier still.
WEEK = np.array([0.96, 0.95, 0.96, 1.0, 1.15, 1.3, 1.25])
SEASON_WEEKEND = 1.15  # on top of Friday-Sunday, May to September (wedding season)
_WEEKDAY_OF_DAY_ZERO = 3

SERVICES = {
    "aws": {"instance": "Amazon EC2", "database": "Amazon RDS", "load_balancer": "Elastic Load Balancing",
            "disk": "EC2 - Other", "storage": "Amazon S3", "network": "AWS Data Transfer"},
    "azure": {"instance": "Virtual Machines", "database": "Azure SQL Database", "load_balancer": "Load Balancer",
              "disk": "Storage", "storage": "Storage", "network": "Bandwidth"},
    "gcp": {"instance": "Compute Engine", "database": "Cloud SQL", "load_balancer": "Cloud Load Balancing",
            "disk": "Compute Engine", "storage": "Cloud Storage", "network": "Networking"},
}  # fmt: skip
TARGETS = 6  # an anomaly hits one of prod's this many biggest services (cloud x service)
_BUSY_KINDS = frozenset({"instance", "load_balancer"})  # what scales with traffic in prod


@dataclass(frozen=True)
class Anomaly:
    first_day: int
    days: int
    provider: str
    account: str  # "<cloud>-prod"
    service: str  # "Amazon EC2", "Cloud SQL"
    factor: float  # the service's charges in that account, multiplied by this


@dataclass(frozen=True)
class _Lines:
    """Every billed line's columns (one entry per line: a resource, a place's storage or network, the credit),
    built once per inventory; a day's rows are these lines in this order."""

    source: Sequence[Resource]
    daily: Amounts  # list price x 24 h (the credit line: 0)
    key: npt.NDArray[np.uint64]  # a hash of (seed, line): the noise's seed
    busy: npt.NDArray[np.bool_]  # follows the weekly rhythm (prod instances, load balancers and network)
    columns: dict[str, Column]
    credit: Amounts  # a month's credit, on the credit line only
    targets: tuple[tuple[str, str], ...]  # (cloud, service) of prod's biggest services: what an anomaly hits


def _hash64(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: well-spread bits from a counter (numpy wraps uint64 arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class SimulatedCosts:
    """A CostSource over the simulated world (name "simulated", provider "all")."""

    name = "simulated"
    provider = "all"

    def __init__(
        self, resources: Callable[[], Sequence[Resource]], seed: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._resources = resources
        self.seed = seed
        self._clock = clock
        self._built: _Lines | None = None

    def forecast(self, today: int) -> CloudForecast | None:
        return None  # no cloud's own forecast here: ours is the only one

    def history(self, first_day: int, last_day: int) -> CostTable:
        """Rows of days first_day..last_day up to today (today so far: the share of it gone by the clock)."""
        now = self._clock()
        today = today_number(now)
        last_day = min(last_day, today)
        if last_day < first_day:
            return CostTable.empty()
        days = np.arange(first_day, last_day + 1, dtype=np.int32)
        lines = self._lines()
        factor = self._factors(lines, days, today)
        factor[days == today] *= (now - today * SECONDS_PER_DAY) / SECONDS_PER_DAY  # today so far
        dates = np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")
        firsts = dates.astype("datetime64[M]").astype("datetime64[D]") == dates  # a month's first day: its credit
        credit = np.where(firsts[:, None], lines.credit[None, :], 0.0)
        growth = (1 + GROWTH_PER_MONTH) ** ((days - today) / 30.44)
        return CostTable(
            day=np.repeat(days, len(lines.daily)), amount=(factor * lines.daily).ravel(),
            credit=np.round(credit * growth[:, None], 2).ravel(),
            **{name: Column(np.tile(c.codes, len(days)), c.labels) for name, c in lines.columns.items()},
        )  # fmt: skip

    def anomalies(self, first_day: int, last_day: int) -> list[Anomaly]:
        """The anomalies that touch days first_day..last_day."""
        targets = self._lines().targets
        found = []
        for block in range((first_day - 1) // BLOCK_DAYS, last_day // BLOCK_DAYS + 1):
            h = _hash64(self.seed, "anomaly", block)
            start = block * BLOCK_DAYS + h % (BLOCK_DAYS - 1)  # both days inside the block
            cloud, service = targets[(h >> 8) % len(targets)]
            anomaly = Anomaly(start, 1 + (h >> 16) % 2, cloud, f"{cloud}-prod", service, 2.0 + ((h >> 20) % 201) / 100)
            if anomaly.first_day <= last_day and anomaly.first_day + anomaly.days - 1 >= first_day:
                found.append(anomaly)
        return found

    # -- the pieces -----------------------------------------------------------------------------------------

    def _lines(self) -> _Lines:
        resources = self._resources()
        if self._built is not None and self._built.source is resources:
            return self._built
        billable = [r for r in resources if r.kind != "group" and r.hourly_cost > 0]  # a group's members bill
        rows = [
            (r.cloud.value, f"{r.cloud.value}-{r.environment}", SERVICES[r.cloud.value].get(r.kind, r.kind),
             r.environment, r.tags.get("team", ""), r.region, r.name, r.hourly_cost * 24,
             r.environment == "prod" and r.kind in _BUSY_KINDS, r.id)
            for r in billable
        ]  # fmt: skip
        compute: dict[tuple[str, str, str, str], float] = {}  # (cloud, account, environment, region) -> daily
        for row in rows:
            compute[(row[0], row[1], row[3], row[5])] = compute.get((row[0], row[1], row[3], row[5]), 0.0) + row[7]
        for (cloud, account, env, region), daily in sorted(compute.items()):
            for kind, share in (("storage", STORAGE_SHARE), ("network", NETWORK_SHARE)):
                busy = kind == "network" and env == "prod"
                rows.append((cloud, account, SERVICES[cloud][kind], env, "", region, "", daily * share, busy,
                             f"{account}:{region}:{kind}"))  # fmt: skip
        monthly = sum(row[7] for row in rows if row[1] == CREDIT_ACCOUNT) * 30
        rows.append(("aws", CREDIT_ACCOUNT, "Credits", "prod", "", "", "", 0.0, False, "credit"))
        columns = {name: Column.of([str(row[i]) for row in rows]) for i, name in enumerate(TEXT_COLUMNS)}
        credit = np.zeros(len(rows))
        credit[-1] = -monthly * CREDIT_SHARE
        spend: dict[tuple[str, str], float] = {}
        for row in rows:
            if row[3] == "prod" and row[6]:  # a resource's line in prod
                spend[(row[0], row[2])] = spend.get((row[0], row[2]), 0.0) + row[7]
        targets = tuple(sorted(sorted(spend, key=lambda k: -spend[k])[:TARGETS])) or (("aws", "Amazon EC2"),)
        self._built = _Lines(
            source=resources, daily=np.array([row[7] for row in rows], dtype=np.float64),
            key=np.array([_hash64(self.seed, row[9]) for row in rows], dtype=np.uint64),
            busy=np.array([row[8] for row in rows], dtype=bool), columns=columns, credit=credit, targets=targets,
        )  # fmt: skip
        return self._built

    def _factors(self, lines: _Lines, days: Days, today: int) -> npt.NDArray[np.float64]:
        """days x lines: what each line's list price is multiplied by on each day."""
        growth = (1 + GROWTH_PER_MONTH) ** ((days - today) / 30.44)
        weekday = (days + _WEEKDAY_OF_DAY_ZERO) % 7
        month = (np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")).astype("datetime64[M]")
        summer = np.isin(month.astype(np.int64) % 12, [4, 5, 6, 7, 8])  # May..September
        rhythm = WEEK[weekday] * np.where(summer & (weekday >= 4), SEASON_WEEKEND, 1.0)
        counter = lines.key[None, :] ^ (days.astype(np.uint64)[:, None] * np.uint64(0x9E3779B97F4A7C15))
        noise = 1 - NOISE + (2 * NOISE) * (_mix(counter) >> np.uint64(11)).astype(np.float64) / 2.0**53
        factor: npt.NDArray[np.float64] = growth[:, None] * noise * np.where(lines.busy, rhythm[:, None], 1.0)
        for anomaly in self.anomalies(int(days[0]), int(days[-1])):
            hit = lines.columns["account"].mask(anomaly.account) & lines.columns["service"].mask(anomaly.service)
            on = (days >= anomaly.first_day) & (days < anomaly.first_day + anomaly.days)
            factor[np.ix_(on, hit)] *= anomaly.factor
        return factor
