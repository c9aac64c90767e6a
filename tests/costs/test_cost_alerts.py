"""Cost alerts end to end to a card: a cost history in a CostView, the budgets, `after_refresh` with the real
forecast and anomaly detection, the real alerting desk (routes from an alerting file, the alert store, the
escalation engine) on the real Redis, and the cards it puts in the outbox for Slack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import redis
import yaml

from actions.costs.model import CostRow, CostTable, day_number
from actions.costs.store import CostView, SourceState
from alerts.desk import Desk
from alerts.model import Incoming
from audit.stores import open_audit
from bot.alerting import build_alerting
from core.models import Reply
from core.outbox import Outbox
from core.settings import Settings
from policies.budgets import Budget
from policies.loader import load_policy
from workers.cost_alerts import after_refresh

COSTS = "C0COSTS"
ONCALL = "C0ONCALL"
ROUTES = {
    "timezone": "UTC",
    "routes": [
        {"name": "cost-critical", "match": {"source": ["cost"], "severity": ["critical"]},
         "channels": [f"slack:{COSTS}", f"slack:{ONCALL}"]},
        {"name": "cost", "match": {"source": ["cost"]}, "channels": [f"slack:{COSTS}"]},
        {"name": "rest", "channels": ["slack:C0OTHER"]},
    ],
}  # fmt: skip
SPIKE = day_number(date(2026, 12, 9))  # a Wednesday: Amazon RDS spends 9x its usual on db-prod-1


def history(last: date) -> CostTable:
    """From 1 Oct through `last`: web-prod $300 a day and db-prod-1 $50 (both AWS prod), api-staging $100 (GCP)."""
    rows = []
    for day in range(day_number(date(2026, 10, 1)), day_number(last) + 1):
        rows += [
            CostRow(day, 300.0, "aws", "Amazon EC2", "aws-prod", "prod", "frontend", "us-east-1", "web-prod"),
            CostRow(day, 450.0 if day == SPIKE else 50.0, "aws", "Amazon RDS", "aws-prod", "prod", "data",
                    "us-east-1", "db-prod-1"),
            CostRow(day, 100.0, "gcp", "Compute Engine", "gcp-staging", "staging", "frontend", "europe-west1",
                    "api-staging"),
        ]  # fmt: skip
    return CostTable.from_rows(rows)


def view(last: date) -> CostView:
    table = history(last)
    return CostView(table, (SourceState("simulated", "all", fetched_at=1.0, rows=len(table)),), (), "v1")


class Cards:
    def __init__(self, connection: redis.Redis, desk: Desk) -> None:
        self.connection = connection
        self.desk = desk
        self.outbox = Outbox(connection)
        self._seen: dict[str, str] = {}

    def refresh(self, today: date, budgets: list[Budget]) -> list[Incoming]:
        return after_refresh(view(today), budgets=budgets, today=day_number(today), desk_or_ingest=self.desk,
                             connection=self.connection)  # fmt: skip

    def new(self, channel: str = COSTS) -> list[str]:
        """Cards posted to `channel` since the last look (edits of earlier cards left out)."""
        entries = self.outbox.read("slack", self._seen.get(channel, "0-0"))
        if entries:
            self._seen[channel] = entries[-1][0]
        return [r.text for _, r in entries if _posted(r, channel)]


def _posted(reply: Reply, channel: str) -> bool:
    return reply.ref.conversation_id == channel and reply.edit_of is None


@pytest.fixture
def cards(redis_conn: redis.Redis, settings: Settings, tmp_path: Path) -> Iterator[Cards]:
    path = tmp_path / "alerting.yaml"
    path.write_text(yaml.safe_dump(ROUTES), encoding="utf-8")
    configured = settings.model_copy(update={"alerting": path})
    alerting = build_alerting(configured, redis_conn, load_policy(), open_audit(configured, redis_conn),
                              Outbox(redis_conn))  # fmt: skip
    yield Cards(redis_conn, alerting.desk)


def test_a_budget_crossing_80_percent_gives_one_card_and_not_again(cards: Cards) -> None:
    prod = [Budget("prod", 12_000)]
    cards.refresh(date(2026, 12, 18), prod)  # $6,700 of $12,000
    assert cards.new() == [
        "FIRING (not paging)\n"
        "ALERT 1 WARN Budget prod: $6,700 of $12k spent (56%)\n"
        f"prod · since {_since(cards, 1)} · cost\n"
        "56% of the 2026-12 budget spent by 18 Dec, past the 50% mark."
    ]

    sent = cards.refresh(date(2026, 12, 28), prod)  # $10,200: 85%, heading to about $11,250 (under)
    [card] = cards.new()
    assert card.splitlines()[1] == "ALERT 2 WARN Budget prod: $10.2k of $12k spent (85%)"
    assert "85% of the 2026-12 budget spent by 28 Dec, past the 80% mark." in card
    assert {(i.fingerprint, i.status) for i in sent} == {
        ("budget:prod:2026-12:80", "firing"), ("budget:prod:2026-12:50", "resolved")
    }  # fmt: skip
    assert cards.desk.show(1).startswith("RESOLVED by cost")  # the 50% card says it was passed

    assert cards.refresh(date(2026, 12, 28), prod) == []  # the next refresh: nothing new
    assert cards.new() == []
    assert cards.new(ONCALL) == []  # warnings stay in the costs channel

    cards.refresh(date(2027, 1, 2), prod)  # a new month closes December's alert
    assert cards.desk.show(2).startswith("RESOLVED by cost")
    assert cards.desk.listing(10) == "No open alerts."


def test_a_budget_passing_100_percent_is_critical_and_goes_where_criticals_go(cards: Cards) -> None:
    cards.refresh(date(2026, 12, 20), [Budget("all", 7_000)])  # $9,400 spent
    [card] = cards.new(ONCALL)
    assert card.splitlines()[1] == "ALERT 1 CRIT Budget all: $9,400 of $7,000 spent (134%)"
    assert cards.new() == [card]  # one card, no 50% and 80% cards before it
    assert cards.refresh(date(2026, 12, 21), [Budget("all", 7_000)]) == []  # and no forecast alert: over already


def test_a_forecast_crossing_the_budget_gives_a_critical_card(cards: Cards) -> None:
    aws = [Budget("aws", 10_500)]
    sent = cards.refresh(date(2026, 12, 11), aws)  # $3,900 spent by the 10th, $350 a day: about $11,250
    [card] = cards.new(ONCALL)
    lines = card.splitlines()
    # The model's point is near the run rate's $11,250 (the spike on the 9th nudges it): not pinned to a dollar.
    assert re.fullmatch(r"ALERT 1 CRIT Budget AWS: heading to \$11\.[0-4]k of \$10\.5k \(10[78]%\)", lines[1])
    assert lines[2].startswith("AWS · since")
    assert re.fullmatch(
        r"Forecast \$11\.[0-4]k for 2026-12 \(80% range \$[\d.]+k-\$[\d.]+k\), over by \$[5-9]\d\d; "
        r"\$3,900 spent so far\. Holt-Winters \(damped trend, weekly season\)\.",
        lines[3],
    )
    assert [(i.labels["kind"], i.labels["budget"], i.provider) for i in sent if i.labels.get("kind") != "anomaly"] == [
        ("forecast", "aws", "aws")
    ]
    assert [i for i in cards.refresh(date(2026, 12, 12), aws) if i.labels["kind"] == "forecast"] == []  # once


def test_yesterdays_anomaly_gives_a_card_with_its_explanation(cards: Cards) -> None:
    sent = cards.refresh(date(2026, 12, 10), [])
    assert [i.fingerprint for i in sent] == ["anomaly:2026-12-09"]
    [card] = cards.new()  # one card: the account's jump is the same spend as the service's
    assert card.splitlines()[1:] == [
        "ALERT 1 WARN Cost jump: Amazon RDS $450 on Wed 09 Dec, 9.0x its usual $50",
        f"since {_since(cards, 1)} · cost",
        "+$400 against the same weekday's usual $50; mostly db-prod-1 +$400.",
    ]
    assert sent[0].description.splitlines()[1] == "Also: account aws-prod +$400."
    assert cards.refresh(date(2026, 12, 10), []) == []  # the next refresh the same day: nothing new
    assert cards.refresh(date(2026, 12, 11), []) == []  # the day after: spend is back to its usual


def test_no_cost_data_raises_nothing(cards: Cards) -> None:
    empty = CostView(CostTable.empty(), (SourceState("simulated", "all", error="down", failed_at=1.0),), (), "v0")
    assert after_refresh(empty, budgets=[Budget("all", 1)], today=day_number(date(2026, 12, 10)),
                         desk_or_ingest=cards.desk, connection=cards.connection) == []  # fmt: skip
    assert after_refresh(None, budgets=[Budget("all", 1)], today=day_number(date(2026, 12, 10)),
                         desk_or_ingest=cards.desk.ingest, connection=cards.connection) == []  # fmt: skip


def _since(cards: Cards, number: int) -> str:
    where = cards.desk.show(number).splitlines()[2].split(" · ")
    return next(part for part in where if part.startswith("since ")).removeprefix("since ")
