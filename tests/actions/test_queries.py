from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actions.provider import Resource, Snapshot
from actions.queries import cost, forecast, search, status
from actions.simulated import generate_inventory
from core.errors import OpsbotError
from core.models import Cloud

INVENTORY = generate_inventory(42, 2000)
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC).timestamp()  # 14.5 days into a 30-day month


def names(resources: tuple[Resource, ...]) -> list[str]:
    return [r.name for r in resources]


def test_search_puts_the_exact_name_first_then_groups() -> None:
    found = search(INVENTORY, query="web-prod")
    assert found.items[0].name == "web-prod"
    assert found.total == 13  # the group and its 12 instances
    web = search(INVENTORY, query="web", limit=5)
    assert web.total > 5 and len(web.items) == 5
    assert all(r.kind == "group" for r in web.items)
    assert {"web-prod", "web-dr", "web-staging"} <= set(names(search(INVENTORY, query="web").items))


def test_search_pages_with_offset_and_limit() -> None:
    everything = search(INVENTORY, query="web", limit=100)
    page = search(INVENTORY, query="web", limit=3, offset=3)
    assert page.items == everything.items[3:6] and page.total == everything.total


def test_search_filters_combine_with_the_query() -> None:
    found = search(INVENTORY, query="web", environment="prod", cloud=Cloud.AWS, kind="group", limit=50)
    assert set(names(found.items)) == {"web-prod", "web-canary"}
    stopped = search(INVENTORY, state="stopped", kind="instance", cloud="AZURE", limit=1000)
    assert stopped.total > 0
    assert all((r.state, r.kind, r.cloud) == ("stopped", "instance", Cloud.AZURE) for r in stopped.items)


def test_search_matches_tags_words_and_typos() -> None:
    team = search(INVENTORY, query="frontend", limit=1000)
    assert team.total > 0 and all(r.tags["team"] == "frontend" for r in team.items)
    assert search(INVENTORY, query="prod web").items[0].name == "web-prod"  # words in any order
    assert search(INVENTORY, query="wbe-prod").items[0].name == "web-prod"  # a typo
    assert search(INVENTORY, query="qqqq-zzzz").total == 0


def test_status_counts_each_cloud_and_sums_to_the_inventory() -> None:
    report = status(Snapshot(provider="simulated", resources=INVENTORY, fetched_at=NOW - 30), now=NOW)
    assert {c.cloud for c in report.clouds} == set(Cloud)
    instances = [r for r in INVENTORY if r.kind == "instance"]
    assert sum(c.running + c.stopped + c.degraded for c in report.clouds) == len(instances)
    aws = next(c for c in report.clouds if c.cloud is Cloud.AWS)
    assert "web-prod" in {g.name for g in aws.groups}
    assert aws.data_age_seconds == pytest.approx(30) and aws.error is None
    hottest = max((r for r in instances if r.cpu), key=lambda r: r.cpu[-1])
    assert max(c.hottest_cpu or 0 for c in report.clouds) == hottest.cpu[-1]
    assert report.hourly_cost == pytest.approx(sum(r.hourly_cost for r in INVENTORY if r.kind != "group"), abs=0.05)


def test_status_puts_the_worst_problem_first() -> None:
    aws = [r for r in INVENTORY if r.cloud is Cloud.AWS]
    gcp = [r for r in INVENTORY if r.cloud is Cloud.GCP]
    broken = Snapshot(provider="aws", resources=tuple(aws), fetched_at=NOW - 1200, error="API unreachable")
    fine = Snapshot(provider="gcp", resources=tuple(gcp), fetched_at=NOW)
    report = status([fine, broken], now=NOW)
    assert report.clouds[0].cloud is Cloud.AWS
    first, second = report.problems[:2]
    assert (first.kind, first.subject, first.detail) == ("provider_error", "API", "API unreachable")
    assert (second.kind, second.subject, second.detail) == ("stale_data", "data", "20 min old")
    severities = [p.severity for p in report.problems]
    assert severities == sorted(severities, reverse=True)


def test_status_reports_a_degraded_group_and_filters_by_environment() -> None:
    sick = [r.model_copy(update={"state": "degraded"}) if r.name == "web-prod" else r for r in INVENTORY]
    report = status(Snapshot(provider="simulated", resources=tuple(sick), fetched_at=NOW), environment="prod", now=NOW)
    assert any(p.subject == "web-prod" and p.kind == "group_degraded" and p.severity == 2 for p in report.problems)
    assert all(g.environment == "prod" for c in report.clouds for g in c.groups)
    only_gcp = status(Snapshot(provider="simulated", resources=INVENTORY, fetched_at=NOW), cloud=Cloud.GCP, now=NOW)
    assert [c.cloud for c in only_gcp.clouds] == [Cloud.GCP]


def test_cost_this_month_so_far_grouped() -> None:
    report = cost(INVENTORY, now=NOW)
    hourly = sum(r.hourly_cost for r in INVENTORY if r.kind != "group")  # groups repeat their members
    assert report.hours == pytest.approx(14.5 * 24)
    assert report.total == pytest.approx(hourly * 14.5 * 24, abs=0.05)
    assert {line.key for line in report.lines} == {"aws", "azure", "gcp"}
    by_env = cost(INVENTORY, period="7d", group_by="environment", now=NOW)
    assert by_env.lines[0].key == "prod"
    assert sum(line.amount for line in by_env.lines) == pytest.approx(by_env.total, abs=0.05)
    assert cost(INVENTORY, period="today", now=NOW).hours == pytest.approx(12)
    assert cost(INVENTORY, period="last_month", now=NOW).hours == pytest.approx(31 * 24)


def test_forecast_projects_the_whole_month() -> None:
    report = forecast(INVENTORY, now=NOW)
    assert report.projected and report.hours == pytest.approx(30 * 24)
    assert report.total == pytest.approx(cost(INVENTORY, now=NOW).total * 30 / 14.5, rel=1e-4)


def test_bad_periods_and_groupings_are_refused_plainly() -> None:
    with pytest.raises(OpsbotError, match=r"^unknown period fortnight"):
        cost(INVENTORY, period="fortnight", now=NOW)
    with pytest.raises(OpsbotError, match=r"^cannot group costs by colour"):
        cost(INVENTORY, group_by="colour", now=NOW)
