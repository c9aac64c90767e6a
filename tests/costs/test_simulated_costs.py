"""The simulated world's billed history: the same seed gives the same rows in any process and any window, prod
compute is busiest Friday to Sunday (more so in wedding season) while non-prod runs nights and weekends at full
price, every 29 days before today hold an anomaly on a known day, one account gets a monthly credit, and the lines
carry each cloud's service names."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from actions.costs.model import CostTable, day_number, day_of, today_number
from actions.provider import Resource
from actions.simulated.costs import CREDIT_ACCOUNT, SimulatedCosts
from actions.simulated.inventory import generate_inventory

SEED = 11
NOW = datetime(2026, 12, 9, 6, 0, tzinfo=UTC).timestamp()  # a Wednesday, a quarter of it gone
TODAY = today_number(NOW)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world() -> tuple[Resource, ...]:
    return generate_inventory(SEED, 1500)


@pytest.fixture(scope="module")
def costs(world: tuple[Resource, ...]) -> SimulatedCosts:
    return SimulatedCosts(lambda: world, SEED, clock=lambda: NOW)


@pytest.fixture(scope="module")
def history(costs: SimulatedCosts) -> CostTable:
    return costs.history(TODAY - 200, TODAY)


def _digest(table: CostTable) -> str:
    h = hashlib.sha256()
    for array in (table.day, table.amount, table.credit):
        h.update(array.tobytes())
    for name in ("provider", "account", "service", "environment", "team", "region", "resource"):
        h.update("|".join(table.column(name).values()).encode())
    return h.hexdigest()


def test_the_same_seed_gives_the_same_history_in_another_process(history: CostTable) -> None:
    window = history.between(TODAY - 89, TODAY)
    script = (
        "from actions.simulated.costs import SimulatedCosts\n"
        "from actions.simulated.inventory import generate_inventory\n"
        "from tests.costs.test_simulated_costs import SEED, NOW, TODAY, _digest\n"
        "w = generate_inventory(SEED, 1500)\n"
        "print(_digest(SimulatedCosts(lambda: w, SEED, clock=lambda: NOW).history(TODAY - 89, TODAY)))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}  # Python's own str hash differs: the history must not
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _digest(window)


def test_another_seed_is_another_history(world: tuple[Resource, ...], history: CostTable) -> None:
    other = SimulatedCosts(lambda: world, SEED + 1, clock=lambda: NOW).history(TODAY - 200, TODAY)
    assert len(other) == len(history) and not np.array_equal(other.amount, history.amount)


def test_a_day_does_not_depend_on_the_window_it_is_read_in(costs: SimulatedCosts, history: CostTable) -> None:
    day = TODAY - 40
    alone = costs.history(day, day)
    assert np.array_equal(alone.amount, history.between(day, day).amount)
    assert alone.resource.values() == history.between(day, day).resource.values()


def test_rows_are_one_per_billed_resource_and_day_up_to_today(
    world: tuple[Resource, ...], costs: SimulatedCosts
) -> None:
    table = costs.history(TODAY - 9, TODAY + 5)
    assert int(table.day.max()) == TODAY  # no future
    billed = {r.name for r in world if r.kind != "group" and r.hourly_cost > 0}
    names = set(table.resource.labels) - {""}
    assert names == billed  # a group's members bill, not the group again; stopped resources bill nothing
    assert costs.history(TODAY + 1, TODAY + 3).total() == 0.0


def test_today_is_billed_so_far(history: CostTable) -> None:
    flat = history.where(history.environment.mask("staging"))  # no weekly rhythm: a day is a day
    today, yesterday = flat.daily(TODAY, TODAY)[0], flat.daily(TODAY - 1, TODAY - 1)[0]
    assert today / yesterday == pytest.approx(0.25, rel=0.03)  # 06:00 UTC


def test_prod_is_busiest_on_wedding_weekends_and_non_prod_runs_all_week(history: CostTable) -> None:
    def weekend_ratio(table: CostTable, first: date, last: date) -> float:
        days = np.arange(day_number(first), day_number(last) + 1)
        daily = table.daily(int(days[0]), int(days[-1]))
        weekday = np.array([day_of(int(d)).weekday() for d in days])
        return float(daily[weekday >= 4].mean() / daily[weekday <= 3].mean())

    compute = history.where(history.service.mask("Amazon EC2") | history.service.mask("Compute Engine"))
    prod = compute.where(compute.environment.mask("prod"))
    staging = compute.where(compute.environment.mask("staging"))
    november = weekend_ratio(prod, date(2026, 11, 2), date(2026, 11, 29))
    september = weekend_ratio(prod, date(2026, 8, 31), date(2026, 9, 27))
    assert 1.2 < november < 1.4  # Friday to Sunday up ~25 %
    assert september > november + 0.1  # wedding season: busier still
    assert weekend_ratio(staging, date(2026, 11, 2), date(2026, 11, 29)) == pytest.approx(1.0, abs=0.02)


def test_cost_grows_about_three_percent_a_month(history: CostTable) -> None:
    storage = history.where(history.environment.mask("staging"))
    first, last = storage.daily(TODAY - 120, TODAY - 91).mean(), storage.daily(TODAY - 30, TODAY - 1).mean()
    assert last / first == pytest.approx(1.03**3, rel=0.01)


def test_an_anomaly_in_the_last_29_days_on_a_known_day(costs: SimulatedCosts, history: CostTable) -> None:
    anomalies = costs.anomalies(TODAY - 29, TODAY - 1)
    assert anomalies
    for anomaly in anomalies:
        assert 2.0 <= anomaly.factor <= 4.0 and anomaly.days in (1, 2)
        hit = history.where(history.account.mask(anomaly.account) & history.service.mask(anomaly.service))
        day = anomaly.first_day
        week_before = hit.daily(day - 7, day - 7)[0]
        assert hit.daily(day, day)[0] / week_before == pytest.approx(anomaly.factor, rel=0.05)
        assert history.daily(day, day)[0] > history.daily(day - 7, day - 7)[0] * 1.05  # the day's total jumps


def test_every_month_one_account_gets_its_credit(history: CostTable) -> None:
    credits = history.where(history.credit < 0)
    assert set(credits.account.values()) == {CREDIT_ACCOUNT}
    assert set(credits.service.values()) == {"Credits"}
    assert sorted(day_of(int(d)) for d in credits.day) == [
        date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1),
        date(2026, 11, 1), date(2026, 12, 1),
    ]  # fmt: skip
    month = history.between(day_number(date(2026, 11, 1)), day_number(date(2026, 11, 30)))
    assert month.total() < float(month.amount.sum())  # paid is less than charged


def test_lines_carry_each_clouds_service_names(history: CostTable) -> None:
    services = set(history.service.labels)
    assert {"Amazon EC2", "Virtual Machines", "Compute Engine", "Amazon RDS", "Azure SQL Database", "Cloud SQL",
            "Elastic Load Balancing", "Amazon S3", "AWS Data Transfer", "Cloud Storage", "Networking",
            "Bandwidth"} <= services  # fmt: skip
    assert set(history.account.labels) >= {"aws-prod", "azure-staging", "gcp-dr"}
    assert "" in history.team.labels and "payments" in history.team.labels  # the team tag, or untagged
