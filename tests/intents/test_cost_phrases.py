"""Cost questions as people type them: each phrase is read as its intent with exactly the slots given (slots not
named must be unset), phrases that only sound like one are read as something else, and a typo or a hedge never
sets a budget. Days and months said without a year resolve against the answer's today."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import CHANGING_INTENTS, IntentName
from intents.cost_slots import day_of, month_of
from intents.parser import parse

I = IntentName  # noqa: E741 - the table reads better short

READ: list[tuple[str, IntentName, dict[str, object]]] = [
    # COST
    ("cost", I.COST, {}),
    ("cost this month by service", I.COST, {"period": "this_month", "group_by": "service"}),
    ("cost of prod by team", I.COST, {"environment": "prod", "group_by": "team"}),
    ("spend per team this month", I.COST, {"group_by": "team", "period": "this_month"}),
    ("cost of aws last week", I.COST, {"provider": "aws", "period": "last_week"}),
    ("what did we spend on azure the previous week", I.COST, {"provider": "azure", "period": "last_week"}),
    ("cost over the past week", I.COST, {"period": "7d"}),
    ("top 10 spenders", I.COST, {"count": 10, "group_by": "resource"}),
    ("show me the 5 biggest spenders in aws", I.COST, {"count": 5, "group_by": "resource", "provider": "aws"}),
    ("top spenders", I.COST, {"group_by": "resource"}),
    ("top spenders in prod by service", I.COST, {"environment": "prod", "group_by": "service"}),
    ("top spenders by team this month", I.COST, {"group_by": "team", "period": "this_month"}),
    ("what are the 3 most expensive resources", I.COST, {"count": 3, "group_by": "resource"}),
    ("compare with last month", I.COST, {"compare": "last_month"}),
    ("cost vs last month", I.COST, {"compare": "last_month"}),
    ("compare costs to the previous month", I.COST, {"compare": "last_month"}),
    ("aws spend compared to last month", I.COST, {"provider": "aws", "compare": "last_month"}),
    ("how does this month compare to last month", I.COST, {"compare": "last_month"}),
    ("cost month over month by service", I.COST, {"compare": "last_month", "group_by": "service"}),
    ("are costs up on last month", I.COST, {"compare": "last_month"}),
    ("cost for november", I.COST, {"month": "11"}),
    ("what did we spend in october 2026", I.COST, {"month": "2026-10"}),
    ("gcp cost for 2026-09 by service", I.COST, {"provider": "gcp", "month": "2026-09", "group_by": "service"}),
    ("cost on tuesday", I.COST, {"day": "tuesday"}),
    ("cost yesterday", I.COST, {"period": "yesterday"}),
    ("which team costs the most", I.COST, {"group_by": "team"}),
    # FORECAST
    ("forecast", I.FORECAST, {}),
    ("forecast for aws", I.FORECAST, {"provider": "aws"}),
    ("will we go over", I.FORECAST, {}),
    ("are we going over budget", I.FORECAST, {}),
    ("are we going to go over budget this month", I.FORECAST, {"period": "this_month"}),
    ("are we on track", I.FORECAST, {}),
    ("are we on track with the budget", I.FORECAST, {}),
    ("will we overspend", I.FORECAST, {}),
    ("are we over budget", I.FORECAST, {}),
    # COST_WHY
    ("why did cost jump on tuesday", I.COST_WHY, {"day": "tuesday"}),
    ("why did aws spend go up yesterday", I.COST_WHY, {"day": "yesterday", "provider": "aws"}),
    ("what happened to costs on 2026-11-28", I.COST_WHY, {"day": "2026-11-28"}),
    ("why is prod so expensive today", I.COST_WHY, {"environment": "prod", "day": "today"}),
    ("what changed in spend", I.COST_WHY, {}),
    ("why did our bill spike last friday", I.COST_WHY, {"day": "friday"}),
    ("why did spend double on nov 28", I.COST_WHY, {"day": "11-28"}),
    ("what caused the cost spike on the 28th of november", I.COST_WHY, {"day": "11-28"}),
    ("why are costs so high in staging", I.COST_WHY, {"environment": "staging"}),
    ("why did we spend so much yesterday", I.COST_WHY, {"day": "yesterday"}),
    ("explain the cost jump on monday", I.COST_WHY, {"day": "monday"}),
    ("cost spike on wednesday", I.COST_WHY, {"day": "wednesday"}),
    ("any cost anomalies yesterday", I.COST_WHY, {"day": "yesterday"}),
    ("why is azure costing so much", I.COST_WHY, {"provider": "azure"}),
    ("why is it costing so much", I.COST_WHY, {}),
    # SAVINGS
    ("what can we cut", I.SAVINGS, {}),
    ("how can we save money", I.SAVINGS, {}),
    ("savings", I.SAVINGS, {}),
    ("where are we wasting money", I.SAVINGS, {}),
    ("idle instances", I.SAVINGS, {}),
    ("what can we turn off in staging", I.SAVINGS, {"environment": "staging"}),
    ("what could we shut down in aws to save money", I.SAVINGS, {"provider": "aws"}),
    ("cost savings in prod", I.SAVINGS, {"environment": "prod"}),
    ("show me savings recommendations", I.SAVINGS, {}),
    ("how do we reduce our spend on gcp", I.SAVINGS, {"provider": "gcp"}),
    ("cut costs in staging", I.SAVINGS, {"environment": "staging"}),
    ("any idle vms in azure", I.SAVINGS, {"provider": "azure"}),
    ("rightsizing recommendations", I.SAVINGS, {}),
    ("ways to save", I.SAVINGS, {}),
    # COST_EXPORT
    ("export costs for november", I.COST_EXPORT, {"month": "11"}),
    ("export cost csv", I.COST_EXPORT, {}),
    ("download costs for last month", I.COST_EXPORT, {"period": "last_month"}),
    ("send me the cost csv for october 2026", I.COST_EXPORT, {"month": "2026-10"}),
    ("csv of costs this month", I.COST_EXPORT, {"period": "this_month"}),
    ("export the aws bill for last month", I.COST_EXPORT, {"provider": "aws", "period": "last_month"}),
    ("can i get the costs as a csv", I.COST_EXPORT, {}),
    ("costs export for 2026-11", I.COST_EXPORT, {"month": "2026-11"}),
    ("download the billing data", I.COST_EXPORT, {}),
    # BUDGET
    ("budgets", I.BUDGET, {}),
    ("budget", I.BUDGET, {}),
    ("show budgets", I.BUDGET, {}),
    ("how are we doing against budget", I.BUDGET, {}),
    ("budget for prod", I.BUDGET, {"budget_scope": "prod"}),
    ("what is the aws budget", I.BUDGET, {"budget_scope": "aws"}),
    ("prod budget", I.BUDGET, {"budget_scope": "prod"}),
    ("budget for team payments", I.BUDGET, {"budget_scope": "team:payments"}),
    ("how much budget is left", I.BUDGET, {}),
    ("which budgets are at risk", I.BUDGET, {}),
    ("budget status", I.BUDGET, {}),
    # SET_BUDGET
    ("set budget prod to $20k a month", I.SET_BUDGET, {"budget_scope": "prod", "amount": 20000.0}),
    ("set the aws budget to 15000", I.SET_BUDGET, {"budget_scope": "aws", "amount": 15000.0}),
    (
        "budget for team payments is $3,500 a month",
        I.SET_BUDGET,
        {"budget_scope": "team:payments", "amount": 3500.0},
    ),
    ("set budget to $50k", I.SET_BUDGET, {"budget_scope": "all", "amount": 50000.0}),
    ("set budget prod to 20k", I.SET_BUDGET, {"budget_scope": "prod", "amount": 20000.0}),
    ("set budget prod to $20,000", I.SET_BUDGET, {"budget_scope": "prod", "amount": 20000.0}),
    ("set budget prod to 20 thousand", I.SET_BUDGET, {"budget_scope": "prod", "amount": 20000.0}),
    ("set the total budget to $1.5m", I.SET_BUDGET, {"budget_scope": "all", "amount": 1_500_000.0}),
    ("set budget staging to 15000 dollars", I.SET_BUDGET, {"budget_scope": "staging", "amount": 15000.0}),
    ("raise the gcp budget to 30k per month", I.SET_BUDGET, {"budget_scope": "gcp", "amount": 30000.0}),
    ("change the budget for azure to $12,000", I.SET_BUDGET, {"budget_scope": "azure", "amount": 12000.0}),
    ("set a $10k monthly budget for the payments team", I.SET_BUDGET, {"budget_scope": "team:payments", "amount": 1e4}),
    ("set budget team:search to 2.5k", I.SET_BUDGET, {"budget_scope": "team:search", "amount": 2500.0}),
    ("update the production budget to twenty thousand", I.SET_BUDGET, {"budget_scope": "prod", "amount": 20000.0}),
    ("the staging budget should be 8k", I.SET_BUDGET, {"budget_scope": "staging", "amount": 8000.0}),
    ("please set budget prod to 20k/month", I.SET_BUDGET, {"budget_scope": "prod", "amount": 20000.0}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), READ, ids=[t for t, _, _ in READ])
def test_a_cost_phrase_is_read_with_its_slots(text: str, intent: IntentName, slots: dict[str, object]) -> None:
    found = parse(text)
    assert (found.name, found.slots.present()) == (intent, slots)
    assert found.confidence >= 0.9


NOT_THESE: list[tuple[str, IntentName | None]] = [
    # A typo, a hedge, a question or another currency never sets a budget; "budget" alone only shows them.
    ("sett budget prod to 20k", I.UNKNOWN),
    ("set budgte prod to 20k", None),
    ("set budget prod to 20k euros", None),
    ("set budget prod to 240k a year", None),
    ("should we set the prod budget to 20k?", None),
    ("don't set budget prod to 20k", None),
    ("set budget prod to 20k, no wait", None),
    ("bob set the budget to 20k yesterday", None),
    ("budget prod 20k", None),
    ("set budget prod to -5k", None),
    ("set budget prod to 0", None),
    # Cost words around a change: never a change of the cloud.
    ("what can we stop in staging", I.SAVINGS),
    ("what could we shut down to save money", I.SAVINGS),
    ("stop wasting money", None),
    ("cut the bill", I.SAVINGS),
    ("why did we scale web-prod to 20 yesterday", None),
]


@pytest.mark.parametrize(("text", "intent"), NOT_THESE, ids=[t for t, _ in NOT_THESE])
def test_what_only_sounds_like_a_budget_change_is_none(text: str, intent: IntentName | None) -> None:
    found = parse(text)
    assert found.name is not I.SET_BUDGET
    assert found.name not in CHANGING_INTENTS
    if intent is not None:
        assert found.name is intent


TODAY = dt.date(2026, 12, 6)  # a Sunday


@pytest.mark.parametrize(
    ("day", "date"),
    [
        ("today", dt.date(2026, 12, 6)),
        ("yesterday", dt.date(2026, 12, 5)),
        ("tuesday", dt.date(2026, 12, 1)),
        ("sunday", dt.date(2026, 11, 29)),  # the latest one before today, not today
        ("11-28", dt.date(2026, 11, 28)),
        ("12-06", dt.date(2026, 12, 6)),
        ("12-25", dt.date(2025, 12, 25)),  # not yet this year: last year's
        ("02-29", dt.date(2024, 2, 29)),
        ("2026-11-28", dt.date(2026, 11, 28)),
    ],
)
def test_a_day_resolves_against_today(day: str, date: dt.date) -> None:
    assert day_of(day, TODAY) == date


@pytest.mark.parametrize(("month", "resolved"), [("11", "2026-11"), ("12", "2026-12"), ("01", "2026-01")])
def test_a_month_without_its_year_is_the_latest_one(month: str, resolved: str) -> None:
    assert month_of(month, TODAY) == resolved
    assert month_of("2025-11", TODAY) == "2025-11"
    assert month_of("11", dt.date(2026, 10, 3)) == "2025-11"


def test_a_month_the_parser_never_gives_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a month: '13'"):
        month_of("13", TODAY)


def test_impossible_dates_are_not_read() -> None:
    assert parse("why did cost jump on 2026-02-30").slots.day is None
    assert parse("why did cost jump on nov 31").slots.day is None
