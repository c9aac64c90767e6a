"""What can be cut, and the budgets. A saving's button asks for its change (stop, scale...) through the normal change
flow, so policy, the two-step confirmation and the audit apply to it as to typed words. Setting a budget changes
opsbot's own config: an admin asks, confirms it themselves (the ConfirmationStore: single-use, bound to them and to the
exact scope, amount and the budget it replaces, expiring), and the audit records it."""

from __future__ import annotations

import secrets

from actions.costs.recommendations import Recommendation, recommend
from audit.log import AuditEvent
from conversation.confirmations import BudgetChange, Pending
from conversation.cost_text import short
from conversation.costs import CostFlow, NoCostData
from conversation.freshness import freshness
from conversation.outcome import recorded
from conversation.replies import clock, edit, money, new_key, reply, where
from conversation.services import Services
from core.durations import span
from core.models import Button, Intent, IntentName, Message, Reply, Risk, Slots
from policies.budgets import ALL, Budget, check_monthly, scope_problem

SAVINGS_SHOWN = 5
SAVING_KEY = "opsbot:saving:"  # a savings button's change intent; anyone may press it (the change flow decides)
SAVING_SECONDS = 3600  # a savings card is read later than a confirmation: its buttons last an hour
_EXAMPLE = "set budget prod to $20k a month"


class CostChanges:
    def __init__(self, services: Services, flow: CostFlow) -> None:
        self._s = services
        self._flow = flow

    # -- what can be cut ---------------------------------------------------------------------------------------

    def savings(self, msg: Message, slots: Slots) -> Reply:
        snapshot = self._s.provider.snapshot()
        fresh = freshness(snapshot, self._s.settings.inventory_refresh_seconds, slots.provider)
        if fresh.nothing_read:
            return reply(msg.ref, fresh.no_data())
        resources = [
            r
            for r in snapshot.resources
            if (slots.provider is None or r.cloud == slots.provider)
            and (slots.environment is None or r.environment == slots.environment)
        ]
        found = recommend(resources, now=self._s.clock())
        place = " ".join(x for x in (slots.provider.value if slots.provider else "", slots.environment or "") if x)
        of = f" in {place}" if place else ""
        if not found:
            return reply(msg.ref, fresh.around(f"Nothing to cut{of}: no idle, oversized or forgotten resources."))
        shown = found[:SAVINGS_SHOWN]
        total = sum(rec.monthly_saving for rec in found)
        lines = [f"{len(found):,} ways to save{of}: {money(total)}/month in all; the biggest {len(shown)}:"]
        lines += [f"{i}. {rec.text}" for i, rec in enumerate(shown, start=1)]
        if len(found) > len(shown):
            rest = sum(rec.monthly_saving for rec in found[len(shown) :])
            lines.append(f"{len(found) - len(shown):,} more save {money(rest)}/month.")
        lines.append("Savings at list prices; CPU from the last 7 days' samples.")
        buttons = tuple(b for rec in shown if (b := self._button(rec)) is not None)
        return reply(msg.ref, fresh.around("\n".join(lines)), buttons=buttons)

    def _button(self, rec: Recommendation) -> Button | None:
        if rec.intent is None:
            return None  # done by hand in the cloud's console: the line says how
        verb = rec.intent.value.replace("_", " ")
        said = f"{verb} {rec.resource}" + (f" to {rec.count}" if rec.count is not None else "")
        intent = Intent(
            name=rec.intent, confidence=1.0, text=said, slots=Slots(target=rec.resource_id, count=rec.count)
        )
        token = secrets.token_hex(6)
        self._s.connection.set(SAVING_KEY + token, intent.model_dump_json(), ex=SAVING_SECONDS)
        label = f"{said[:1].upper()}{said[1:]} (-{short(rec.monthly_saving)}/mo)"
        return Button(id=f"saving:{token}", label=label[:40])

    def pressed(self, token: str) -> Intent | None:
        """The change a savings button asks for (None: expired or not one)."""
        if not token.isalnum():
            return None
        raw = self._s.connection.get(SAVING_KEY + token)
        return None if raw is None else Intent.model_validate_json(raw)

    # -- budgets -----------------------------------------------------------------------------------------------

    def budgets(self, msg: Message, slots: Slots) -> Reply:
        try:
            view = self._flow.view()
        except NoCostData as exc:
            return reply(msg.ref, str(exc))
        budgets = self._s.budgets.all()
        if slots.budget_scope:
            budgets = [b for b in budgets if b.scope == slots.budget_scope]
        if not budgets:
            none = f"No budget for {slots.budget_scope}." if slots.budget_scope else "No budgets yet."
            return reply(msg.ref, f"{none} An admin sets one: {_EXAMPLE}")
        lines = self._flow.budget_lines(view, budgets)
        over = [b.label for b, line in zip(budgets, lines, strict=True) if " over by " in line]
        head = f"{len(budgets)} budget{'s' if len(budgets) > 1 else ''}: " + (
            f"{len(over)} heading over ({', '.join(over)})" if over else "all heading to stay within"
        )
        return reply(msg.ref, "\n".join([head, *lines, self._flow.footer(view)]))

    def ask_budget(self, msg: Message, user: str, slots: Slots) -> Reply:
        """The admin's own confirmation of a new budget (the policy let only admins this far)."""
        scope = slots.budget_scope or ALL
        if slots.amount is None:
            return reply(msg.ref, f"Set it to how much? For example: {_EXAMPLE}", kind="error")
        problem = scope_problem(scope, self._s.policy.policy.environments)
        if problem is not None:
            return reply(msg.ref, f"No budget set: {problem}.", kind="error")
        try:
            monthly = check_monthly(slots.amount)
        except ValueError as exc:
            return reply(msg.ref, f"No budget set: {exc}.", kind="error")
        before = self._s.budgets.get(scope)
        change = BudgetChange(
            budget_scope=scope, monthly=monthly, previous=before.monthly if before else None, requested_by=user
        )
        summary = _summary(change)
        key = new_key()
        pending = self._s.confirmations.create(
            request=change, plan_summary=summary, ref=msg.ref, risk=Risk.CHANGE, approver_role=None, reply_key=key
        )
        self._record(AuditEvent.CONFIRMATION_ASKED, user, msg, pending, "asked")
        text = f"{summary}\nConfirm within {span(self._s.confirmations.ttl_seconds)}. Code {pending.code}"
        buttons = (
            Button(id=f"confirm:{pending.code}", label="Confirm", style="primary"),
            Button(id=f"cancel:{pending.code}", label="Cancel"),
        )
        return Reply(ref=msg.ref, key=key, text=text, buttons=buttons, kind="confirm")

    def apply_budget(self, msg: Message, user: str, pending: Pending) -> list[Reply]:
        """A confirmation that passed every rule (conversation.approvals): the budget set, unless it changed since."""
        change = pending.request
        assert isinstance(change, BudgetChange)
        now = self._s.budgets.get(change.budget_scope)
        if (now.monthly if now else None) != change.previous:
            self._s.confirmations.close(pending, "cancelled", "system")
            was = f"now {money(now.monthly)} a month" if now else "now none"
            self._record(AuditEvent.REFUSED, user, msg, pending, f"changed since asked: {was}")
            return [
                edit(pending.ref, pending.reply_key, f"Not changed: changed since asked.\n{pending.plan_summary}"),
                reply(
                    msg.ref,
                    f"The {_label(change)} budget changed since you asked ({was}). Nothing was changed: ask again.",
                    kind="refusal",
                ),
            ]
        if self._s.confirmations.close(pending, "confirmed", user) is None:
            return [reply(msg.ref, "That request was settled a moment ago: nothing more was changed.", kind="refusal")]
        self._record(AuditEvent.CONFIRMED, user, msg, pending, "confirmed")
        try:
            self._s.budgets.set(change.budget_scope, change.monthly, by=user)
        except ValueError as exc:
            self._record(AuditEvent.FAILED, user, msg, pending, str(exc))
            return [reply(msg.ref, f"No budget set: {exc}.", kind="error")]
        was = f" (was {money(change.previous)})" if change.previous is not None else ""
        done = f"Budget {_label(change)} set to {money(change.monthly)} a month{was}."
        self._record(AuditEvent.SUCCEEDED, user, msg, pending, done)
        return [
            edit(pending.ref, pending.reply_key, f"Confirmed by {user} {clock()}.\n{pending.plan_summary}"),
            reply(msg.ref, done, kind="result"),
        ]

    def _record(self, event: AuditEvent, user: str, msg: Message, pending: Pending, outcome: str) -> None:
        params = {
            **pending.request.model_dump(mode="json"),
            "code": pending.code,
            "intent": IntentName.SET_BUDGET.value,
        }
        self._s.audit.append(
            event, actor=user, where=where(msg.ref), what=pending.plan_summary, params=params, outcome=outcome
        )
        recorded()


def _label(change: BudgetChange) -> str:
    return Budget(change.budget_scope, change.monthly).label


def _summary(change: BudgetChange) -> str:
    """ "Set budget prod: $15,000 -> $20,000 a month"."""
    was = money(change.previous) if change.previous is not None else "none"
    return f"Set budget {_label(change)}: {was} -> {money(change.monthly)} a month"
