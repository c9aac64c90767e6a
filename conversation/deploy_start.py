"""A confirmed deploy or rollback, started: the confirmation passed every rule of conversation.approvals (single use,
bound, unexpired, a second admin where policy asks); here the groups are checked to still run what the preview said,
the deploy is recorded (which takes the service's lock: a second deploy of it is refused), the confirmation message
becomes the deploy's progress message, and the job that starts the rollouts is queued."""

from __future__ import annotations

import time

from actions.deploy.model import DeployRequest
from actions.deploy.records import DeployBusy
from audit.log import AuditEvent
from conversation.confirmations import Pending, request_params
from conversation.deploys import versions_now
from conversation.outcome import recorded
from conversation.replies import clock, edit, new_key, reply, where
from conversation.services import Services
from core.models import Message, Reply
from workers.deploy_jobs import enqueue_deploy
from workers.deploy_progress import progress_buttons, progress_text


class DeployStarter:
    def __init__(self, services: Services) -> None:
        self._s = services

    def start(self, msg: Message, user: str, pending: Pending) -> list[Reply]:
        request = pending.request
        assert isinstance(request, DeployRequest)
        moved = self._moved(request)
        if moved is not None:
            self._s.confirmations.close(pending, "cancelled", "system")
            self._record(AuditEvent.REFUSED, user, msg, pending, f"changed since asked: {moved}")
            return [
                edit(pending.ref, pending.reply_key, f"Not run: changed since asked.\n{pending.plan_summary}"),
                reply(msg.ref, f"{moved} Nothing was started: ask again.", kind="refusal"),
            ]
        if self._s.confirmations.close(pending, "confirmed", user) is None:
            return [reply(msg.ref, "That request was settled a moment ago: nothing more was started.", kind="refusal")]
        try:
            record = self._s.deploys.create(request, pending.ref, pending.reply_key, approved_by=user)
        except DeployBusy as exc:
            self._record(AuditEvent.REFUSED, user, msg, pending, str(exc))
            return [
                edit(pending.ref, pending.reply_key, f"Not run: {exc}\n{pending.plan_summary}"),
                reply(msg.ref, f"{exc} Nothing was started.", kind="refusal"),
            ]
        self._record(AuditEvent.CONFIRMED, user, msg, pending, f"deploy #{record.id}")
        critical = pending.approver_role is not None
        head = f"{'Approved' if critical else 'Confirmed'} by {user} {clock()}."
        # Through the outbox, ahead of the watcher's edits, so no channel shows them out of order.
        self._s.workers.outbox.publish(
            Reply(
                ref=pending.ref, key=new_key(), text=f"{head}\n{progress_text(record, time.time())}",
                buttons=progress_buttons(record), edit_of=pending.reply_key, kind="progress",
            )
        )  # fmt: skip
        job_id = enqueue_deploy(self._s.workers, record)
        self._record(AuditEvent.ENQUEUED, user, msg, pending, f"deploy #{record.id}, job {job_id}")
        return []

    def _moved(self, request: DeployRequest) -> str | None:
        """A line when a group no longer runs the version the preview showed (someone deployed meanwhile). A
        rollback of a deploy still rolling is not held to it: its groups move under it, and it takes over."""
        undoing = self._s.deploys.get(request.rollback_of) if request.rollback_of is not None else None
        if undoing is not None and not undoing.finished:
            return None
        now = versions_now(self._s, request.service, request.environment, undoing)
        for change in request.groups:
            runs = now.get(change.group)
            if runs is not None and runs != change.from_version:  # None: opsbot cannot tell (read from the cloud)
                return f"{change.group} runs {runs or 'an unknown version'} now, not {change.from_version}."
        return None

    def _record(self, event: AuditEvent, user: str, msg: Message, pending: Pending, outcome: str) -> None:
        params = {**request_params(pending.request), "code": pending.code, "requester": pending.requester}
        self._s.audit.append(
            event, actor=user, where=where(msg.ref), what=pending.plan_summary.splitlines()[0], params=params,
            outcome=outcome,
        )  # fmt: skip
        recorded()
