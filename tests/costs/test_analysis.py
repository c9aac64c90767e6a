"""Cost analysis over small tables whose answers are known: named periods, a period's spend by a column, the top
spenders, one period against another, why a day cost more than its usual, and yesterday's anomalies."""

from __future__ import annotations

from datetime import date

import pytest

from actions.costs.analysis import (
    AnomalyRule,
    Period,
    anomalies,
    breakdown,
    compare,
    explain_day,
    period_of,
    top_spenders,
)
from actions.costs.model import CostRow, CostTable, day_number
from core.errors import OpsbotError

TODAY = day_number(date(2026, 12, 6))  # a Sunday
YESTERDAY = TODAY - 1


def d(text: str) -> int:
    return day_number(date.fromisoformat(text))


def usual_weeks(days: int = 35) -> list[CostRow]:
    """Five weeks before today of steady spend: web-prod $100/day (EC2, team web), db-prod $50 (RDS, team data),
    a staging box $10 on Azure, and an untagged bucket $1."""
    rows = []
    for day in range(TODAY - days, TODAY):
        rows += [
            CostRow(day, 100.0, "aws", "Amazon EC2", "111", "prod", "web", "us-east-1", "web-prod"),
            CostRow(day, 50.0, "aws", "Amazon RDS", "111", "prod", "data", "us-east-1", "db-prod"),
            CostRow(day, 10.0, "azure", "Virtual Machines", "sub-dev", "staging", "web", "westeurope", "vm-stg"),
            CostRow(day, 1.0, "aws", "Amazon S3", "222", "prod", "", "us-east-1", "logs", credit=-0.5),
        ]
    return rows


@pytest.mark.parametrize(
    ("name", "first", "last", "label"),
    [
        ("today", "2026-12-06", "2026-12-06", "today"),
        ("yesterday", "2026-12-05", "2026-12-05", "yesterday"),
        ("this_week", "2026-11-30", "2026-12-06", "this week"),
        ("last_week", "2026-11-23", "2026-11-29", "last week"),
        ("this_month", "2026-12-01", "2026-12-06", "this month"),
        ("last_month", "2026-11-01", "2026-11-30", "last month"),
        ("7d", "2026-11-30", "2026-12-06", "last 7 days"),
        ("2026-02", "2026-02-01", "2026-02-28", "February 2026"),
        ("2026-12", "2026-12-01", "2026-12-31", "December 2026"),
    ],
)
def test_named_periods(name: str, first: str, last: str, label: str) -> None:
    assert period_of(name, TODAY) == Period(d(first), d(last), label)


def test_last_month_in_january_is_december() -> None:
    assert period_of("last_month", d("2027-01-10")) == Period(d("2026-12-01"), d("2026-12-31"), "last month")


@pytest.mark.parametrize(("name", "says"), [("fortnight", "unknown period"), ("2026-13", "unknown period"),
                                             ("0d", "unknown period"), ("2027-01", "has not started yet")])  # fmt: skip
def test_bad_period_is_one_line(name: str, says: str) -> None:
    with pytest.raises(OpsbotError, match=says) as refused:
        period_of(name, TODAY)
    assert "\n" not in str(refused.value)


def test_breakdown_by_service_with_shares_and_the_rest() -> None:
    table = CostTable.from_rows(usual_weeks())
    week = period_of("last_week", TODAY)
    result = breakdown(table, week, "service", limit=2)
    assert result.total == pytest.approx(7 * 160.5)
    assert [(line.label, round(line.amount, 2)) for line in result.lines] == [("Amazon EC2", 700), ("Amazon RDS", 350)]
    assert result.lines[0].share == pytest.approx(700 / 1123.5)
    assert (round(result.rest, 2), result.rest_count) == (73.5, 2)  # Azure VM 70 + S3 3.5 (its credit counted)


def test_breakdown_filtered_by_columns() -> None:
    table = CostTable.from_rows(usual_weeks())
    result = breakdown(table, period_of("yesterday", TODAY), "team", where={"provider": "aws", "environment": "prod"})
    assert [(line.label, line.amount) for line in result.lines] == [("web", 100), ("data", 50), ("", 0.5)]
    nothing = breakdown(table, period_of("yesterday", TODAY), "team", where={"provider": "gcp"})
    assert (nothing.total, nothing.lines) == (0.0, ())


def test_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="no cost column 'colour'"):
        breakdown(CostTable.from_rows(usual_weeks()), period_of("today", TODAY), "colour")


def test_top_spenders_are_resources() -> None:
    top = top_spenders(CostTable.from_rows(usual_weeks()), period_of("7d", TODAY), n=2)
    assert [line.label for line in top.lines] == ["web-prod", "db-prod"]


def test_compare_names_what_moved() -> None:
    rows = usual_weeks()
    rows += [CostRow(day, 40.0, "aws", "Amazon EC2", "111", "prod", "web", "us-east-1", "web-prod-2")
             for day in range(d("2026-11-30"), TODAY)]  # fmt: skip
    result = compare(
        CostTable.from_rows(rows), period_of("this_week", TODAY), period_of("last_week", TODAY), "resource"
    )
    assert result.current - result.previous == pytest.approx(result.delta)
    assert result.delta == pytest.approx(6 * 40 - 160.5)  # this week has six days so far, and web-prod-2
    assert result.movers[0].label == "web-prod-2"
    assert result.movers[0].delta == pytest.approx(240)


def test_explain_day_names_the_service_and_the_resource_that_jumped() -> None:
    rows = usual_weeks()
    rows += [
        CostRow(YESTERDAY, 900.0, "aws", "Amazon EC2", "111", "prod", "web", "us-east-1", "web-prod"),
        CostRow(YESTERDAY, 340.0, "aws", "Amazon EC2", "111", "prod", "search", "us-east-1", "search-prod"),
    ]
    jump = explain_day(CostTable.from_rows(rows), YESTERDAY)
    assert (jump.amount, jump.usual, jump.weeks) == (160.5 + 1240, 160.5, 4)
    service = next(m for m in jump.movers if m.dimension == "service")
    assert (service.label, service.delta) == ("Amazon EC2", 1240)
    assert service.top is not None
    assert (service.top.label, service.top.delta) == ("web-prod", 900)
    teams = [(m.label, m.delta) for m in jump.movers if m.dimension == "team"]
    assert teams == [("web", 900), ("search", 340)]  # labels that did not move are not movers
    resources = [m.label for m in jump.movers if m.dimension == "resource"]
    assert resources == ["web-prod", "search-prod"]


def test_explain_day_against_the_same_weekday() -> None:
    """Saturdays cost $300 more every week: a Saturday at that level is not a jump, though it is far above a Friday."""
    rows = usual_weeks()
    rows += [CostRow(day, 300.0, "aws", "AWS Batch", "111", "prod", "data", "us-east-1", "nightly")
             for day in range(YESTERDAY - 28, YESTERDAY + 1, 7)]  # fmt: skip
    jump = explain_day(CostTable.from_rows(rows), YESTERDAY)
    assert (jump.amount, jump.usual, jump.delta) == (460.5, 460.5, 0)
    assert explain_day(CostTable.from_rows(rows), YESTERDAY - 1).delta == 0
    assert jump.movers == ()


def test_explain_day_with_too_little_history() -> None:
    jump = explain_day(CostTable.from_rows(usual_weeks(days=3)), YESTERDAY)
    assert (jump.weeks, jump.usual, jump.amount) == (0, 0.0, 160.5)


def test_anomalies_flag_clear_jumps_only() -> None:
    rows = usual_weeks()
    rows += [
        CostRow(YESTERDAY, 150.0, "aws", "Amazon RDS", "111", "prod", "data", "us-east-1", "db-prod"),  # $50 -> $200
        CostRow(YESTERDAY, 4.0, "aws", "Amazon S3", "222", "prod", "", "us-east-1", "logs"),  # x5 but $4
        CostRow(YESTERDAY, 120.0, "gcp", "BigQuery", "proj-data", "prod", "data", "eu", "warehouse"),  # new
    ]
    found = anomalies(CostTable.from_rows(rows), TODAY)
    assert [(a.dimension, a.label, a.amount, a.usual) for a in found] == [
        ("service", "Amazon RDS", 200, 50),
        ("account", "111", 300, 150),
        ("service", "BigQuery", 120, 0),
        ("account", "proj-data", 120, 0),
    ]
    assert (found[0].ratio, found[2].ratio) == (4, None)
    assert found[0].day == YESTERDAY
    quieter = anomalies(CostTable.from_rows(rows), TODAY, threshold=AnomalyRule(ratio=5, floor=100), by=("service",))
    assert [a.label for a in quieter] == ["BigQuery"]


def test_a_weekly_peak_is_not_an_anomaly() -> None:
    """A service that spends $400 every other Saturday and $200 on the others: $400 on a Saturday is above its
    mean ($300) but not above its highest, so it is not news."""
    rows = usual_weeks()
    saturdays = range(YESTERDAY - 28, YESTERDAY + 1, 7)
    rows += [CostRow(day, 400.0 if k % 2 == 0 else 200.0, "aws", "AWS Glue", "111", "prod", "data", "us-east-1", "etl")
             for k, day in enumerate(saturdays)]  # fmt: skip
    assert anomalies(CostTable.from_rows(rows), TODAY, threshold=AnomalyRule(ratio=1.2, floor=50)) == []
