"""Month-to-date spend per service from Cost Explorer: what "cost" answers for AWS, next to the list-price
estimates the inventory carries. Cost Explorer is a global service served from us-east-1. Its requests are paged
and counted by `cost_history.pages`, like the daily history's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial

from actions.aws.clients import AwsClients
from actions.aws.cost_history import COST_EXPLORER_REGION, METRIC, pages
from actions.aws.errors import translated
from core.cloud_config import AwsAccount

__all__ = ["COST_EXPLORER_REGION", "METRIC", "month_to_date"]


def month_to_date(
    account: AwsAccount,
    *,
    clients: AwsClients | None = None,
    today: date | None = None,
    timeout: float = 10.0,
) -> dict[str, float]:
    """USD spent this month so far, by service name ("Amazon Elastic Compute Cloud - Compute": 1234.5),
    biggest first. The period ends tomorrow (Cost Explorer's end is exclusive) so today's charges count.
    Failures are the `core.errors` tree (the backend's), not CostUnavailable."""
    clients = clients or AwsClients([account], timeout=timeout)
    day = today or datetime.now(UTC).date()
    period = {"Start": day.replace(day=1).isoformat(), "End": (day + timedelta(days=1)).isoformat()}
    params: dict[str, object] = {
        "TimePeriod": period,
        "Granularity": "MONTHLY",
        "Metrics": [METRIC],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
    }

    guard = partial(translated, account, COST_EXPLORER_REGION, "cost and usage", operation="GetCostAndUsage")
    with guard():
        client = clients.client(account, COST_EXPLORER_REGION, "ce")
    spend: dict[str, float] = {}
    for page in pages(client.get_cost_and_usage, "GetCostAndUsage", params, guard):
        for period_result in page.get("ResultsByTime", []):
            for group in period_result.get("Groups", []):
                service = " / ".join(group.get("Keys", [])) or "other"
                amount = float(group.get("Metrics", {}).get(METRIC, {}).get("Amount", 0.0))
                spend[service] = spend.get(service, 0.0) + amount
    return {service: round(amount, 2) for service, amount in sorted(spend.items(), key=lambda kv: -kv[1])}
