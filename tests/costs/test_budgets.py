"""Budgets: the policy file's `budgets:` section (each problem with its FILE:LINE), budgets set from chat kept in
Redis ahead of the file's, and what a budget's scope spent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import redis

from actions.costs.model import CostRow, CostTable, day_number
from core.errors import ConfigError
from policies.budgets import Budget, BudgetBook, month_of, spent
from policies.loader import load_policy
from policies.model import Policy

POLICY = """\
roles:
  viewer:
    intents: [status]
budgets:
  all: 50000
  aws: 20000
  prod: 30000.5
  "team:payments": 3500
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    return load_policy(write(tmp_path, POLICY))


def test_the_policy_section_is_read(policy: Policy) -> None:
    assert policy.budgets == {"all": 50000, "aws": 20000, "prod": 30000.5, "team:payments": 3500}


def test_the_shipped_policy_has_budgets_for_the_demo_world() -> None:
    budgets = load_policy().budgets
    assert budgets["all"] > budgets["prod"] > 0
    assert any(scope.startswith("team:") for scope in budgets)


def test_a_policy_without_budgets_has_none(tmp_path: Path) -> None:
    assert load_policy(write(tmp_path, "roles:\n  viewer:\n    intents: [status]\n")).budgets == {}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("  prdo: 100", "unknown budget scope 'prdo': one of all, aws, azure, gcp, prod, staging, dr, team:<name>"),
        ("  'team:': 100", "'team:' names no team: team:<name>"),
        ("  staging: -5", "Input should be greater than 0"),
        ("  staging: lots", "Input should be a valid number, unable to parse string as a number"),
    ],
)
def test_a_bad_budget_is_named_with_its_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = write(tmp_path, POLICY + line + "\n")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert err.value.problems == [f"{path}:9: {problem}"]


def test_a_budget_set_from_chat_takes_the_place_of_the_files(redis_conn: redis.Redis, policy: Policy) -> None:
    book = BudgetBook(redis_conn, policy, clock=lambda: 1_765_000_000.0)
    assert book.set("prod", 20_000, by="carol") == Budget("prod", 30000.5)
    assert book.set("team:guests", 1_200, by="erin") is None

    again = BudgetBook(redis.Redis(connection_pool=redis_conn.connection_pool), policy)  # another process
    assert [(b.scope, b.monthly, b.source, b.set_by) for b in again.all()] == [
        ("all", 50000, "policy", None),
        ("aws", 20000, "policy", None),
        ("prod", 20000, "chat", "carol"),
        ("team:guests", 1200, "chat", "erin"),
        ("team:payments", 3500, "policy", None),
    ]
    assert again.get("prod") == Budget("prod", 20000, "chat", "carol", 1_765_000_000.0)

    assert book.clear("prod") and not book.clear("prod")
    assert book.get("prod") == Budget("prod", 30000.5)  # the file's again


@pytest.mark.parametrize(
    ("scope", "monthly", "error"),
    [
        ("prdo", 100.0, "unknown budget scope 'prdo'"),
        ("prod", 0.0, "a monthly budget is an amount above $0, not 0"),
        ("prod", float("nan"), "a monthly budget is an amount above $0, not nan"),
    ],
)
def test_a_bad_budget_from_chat_is_refused_in_one_line(
    redis_conn: redis.Redis, policy: Policy, scope: str, monthly: float, error: str
) -> None:
    with pytest.raises(ValueError, match="^" + error.replace("$", r"\$")):
        BudgetBook(redis_conn, policy).set(scope, monthly, by="carol")
    assert redis_conn.keys("*") == []


def test_spent_counts_the_scopes_rows_of_the_period() -> None:
    december = month_of(day_number(date(2026, 12, 6)))
    assert (december.label, december.days) == ("2026-12", 31)
    first = december.first_day
    table = CostTable.from_rows([
        CostRow(first, 100.0, "aws", "Amazon EC2", environment="prod", team="payments"),
        CostRow(first + 1, 50.0, "aws", "Amazon EC2", environment="staging", team="guests", credit=-10.0),
        CostRow(first + 2, 30.0, "gcp", "Compute Engine", environment="prod", team="payments"),
        CostRow(first - 1, 1000.0, "aws", "Amazon EC2", environment="prod", team="payments"),  # November
    ])  # fmt: skip
    assert spent(table, Budget("all", 1), december) == 170.0
    assert spent(table, Budget("aws", 1), december) == 140.0
    assert spent(table, Budget("prod", 1), december) == 130.0
    assert spent(table, Budget("team:payments", 1), december) == 130.0
    assert spent(table, Budget("team:nobody", 1), december) == 0.0
