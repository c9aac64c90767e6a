"""Monthly budgets: from the policy file's `budgets:` section, and set from chat by an admin (kept in Redis, ahead of
the file's). A budget's scope is all spend ("all"), one provider ("aws"), one environment ("prod") or one team
("team:payments"); `spent` sums the cost rows of a scope over a range of days.

The cost table is read through the small `CostRows` protocol (actions.costs.model.CostTable has it): policies judge,
they do not import the cost code."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt
import redis

from core.models import Cloud
from policies.model import Policy

ALL = "all"
TEAM = "team:"
PROVIDERS = tuple(c.value for c in Cloud)
KEY = "opsbot:budgets"  # hash: scope -> {"monthly", "by", "at"} of the budgets set from chat
EPOCH = date(1970, 1, 1)


class _Column(Protocol):
    def mask(self, label: str) -> npt.NDArray[np.bool_]: ...


class CostRows(Protocol):
    """What `spent` needs of a cost table (actions.costs.model.CostTable)."""

    def column(self, name: str) -> _Column: ...

    def where(self, mask: npt.NDArray[np.bool_]) -> Self: ...

    def between(self, first_day: int, last_day: int) -> Self: ...

    def total(self) -> float: ...


class Days(Protocol):
    """A range of whole UTC days (actions.costs.analysis.Period has it)."""

    @property
    def first_day(self) -> int: ...

    @property
    def last_day(self) -> int: ...


@dataclass(frozen=True)
class Budget:
    scope: str  # "all", "aws", "prod", "team:payments"
    monthly: float  # USD
    source: Literal["policy", "chat"] = "policy"
    set_by: str | None = None  # who set it from chat
    set_at: float | None = None

    @property
    def label(self) -> str:
        """How replies and alerts name it: "all", "AWS", "prod", "team payments"."""
        if self.scope in PROVIDERS:
            return {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}[self.scope]
        return self.scope.replace(TEAM, "team ", 1)

    @property
    def column(self) -> tuple[str, str] | None:
        """The cost column and label the scope filters on; None for all spend."""
        if self.scope == ALL:
            return None
        if self.scope.startswith(TEAM):
            return "team", self.scope.removeprefix(TEAM)
        return ("provider" if self.scope in PROVIDERS else "environment"), self.scope


def scope_problem(scope: str, environments: Sequence[str]) -> str | None:
    """Why `scope` is not a budget's scope, in one line; None when it is one."""
    if scope == ALL or scope in PROVIDERS or scope in environments:
        return None
    if scope.startswith(TEAM):
        team = scope.removeprefix(TEAM)
        return None if team.strip() and team == team.strip() else f"'{scope}' names no team: team:<name>"
    kinds = ", ".join([ALL, *PROVIDERS, *environments, "team:<name>"])
    return f"unknown budget scope '{scope}': one of {kinds}"


def check_monthly(monthly: float) -> float:
    if not math.isfinite(monthly) or monthly <= 0:
        raise ValueError(f"a monthly budget is an amount above $0, not {monthly:g}")
    return round(float(monthly), 2)


class BudgetBook:
    """The budgets in force: the policy file's, each replaced by one set from chat for the same scope."""

    def __init__(self, connection: redis.Redis, policy: Policy, *, clock: Callable[[], float] = time.time) -> None:
        self._redis = connection
        self._policy = policy
        self._clock = clock

    def all(self) -> list[Budget]:
        """Every budget, all spend first, then providers, environments and teams, each by name."""
        found = {scope: Budget(scope, amount) for scope, amount in self._policy.budgets.items()}
        raw = self._redis.hgetall(KEY)
        for key, value in raw.items():
            scope = key.decode() if isinstance(key, bytes) else str(key)
            entry = json.loads(value)
            found[scope] = Budget(scope, float(entry["monthly"]), "chat", entry.get("by"), entry.get("at"))
        return sorted(found.values(), key=_order)

    def get(self, scope: str) -> Budget | None:
        return next((b for b in self.all() if b.scope == scope), None)

    def set(self, scope: str, monthly: float, by: str) -> Budget | None:
        """Set `scope`'s monthly budget; returns the budget it replaces (None: there was none). Raises ValueError
        with one line for a scope or amount that is not one. The caller audits it."""
        problem = scope_problem(scope, self._policy.environments)
        if problem is not None:
            raise ValueError(problem)
        amount = check_monthly(monthly)
        before = self.get(scope)
        entry = {"monthly": amount, "by": by, "at": self._clock()}
        self._redis.hset(KEY, scope, json.dumps(entry))
        return before

    def clear(self, scope: str) -> bool:
        """Forget the budget set from chat for `scope` (the policy file's, if any, applies again)."""
        return bool(self._redis.hdel(KEY, scope))


def _order(budget: Budget) -> tuple[int, str]:
    if budget.scope == ALL:
        return 0, ""
    if budget.scope in PROVIDERS:
        return 1, budget.scope
    return (3 if budget.scope.startswith(TEAM) else 2), budget.scope


T = TypeVar("T", bound=CostRows)


def in_scope(table: T, budget: Budget) -> T:
    """The rows of `table` the budget counts."""
    column = budget.column
    return table if column is None else table.where(table.column(column[0]).mask(column[1]))


def spent(table: CostRows, budget: Budget, period: Days) -> float:
    """What the budget's scope spent (paid, after credits) over the period's days."""
    return in_scope(table, budget).between(period.first_day, period.last_day).total()


@dataclass(frozen=True)
class Month:
    """The calendar month of a day, as day numbers since 1970-01-01 (a `Days`)."""

    first_day: int
    last_day: int
    label: str  # "2026-12"

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1


def month_of(day: int) -> Month:
    when = EPOCH + timedelta(days=int(day))
    first = when.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Month((first - EPOCH).days, (following - EPOCH).days - 1, f"{when:%Y-%m}")
