"""Confirm and Cancel: the second step. Every rule a confirmation obeys is checked here, in order,
and each refusal says why in one line.

A critical action asked from the phone dashboard (channel "app") waits for a second admin who may not have the
dashboard open: `chat_copies` posts its approval card to chat too, and such a card may be approved from any
conversation (the approver's role and person are checked as everywhere)."""

from __future__ import annotations

import time
from collections.abc import Callable

from actions.catalogue import spec
from actions.deploy.model import DeployRequest
from actions.dr.model import RunbookRequest
from audit.log import AuditEvent
from conversation.confirmations import BudgetChange, Pending, RunbookAbort, request_params
from conversation.outcome import recorded
from conversation.replies import clock, edit, reply, where
from conversation.services import Services
from core.broadcast import incident_refs
from core.durations import span
from core.errors import ProviderError
from core.models import ConversationRef, Message, Reply
from workers.jobs import ActionJob, enqueue_action

# Carries out a confirmed change of opsbot's own config (a budget: conversation.costs), starts a confirmed deploy
# (conversation.deploy_start) or runbook run, or aborts a run (conversation.dr), once every rule here passed.
ApplySetting = Callable[[Message, str, Pending], list[Reply]]


class Approvals:
    def __init__(
        self, services: Services, apply_setting: ApplySetting | None = None, start_deploy: ApplySetting | None = None,
        runbook: ApplySetting | None = None,
    ) -> None:  # fmt: skip
        self._s = services
        self._apply_setting = apply_setting
        self._start_deploy = start_deploy
        self._runbook = runbook

    def find(self, ref: ConversationRef, code: str | None) -> Pending | None:
        store = self._s.confirmations
        return store.get(code) if code else store.latest(ref)

    def confirm(self, msg: Message, user: str, pending: Pending | None, code: str | None) -> list[Reply]:
        refusal = self._refusal(msg, user, pending, code)
        if refusal is not None:
            return refusal
        assert pending is not None
        if isinstance(pending.request, BudgetChange):
            if self._apply_setting is None:
                return [reply(msg.ref, "opsbot cannot change its settings here: nothing was changed.", kind="error")]
            return self._apply_setting(msg, user, pending)
        if isinstance(pending.request, DeployRequest):
            if self._start_deploy is None:
                return [reply(msg.ref, "opsbot cannot deploy from here: nothing was started.", kind="error")]
            return self._start_deploy(msg, user, pending)
        if isinstance(pending.request, RunbookRequest | RunbookAbort):
            if self._runbook is None:
                return [reply(msg.ref, "opsbot cannot run runbooks from here: nothing was started.", kind="error")]
            return self._runbook(msg, user, pending)
        try:
            plan = self._s.provider.plan(pending.request)
        except ProviderError as exc:
            plan_now = str(exc)
        else:
            plan_now = plan.summary
        if plan_now != pending.plan_summary:
            # The world moved since the user read the plan: what would run is not what they confirmed.
            self._s.confirmations.close(pending, "cancelled", "system")
            self._record(AuditEvent.REFUSED, user, msg, pending, f"changed since asked: {plan_now}")
            return [
                edit(pending.ref, pending.reply_key, f"Not run: changed since asked.\n{pending.plan_summary}"),
                reply(msg.ref, f"{pending.request.resource_name} changed since you asked (now: {plan_now}). "
                      "Nothing was run: ask again.", kind="refusal"),
            ]  # fmt: skip
        closed = self._s.confirmations.close(pending, "confirmed", user)
        if closed is None:
            return self._refusal(msg, user, self._s.confirmations.get(pending.code), pending.code) or []
        self._record(AuditEvent.CONFIRMED, user, msg, pending, "confirmed")
        critical = pending.approver_role is not None
        job = ActionJob(
            request=pending.request,
            ref=pending.ref,
            reply_key=pending.reply_key,
            idempotency_key=f"{pending.code}:{pending.params_hash[:16]}",
            approved_by=user if critical else None,
            enqueued_at=time.time(),
        )
        verb = "Approved" if critical else "Confirmed"
        text = f"{verb} by {user} {clock()} - running.\n{pending.plan_summary}"
        # Through the outbox, ahead of the job's own progress, so no channel can show them out of order.
        self._s.workers.outbox.publish(edit(pending.ref, pending.reply_key, text, kind="progress"))
        job_id = enqueue_action(self._s.workers, job)
        self._record(AuditEvent.ENQUEUED, user, msg, pending, f"job {job_id}")
        if (msg.ref.channel, msg.ref.conversation_id) != (pending.ref.channel, pending.ref.conversation_id):
            return [reply(msg.ref, f"Approved {pending.requester}'s request - running.\n{pending.plan_summary}")]
        return []

    def cancel(self, msg: Message, user: str, pending: Pending | None, code: str | None) -> list[Reply]:
        if pending is None or pending.status != "open":
            return [reply(msg.ref, "Nothing to cancel here.", kind="info")]
        if pending.ref.conversation_id != msg.ref.conversation_id or pending.ref.channel != msg.ref.channel:
            return [reply(msg.ref, "That request belongs to another conversation.", kind="refusal")]
        if user != pending.requester and not self._s.policy.holds(user, "admin"):
            return [reply(msg.ref, f"Only {pending.requester} or an admin can cancel this.", kind="refusal")]
        closed = self._s.confirmations.close(pending, "cancelled", user)
        if closed is None:
            return self._refusal(msg, user, self._s.confirmations.get(pending.code), code) or []
        self._record(AuditEvent.CANCELLED, user, msg, pending, "cancelled")
        text = f"Cancelled by {user} {clock()} - nothing was run.\n{pending.plan_summary}"
        return [edit(pending.ref, pending.reply_key, text)]

    def sweep(self, now: float | None = None) -> int:
        """Close confirmations nobody pressed in time: the message loses its buttons ("Expired - nothing was
        run") and the audit says so. Returns how many expired."""
        count = 0
        for pending in self._s.confirmations.overdue(time.time() if now is None else now):
            if self._s.confirmations.close(pending, "expired", "system") is None:
                continue  # pressed at the last moment: that press decides
            params = {**request_params(pending.request), "code": pending.code}
            self._s.audit.note(
                AuditEvent.EXPIRED, actor="system", where=where(pending.ref), what=pending.plan_summary,
                params=params, outcome="expired unpressed",
            )  # fmt: skip
            text = f"Expired - nothing was run.\n{pending.plan_summary}"
            self._s.workers.outbox.publish(edit(pending.ref, pending.reply_key, text))
            count += 1
        return count

    def _refusal(self, msg: Message, user: str, pending: Pending | None, code: str | None) -> list[Reply] | None:
        """None when `user` may confirm `pending` now; else the replies that say why not."""
        now = time.time()
        if pending is None:
            text = f"No request has the code {code}." if code else "Nothing to confirm here."
            return [reply(msg.ref, text, kind="refusal")]
        if pending.status == "confirmed":
            who = pending.closed_by or "someone"
            return [reply(msg.ref, f"Already confirmed by {who} at {clock(pending.closed_at)}.", kind="refusal")]
        if pending.status == "cancelled":
            who = "opsbot (it changed)" if pending.closed_by in (None, "system") else pending.closed_by
            return [reply(msg.ref, f"That request was cancelled by {who}: nothing was run.", kind="refusal")]
        if pending.status == "expired" or pending.expired(now):
            ttl = span(pending.expires_at - pending.created_at)
            refusal = reply(msg.ref, f"That confirmation expired (after {ttl}): nothing was run. Ask again.",
                            kind="refusal")  # fmt: skip
            if pending.status == "open" and self._s.confirmations.close(pending, "expired", "system"):
                # Pressed before the sweeper got to it: settle it here, and take its buttons away.
                self._record(AuditEvent.EXPIRED, user, msg, pending, "expired")
                return [edit(pending.ref, pending.reply_key, f"Expired - nothing was run.\n{pending.plan_summary}"),
                        refusal]  # fmt: skip
            return [refusal]
        elsewhere = (pending.ref.channel, pending.ref.conversation_id) != (msg.ref.channel, msg.ref.conversation_id)
        if elsewhere and not _approvable_anywhere(pending):
            return self._refuse(msg, user, pending, "That confirmation belongs to another conversation.")
        if pending.params_hash != pending.request.params_hash:
            return self._refuse(msg, user, pending, "That request was altered after it was shown: ask again.")
        if pending.approver_role is not None:
            decision = self._s.policy.may_approve(user, pending.requester, pending.risk)
            if not decision.allowed:
                return self._refuse(msg, user, pending, decision.reason)
        elif user != pending.requester:
            request = pending.request
            if isinstance(request, BudgetChange):
                action = "budget change"
            elif isinstance(request, DeployRequest):
                action = "rollback" if request.kind == "rollback" else "deploy"
            elif isinstance(request, RunbookRequest):
                action = "drill" if request.kind == "drill" else "runbook run"
            elif isinstance(request, RunbookAbort):
                action = f"abort of {request.label}"
            else:
                action = spec(request.action).title
            return self._refuse(msg, user, pending, f"Only {pending.requester} can confirm their {action}.")
        return None

    def _refuse(self, msg: Message, user: str, pending: Pending, reason: str) -> list[Reply]:
        self._record(AuditEvent.REFUSED, user, msg, pending, reason)
        return [reply(msg.ref, reason, kind="refusal")]

    def _record(self, event: AuditEvent, user: str, msg: Message, pending: Pending, outcome: str) -> None:
        params = {**request_params(pending.request), "code": pending.code, "requester": pending.requester}
        self._s.audit.append(
            event, actor=user, where=where(msg.ref), what=pending.plan_summary, params=params, outcome=outcome
        )
        recorded()


def _approvable_anywhere(pending: Pending) -> bool:
    """A critical request from the dashboard: its card was posted to chat too (`chat_copies`)."""
    return pending.approver_role is not None and pending.ref.channel == APP


APP = "app"  # the phone dashboard's channel (bot.web)


def chat_copies(services: Services, msg: Message, replies: list[Reply]) -> list[Reply]:
    """For a message from the dashboard: a copy of each approval card among `replies` for chat - in the incident
    channels when there are any, else by direct message to each admin (but the requester) on each configured chat
    platform - so a second admin is told. Empty for anything else."""
    if msg.ref.channel != APP:
        return []
    copies: list[Reply] = []
    for card in replies:
        code = next((b.id.removeprefix("confirm:") for b in card.buttons if b.id.startswith("confirm:")), None)
        pending = services.confirmations.get(code) if code and card.kind == "confirm" else None
        if pending is None or pending.approver_role is None:
            continue
        text = f"{pending.requester} asked from the dashboard:\n{card.text}"
        approve = tuple(b for b in card.buttons if b.id == f"confirm:{code}")
        for i, ref in enumerate(_approvers(services, pending.requester)):
            copies.append(Reply(ref=ref, key=f"urgent-approve-{code}-{i}", text=text, buttons=approve, kind="confirm"))
    return copies


def _approvers(services: Services, requester: str) -> list[ConversationRef]:
    rooms = [ref for ref in incident_refs(list(services.settings.incident_channels)) if ref.channel != APP]
    if rooms:
        return rooms
    settings, policy = services.settings, services.policy
    platforms = [name for name, token in (("slack", settings.slack_bot_token), ("telegram", settings.telegram_token))
                 if token is not None]  # fmt: skip
    return [
        ConversationRef(channel=platform, conversation_id=inbox)
        for admin in policy.admins()
        if admin != requester
        for platform in platforms
        if (inbox := policy.identity_on(admin, platform)) is not None
    ]
