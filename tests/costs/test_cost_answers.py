"""Cost questions end to end through the conversation on the simulated world, its billed history (SimulatedCosts)
stored in the real CostStore on the test Redis, on a clock the test sets (a Wednesday, 9 December 2026): the numbers
in each answer are the stored table's, an empty cache says so, a failing source is named with its age, the forecast
has its interval, budgets and chart band, a day's jump names the seeded anomaly, an export decodes to the period."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from actions.costs.analysis import breakdown, period_of
from actions.costs.model import CostTable, day_number, today_number
from actions.simulated.costs import SimulatedCosts
from bot.runtime import Runtime
from conversation.cost_text import short
from conversation.replies import money
from core import blobs
from core.models import Reply
from core.settings import Settings
from tests.clock import ManualClock
from tests.conversation.conftest import speaker

NOW = datetime(2026, 12, 9, 15, 0, tzinfo=UTC).timestamp()  # a Wednesday
TODAY = today_number(NOW)
SEED = 7


@dataclass
class CostBot:
    runtime: Runtime
    say: Callable[..., list[Reply]]
    clock: ManualClock

    @property
    def source(self) -> SimulatedCosts:
        snapshot = self.runtime.conversation.services.provider.snapshot
        return SimulatedCosts(lambda: snapshot().resources, SEED, clock=self.clock)

    def fill(self, *, age_seconds: float = 120) -> CostTable:
        """The simulated world's last 90 days, read `age_seconds` ago, in the cost cache."""
        table = self.source.history(TODAY - 89, TODAY)
        self.runtime.conversation.services.costs.save(
            "simulated", "all", table, fetched_at=self.clock() - age_seconds, forecast=None
        )
        return table

    def one(self, text: str, user: str = "alice") -> Reply:
        [answer] = self.say(text, user=user)
        return answer


def cost_bot(settings: Settings) -> Iterator[CostBot]:
    """No worker: nothing but the test writes the cost cache."""
    clock = ManualClock(NOW)
    runtime = Runtime.build(settings, with_worker=False, clock=clock)
    yield CostBot(runtime, speaker(runtime), clock)
    runtime.close()


bot = pytest.fixture(cost_bot)


def test_an_empty_cache_says_no_cost_data_yet(bot: CostBot) -> None:
    running = "No cost data yet: the first read of the simulated cost history is running (it takes about a minute)."
    nobody = "No cost data yet: the simulated cost history not read yet - no read attempted; is a worker running?"
    assert bot.one("cost").text == running  # the first question asks the workers for a first read
    assert bot.runtime.conversation.services.costs.wanted()
    assert bot.one("cost").text == nobody  # this bot has no worker: nobody took the ask up
    bot.runtime.conversation.services.costs.mark_reading()  # what a refresher does when it reads
    for question in ("cost", "forecast", "why did cost jump on tuesday", "budgets"):
        answer = bot.one(question)
        assert answer.text == (
            "No cost data yet: the first read of the simulated cost history is running (it takes about a minute)."
        ), question
        assert answer.chart is None


def test_cost_by_service_is_the_tables_sum_with_a_bar_chart(bot: CostBot) -> None:
    table = bot.fill()
    month = period_of("this_month", TODAY)
    expected = breakdown(table, month, "service", limit=6)
    answer = bot.one("cost this month by service")
    lines = answer.text.splitlines()
    assert lines[0] == f"Cost this month: {money(expected.total)}"
    for line, shown in zip(expected.lines, lines[1:], strict=False):
        assert shown.startswith(f"{line.label} {money(line.amount)} ")
    assert lines[-1] == "Data: simulated 2 min ago."
    assert answer.chart is not None and answer.chart.kind == "bar"
    assert [(b.label, b.value) for b in answer.chart.bars] == [(x.label, round(x.amount, 2)) for x in expected.lines]


def test_cost_of_prod_by_team_filters_the_rows(bot: CostBot) -> None:
    table = bot.fill()
    prod = table.where(table.environment.mask("prod")).between(day_number(date(2026, 12, 1)), TODAY)
    answer = bot.one("cost of prod by team")
    assert answer.text.splitlines()[0] == f"Cost this month, prod: {money(prod.total())}"
    biggest = max((t for t in prod.by("team").items() if t[0]), key=lambda kv: kv[1])
    assert f"{biggest[0]} {money(biggest[1])}" in answer.text


def test_top_spenders_are_a_bar_chart_of_named_resources(bot: CostBot) -> None:
    table = bot.fill()
    month = table.between(day_number(date(2026, 12, 1)), TODAY)
    by_resource = [(name, amount) for name, amount in month.by("resource").items() if name][:10]
    answer = bot.one("top 10 spenders")
    assert answer.text.startswith(f"Top 10 resources by cost this month: {money(sum(a for _, a in by_resource))}")
    assert f"of {money(month.total())}" in answer.text.splitlines()[0]
    assert answer.chart is not None and answer.chart.kind == "bar"
    assert [b.label for b in answer.chart.bars] == [name for name, _ in by_resource]
    assert f"{by_resource[0][0]} {money(by_resource[0][1])}" in answer.text


def test_compare_with_last_month_takes_the_same_days(bot: CostBot) -> None:
    table = bot.fill()
    now = table.between(day_number(date(2026, 12, 1)), TODAY).total()
    then = table.between(day_number(date(2026, 11, 1)), day_number(date(2026, 11, 9))).total()
    answer = bot.one("compare with last month")
    head = answer.text.splitlines()[0]
    assert head.startswith(f"Cost this month: {money(now)} vs {money(then)} the same days of last month")
    assert money(now - then, signed=True) in head
    assert "Moved most:" in answer.text
    assert answer.chart is not None and [s.label for s in answer.chart.series] == ["this month", "last month"]
    assert len(answer.chart.series[0].points) == 9 and len(answer.chart.series[1].points) == 9


def test_a_failing_source_is_named_with_the_age_of_its_data(bot: CostBot) -> None:
    bot.fill()
    store = bot.runtime.conversation.services.costs
    three_hours_ago = bot.clock() - 3 * 3600
    azure = CostTable.empty()
    store.save("Azure Cost Management", "azure", azure, fetched_at=three_hours_ago, forecast=None)
    store.fail("Azure Cost Management", "azure", "throttled", at=bot.clock() - 60)
    answer = bot.one("cost")
    assert "Azure Cost Management: data from 3 h ago, throttled" in answer.text.splitlines()
    assert "Data: simulated 2 min ago." in answer.text.splitlines()


def test_a_source_that_never_answered_is_said_instead_of_zero(bot: CostBot) -> None:
    bot.runtime.conversation.services.costs.fail("simulated", "all", "did not answer in 30 s", at=bot.clock())
    assert bot.one("cost").text == "No cost data yet: simulated: did not answer in 30 s."


def test_the_forecast_has_its_interval_budgets_and_a_band(bot: CostBot) -> None:
    bot.fill()
    answer = bot.one("will we go over")
    lines = answer.text.splitlines()
    head = re.fullmatch(r"Month-end forecast: \$([\d,]+) \(80%: (\S+)-(\S+)\); \$([\d,]+) spent in 8 days", lines[0])
    assert head is not None, lines[0]
    total = float(head[1].replace(",", ""))
    assert {"AWS", "Azure", "GCP"} <= {line.split(":")[0] for line in lines[1:4]}
    prod = next(line for line in lines if line.startswith("prod: "))  # the default policy has a prod budget
    assert re.fullmatch(r"prod: \$[\d.]+k of \$[\d.]+[kM] \(\d+%\), heading to \$[\d.]+k - .+", prod), prod
    assert prod.endswith(" to spare") or " - over by $" in prod
    chart = answer.chart
    assert chart is not None and chart.band is not None
    first = bot.runtime.conversation.services.budgets.all()[0]  # all spend, the default policy's
    assert chart.threshold == first.monthly and chart.threshold_label == f"budget all {short(first.monthly)}"
    *_, (_, low, high) = chart.band.points
    assert (short(low), short(high)) == (head[2], head[3])
    assert low <= total <= high
    spent = chart.series[0].points
    assert len(spent) == 8 and money(spent[-1][1]) == f"${head[4]}"


def test_why_a_day_jumped_names_the_seeded_anomaly(bot: CostBot) -> None:
    bot.fill()
    anomaly = bot.source.anomalies(TODAY - 28, TODAY - 1)[-1]
    day = date.fromordinal(date(1970, 1, 1).toordinal() + anomaly.first_day)
    answer = bot.one(f"why did cost jump on {day.isoformat()}")
    head = answer.text.splitlines()[0]
    assert re.match(rf"{day:%a} {day.day} {day:%b}: \$[\d,]+, \+\$[\d,.]+ \(\+\d+%\) against the usual", head), head
    service = next(line for line in answer.text.splitlines() if line.startswith("service: "))
    assert service.startswith(f"service: {anomaly.service} +$"), service
    assert anomaly.account in answer.text


def test_an_export_is_a_file_whose_rows_add_up_to_the_month(bot: CostBot) -> None:
    table = bot.fill()
    november = table.between(day_number(date(2026, 11, 1)), day_number(date(2026, 11, 30)))
    answer = bot.one("export costs for november")
    assert answer.text.startswith(f"Costs November 2026: {money(november.total())} paid, {len(november):,} rows")
    attachment = answer.attachment
    assert attachment is not None and attachment.filename == "costs-2026-11.csv.gz"
    data = blobs.get(bot.runtime.connection, attachment.blob_key)
    assert data is not None and len(data) == attachment.size
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(data).decode())))
    assert len(rows) == len(november)
    assert sum(float(r["paid"]) for r in rows) == pytest.approx(november.total(), abs=0.01 * len(rows) / 1000 + 0.01)
