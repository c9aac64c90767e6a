"""Read-only questions over an inventory: search, status, cost and forecast. Typed results only; how they
read in chat is the conversation's business."""

from actions.queries.cost import CostLine, CostReport, cost, forecast
from actions.queries.search import SearchResult, prepare, search
from actions.queries.status import CloudStatus, GroupStatus, Problem, Scope, StatusReport, status

__all__ = [
    "CloudStatus",
    "CostLine",
    "CostReport",
    "GroupStatus",
    "Problem",
    "Scope",
    "SearchResult",
    "StatusReport",
    "cost",
    "forecast",
    "prepare",
    "search",
    "status",
]
