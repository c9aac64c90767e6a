"""The board's sections about people and money: who is on call now and next (the pager as the escalation holds it,
overrides made from chat included), the month's cost against its budget and forecast (the cost cache, as "forecast"
answers in chat), and the emergency buttons this user may press (the failover runbooks and emergency scales their
role may ask, as the policy answers chat)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from actions.provider import Snapshot
from conversation.board_model import CostSummary, EmergencyAction, OnCallItem, Viewer
from conversation.costs import CostFlow, NoCostData, configured_sources
from conversation.services import Services
from core.errors import OpsbotError
from core.models import ActionName, IntentName, Risk, Slots
from policies.alerting.oncall import on_call
from policies.engine import Decision, PolicyRequest

_month: dict[tuple[str, int], tuple[float, float]] = {}  # (cost cache version, day) -> (month so far, forecast)
_month_lock = threading.Lock()


def oncall(services: Services, viewer: Viewer) -> list[OnCallItem]:
    """Each schedule's holder now, as the escalation pages (the Desk's answer, chat's overrides included), and who
    the rotation hands to next and when. While an override made from chat holds the pager, when it ends is the
    escalation's to know: next is then left empty rather than guessed."""
    schedules = services.freezes.schedules
    if not schedules:
        return []
    holders = services.alerts.on_call_people()  # one per schedule, in the alerting file's order
    at = datetime.fromtimestamp(viewer.now, UTC)
    items = []
    for (name, schedule), now in zip(schedules.items(), holders, strict=False):
        rotation = on_call(schedule, at)
        if rotation.person == now:
            items.append(OnCallItem(schedule=name, now=now, next=rotation.then, next_at=rotation.until.timestamp()))
        else:
            items.append(OnCallItem(schedule=name, now=now, next=None, next_at=None))
    return items


def cost(services: Services, viewer: Viewer) -> CostSummary | None:
    """This month so far against the budget over all spend and the month-end forecast, from the cost cache."""
    if not configured_sources(services):
        raise OpsbotError("no cost source is configured")
    flow = CostFlow(services, lambda _intent: "")
    try:
        view = flow.view()
    except NoCostData as exc:
        raise OpsbotError("no data yet") from exc
    key = (view.version, flow.today())
    with _month_lock:
        if key not in _month:  # a fit takes tens of milliseconds: once per cost read and day, not per board
            forecast = flow.forecast_of(view, flow.rows(view, Slots()))
            _month.clear()
            _month[key] = (forecast.spent, forecast.total)
        spent, total = _month[key]
    overall = next((b for b in services.budgets.all() if b.column is None), None)
    fetched = view.oldest_fetch()
    failing = [s for s in view.sources if s.error]
    return CostSummary(
        currency="USD",
        month_to_date=round(spent, 2),
        budget=overall.monthly if overall else None,
        forecast=round(total, 2),
        age_seconds=viewer.now - fetched if fetched is not None else None,
        problem=f"{failing[0].name}: {failing[0].error}" if failing else None,
    )


def allowed(services: Services, viewer: Viewer, action: ActionName, environment: str | None) -> Decision:
    """What the policy says to `viewer` asking `action` here, before any plan (it judges the plan again when asked)."""
    request = PolicyRequest(
        user=viewer.user, intent=IntentName(action.value), action=action, environment=environment, ref=viewer.ref
    )
    return services.policy.evaluate(request)


def emergency(services: Services, viewer: Viewer) -> list[EmergencyAction]:
    """Each failover runbook's "fail over" and an emergency scale of its primary, when this user's role may ask
    them; `danger` when the policy makes them critical (a second admin approves)."""
    snapshot: Snapshot = services.provider.snapshot()
    by_name = services.index(snapshot).by_name
    found: list[EmergencyAction] = []
    for runbook in services.runbooks.values():
        if runbook.kind != "failover":
            continue
        primary = by_name.get(runbook.primary)
        environment = primary.environment if primary is not None else None
        asks = (
            (ActionName.FAILOVER, f"Fail over {runbook.service}", f"fail over {runbook.primary}"),
            (ActionName.EMERGENCY_SCALE, f"Emergency scale {runbook.primary}", f"emergency scale {runbook.primary}"),
        )
        for action, label, command in asks:
            decision = allowed(services, viewer, action, environment)
            if decision.allowed:
                found.append(EmergencyAction(label=label, command=command, danger=decision.risk is Risk.CRITICAL))
    return list({a.command: a for a in found}.values())


def may_act(services: Services, viewer: Viewer) -> bool:
    """Whether the app shows action buttons at all: the user may acknowledge an alert (operators and up)."""
    request = PolicyRequest(user=viewer.user, intent=IntentName.ACK, ref=viewer.ref)
    return viewer.role is not None and services.policy.evaluate(request).allowed
