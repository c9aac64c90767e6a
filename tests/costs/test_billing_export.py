"""BillingExportSource with the real google-cloud-bigquery client against the loopback BigQuery (`fakes.bigquery`),
which holds billing export lines and answers the source's grouped query by its parameters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from google.api_core import exceptions as api
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from prometheus_client import REGISTRY

from actions.costs.model import CostUnavailable, day_number
from actions.gcp.cost_history import GB, BillingExportSource
from fakes.bigquery import ExportLine, FakeBigQuery

TABLE = "billing-admin.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9"
RESOURCE_TABLE = "billing-admin.billing.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9"
NOV_2, NOV_4 = day_number(date(2026, 11, 2)), day_number(date(2026, 11, 4))
COMPUTE, STORAGE = "Compute Engine", "Cloud Storage"
WEB = {"team": "web", "environment": "prod"}
ANONYMOUS = AnonymousCredentials()  # type: ignore[no-untyped-call]
PARTITION_FILTER = "DATE(_PARTITIONTIME) BETWEEN @partition_first AND @partition_last"


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBigQuery]:
    with FakeBigQuery(TABLE) as fake:
        yield fake


@pytest.fixture
def fake(server: FakeBigQuery) -> FakeBigQuery:
    server.table, server.lines, server.bytes_per_line = TABLE, [], 1000
    server.fail_status, server.dry_run_shortfall = None, 0
    server.requests.clear()
    return server


def source(fake: FakeBigQuery, table: str = TABLE, **options: Any) -> BillingExportSource:
    options.setdefault("max_bytes", 10 * GB)
    options.setdefault("timeout", 5.0)
    return BillingExportSource(table, bigquery_url=fake.url, credentials=ANONYMOUS, **options)


def bytes_counted() -> float:
    return REGISTRY.get_sample_value("opsbot_bigquery_bytes_processed_total") or 0.0


def test_daily_rows_by_service_project_region_and_labels_with_credits(fake: FakeBigQuery) -> None:
    fake.lines = [
        ExportLine(at(2, 1), COMPUTE, "shop-prod", 2.0, "europe-west1", WEB, (("Sustained use", -0.5),)),
        ExportLine(
            at(2, 2), COMPUTE, "shop-prod", 3.0, "europe-west1", WEB, (("Sustained use", -0.25), ("Free tier", -0.25))
        ),
        ExportLine(at(3), STORAGE, "shop-prod", 1.0, None, {}),  # a global service, untagged
        ExportLine(at(3), COMPUTE, "shop-dev", 10.0, "us-central1", {"team": "data", "environment": "dev"}),
        ExportLine(at(5), COMPUTE, "shop-prod", 99.0, "europe-west1", WEB),  # after the last day asked
        # billed in euros: the export's rate says how many euros a dollar is
        ExportLine(at(4), COMPUTE, "shop-eu", 9.0, "europe-west3", WEB, currency_conversion_rate=0.9),
    ]
    before = bytes_counted()
    table = source(fake).history(NOV_2, NOV_4)

    assert table.total() == pytest.approx(5.0 - 1.0 + 1.0 + 10.0 + 10.0)
    assert float(table.credit.sum()) == pytest.approx(-1.0)
    assert set(table.provider.values()) == {"gcp"}
    assert table.by("account") == pytest.approx({"shop-prod": 5.0, "shop-dev": 10.0, "shop-eu": 10.0})
    assert table.by("team") == pytest.approx({"data": 10.0, "web": 14.0, "": 1.0})
    assert table.by("environment") == pytest.approx({"dev": 10.0, "prod": 14.0, "": 1.0})
    assert table.by("region")[""] == pytest.approx(1.0)
    assert table.by("service") == pytest.approx({COMPUTE: 24.0, STORAGE: 1.0})
    assert list(table.daily(NOV_2, NOV_4)) == pytest.approx([4.0, 11.0, 10.0])
    assert len(table) == 4  # grouped in SQL: the two hours of Nov 2 are one row
    assert bytes_counted() - before == 6 * 1000  # the six lines of the partitions read
    assert source(fake).forecast(NOV_4) is None


def test_resource_level_table_names_each_resource(fake: FakeBigQuery) -> None:
    fake.table = RESOURCE_TABLE
    fake.lines = [
        ExportLine(at(2, h), COMPUTE, "shop-prod", 1.0, "europe-west1", WEB, resource=name)
        for h in range(2) for name in ("web-1", "web-2")
    ]  # fmt: skip
    table = source(fake, RESOURCE_TABLE).history(NOV_2, NOV_4)
    assert table.by("resource") == pytest.approx({"web-1": 2.0, "web-2": 2.0})
    assert "resource.name" in fake.queries()[-1]
    fake.table = TABLE
    standard = source(fake).history(NOV_2, NOV_4)  # the standard export has no resource column
    assert standard.by("resource") == pytest.approx({"": 4.0}) and "resource.name" not in fake.queries()[-1]


def test_every_page_is_read(fake: FakeBigQuery) -> None:
    fake.lines = [ExportLine(at(d), COMPUTE, f"project-{p}", 1.0, "europe-west1", WEB) for d in (2, 3, 4)
                  for p in range(5)]  # fmt: skip
    table = source(fake, page_rows=4).history(NOV_2, NOV_4)
    assert len(table) == 15 and table.total() == pytest.approx(15.0)
    pages = [r for r in fake.requests if r.method == "GET" and "/queries/" in r.path]
    assert len(pages) >= 3  # 15 rows, 4 a page: the first came with the query


def test_the_partition_filter_is_always_there_and_late_lines_are_read(fake: FakeBigQuery) -> None:
    fake.lines = [
        ExportLine(at(4), COMPUTE, "shop-prod", 1.0, "europe-west1", WEB, partition=date(2026, 11, 6)),  # late
        ExportLine(at(3), COMPUTE, "shop-prod", 4.0, "europe-west1", WEB, partition=date(2026, 12, 20)),  # too late
        ExportLine(at(1), COMPUTE, "shop-prod", 8.0, "europe-west1", WEB),  # before the days asked
    ]
    table = source(fake).history(NOV_2, NOV_4)
    assert table.total() == pytest.approx(1.0)
    queries = fake.queries()
    assert len(queries) == 2  # the dry run and the query, both filtered
    assert all(PARTITION_FILTER in sql and "UNNEST(labels)" in sql for sql in queries)
    assert all("2026-11" not in sql for sql in queries)  # values travel as parameters


def test_over_the_cap_the_query_is_refused_without_running(fake: FakeBigQuery) -> None:
    fake.bytes_per_line = int(1.24 * GB)
    fake.lines = [ExportLine(at(2, h), COMPUTE, "shop-prod", 1.0) for h in range(10)]
    with pytest.raises(CostUnavailable) as refused:
        source(fake, max_bytes=10 * GB).history(NOV_2, NOV_4)
    assert str(refused.value) == (
        "BigQuery billing export: the query would read 12.4 GB, over the 10 GB cap (OPSBOT_GCP_BILLING_MAX_GB)"
    )
    assert [r.body["configuration"]["dryRun"] for r in fake.requests] == [True]  # only the dry run was sent


def test_bigquery_stops_a_query_the_dry_run_underestimated(fake: FakeBigQuery) -> None:
    fake.lines = [ExportLine(at(2, h), COMPUTE, "shop-prod", 1.0) for h in range(10)]
    fake.dry_run_shortfall = 5000  # lines that landed after the dry run
    with pytest.raises(CostUnavailable) as refused:
        source(fake, max_bytes=8000).history(NOV_2, NOV_4)
    assert str(refused.value) == (
        "BigQuery billing export: BigQuery refused the query - "
        "Query exceeded limit for bytes billed: 8000. 10000 or higher required."
    )


def test_the_fake_refuses_what_bigquery_refuses(fake: FakeBigQuery) -> None:
    client = bigquery.Client(project="billing-admin", credentials=ANONYMOUS,
                             client_options={"api_endpoint": fake.url})  # fmt: skip
    with pytest.raises(api.BadRequest, match="without a filter over column"):
        client.query_and_wait(f"SELECT cost FROM `{TABLE}`")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (403, "BigQuery billing export: access denied to " + TABLE + " - Access Denied: Table billing-admin:billing."),
        (500, "BigQuery billing export: BigQuery answered 500 - Access Denied"),
    ],
)
def test_a_refusal_is_one_line(fake: FakeBigQuery, status: int, expected: str) -> None:
    fake.fail_status = status
    with pytest.raises(CostUnavailable) as refused:
        source(fake).history(NOV_2, NOV_4)
    assert str(refused.value).startswith(expected) and "\n" not in str(refused.value)


def test_a_missing_table_is_named(fake: FakeBigQuery) -> None:
    with pytest.raises(CostUnavailable) as refused:
        source(fake, "billing-admin.billing.gcp_billing_export_v1_OTHER").history(NOV_2, NOV_4)
    assert str(refused.value) == (
        "BigQuery billing export: billing-admin.billing.gcp_billing_export_v1_OTHER not found - "
        "Not found: Table billing-admin:billing.gcp_billing_export_v1_OTHER was not found in location US"
    )


def test_a_server_that_never_answers_is_one_line(fake: FakeBigQuery) -> None:
    fake.hang()
    try:
        with pytest.raises(CostUnavailable) as refused:
            source(fake, timeout=0.3).history(NOV_2, NOV_4)
    finally:
        fake.release()
    assert str(refused.value) == "BigQuery billing export: BigQuery did not answer within 0.3 s"


def test_bad_table_names_and_empty_ranges(fake: FakeBigQuery) -> None:
    with pytest.raises(ValueError, match=r"table 'billing`; DROP' is not project.dataset.table"):
        source(fake, "billing`; DROP")
    assert len(source(fake).history(NOV_4, NOV_2)) == 0 and fake.requests == []
