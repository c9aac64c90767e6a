"""The cost export: gzip CSV that a spreadsheet reads back (csv module), whose numbers add up to the totals the chat
shows, with labels quoted and formula-like tags defused."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date

import numpy as np
import pytest

from actions.costs.analysis import Period, breakdown, period_of
from actions.costs.export import HEADER, export_csv_gz
from actions.costs.model import Column, CostRow, CostTable, day_number

TODAY = day_number(date(2026, 12, 6))


def read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(gzip.decompress(data).decode())))


def many(rows: int, resources: int = 500) -> CostTable:
    rng = np.random.default_rng(3)
    days = rows // resources

    def column(labels: tuple[str, ...]) -> Column:
        return Column(np.tile(rng.integers(0, len(labels), resources).astype(np.int32), days), labels)

    return CostTable(
        day=np.repeat(np.arange(TODAY - days, TODAY, dtype=np.int32), resources),
        amount=rng.lognormal(1, 1.5, days * resources),
        credit=-rng.uniform(0, 0.5, days * resources),
        provider=column(("aws", "azure", "gcp")),
        account=column(("111", "222")),
        service=column(("Amazon EC2", "Virtual Machines", "Compute Engine")),
        environment=column(("", "dev", "prod")),
        team=column(("data", "web")),
        region=column(("eu-west-1", "westeurope")),
        resource=Column(np.tile(np.arange(resources, dtype=np.int32), days), tuple(f"r{i}" for i in range(resources))),
    )


def test_rows_read_back_and_add_up_to_the_totals() -> None:
    table = many(20_000)
    period = period_of("last_week", TODAY)
    rows = read(export_csv_gz(table, period))
    assert list(rows[0]) == list(HEADER)
    assert len(rows) == 7 * 500
    assert rows[0]["day"] == "2026-11-23" and rows[-1]["day"] == "2026-11-29"
    assert [r["day"] for r in rows] == sorted(r["day"] for r in rows)
    assert sum(float(r["paid"]) for r in rows) == pytest.approx(
        table.between(period.first_day, period.last_day).total()
    )
    by_provider = breakdown(table, period, "provider")
    for line in by_provider.lines:
        exported = sum(float(r["paid"]) for r in rows if r["provider"] == line.label)
        assert exported == pytest.approx(line.amount, abs=0.0001 * len(rows))
    for r in rows[:200]:
        assert r["amount"].count(".") == 1 and len(r["amount"].split(".")[1]) == 4
        assert float(r["paid"]) == pytest.approx(float(r["amount"]) + float(r["credit"]), abs=0.00015)


def test_one_row_exactly() -> None:
    table = CostTable.from_rows([
        CostRow(TODAY - 1, 1234.5, "aws", "Amazon EC2", "111", "prod", "web", "us-east-1", "web-prod", credit=-34.5),
        CostRow(TODAY - 1, 0.00004, "gcp", "BigQuery", "proj", "", "", "eu", "", credit=0.0),
        CostRow(TODAY - 9, 5.0, "aws", "Amazon S3", "111", "prod", "web", "us-east-1", "outside the period"),
    ])  # fmt: skip
    text = gzip.decompress(export_csv_gz(table, period_of("yesterday", TODAY))).decode()
    assert text.splitlines() == [
        "day,provider,account,service,environment,team,region,resource,amount,credit,paid",
        "2026-12-05,aws,111,Amazon EC2,prod,web,us-east-1,web-prod,1234.5000,-34.5000,1200.0000",
        "2026-12-05,gcp,proj,BigQuery,,,eu,,0.0000,0.0000,0.0000",
    ]


def test_labels_are_quoted_and_formulas_defused() -> None:
    table = CostTable.from_rows([
        CostRow(TODAY - 1, 10.0, "aws", 'Support (Business, "premium")', "111", resource="=HYPERLINK(\"x\")"),
        CostRow(TODAY - 1, 5.0, "aws", "line\nbreak", "111", resource="@evil"),
    ])  # fmt: skip
    rows = read(export_csv_gz(table, period_of("yesterday", TODAY)))
    assert [(r["service"], r["resource"]) for r in rows] == [
        ('Support (Business, "premium")', '\'=HYPERLINK("x")'),
        ("line\nbreak", "'@evil"),
    ]


def test_an_empty_period_is_a_header() -> None:
    text = gzip.decompress(export_csv_gz(CostTable.empty(), Period(TODAY - 7, TODAY, "last 7 days"))).decode()
    assert text == ",".join(HEADER) + "\n"


def test_rows_beyond_one_slice_stay_in_day_order() -> None:
    """More rows than the export formats at a time: every row once, oldest day first."""
    table = many(3_000, resources=300)
    rows = read(export_csv_gz(table, Period(TODAY - 100, TODAY, "last 100 days"), chunk_rows=700))
    assert len(rows) == len(table)
    assert [r["day"] for r in rows] == sorted(r["day"] for r in rows)
    assert sum(float(r["paid"]) for r in rows) == pytest.approx(table.total())
