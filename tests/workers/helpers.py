"""Building action jobs and reading back what a job told the conversation and the audit log."""

from __future__ import annotations

import time
from pathlib import Path

from actions.provider import CloudProvider
from audit.log import AuditEvent, AuditLog, AuditRecord
from core.models import ActionName, ActionRequest, ConversationRef, Reply
from core.outbox import Outbox
from tests.eventually import eventually
from workers.jobs import ActionJob

REF = ConversationRef(channel="console", conversation_id="ops-room", thread_id="t1")
FINAL_KINDS = ("result", "error")


def scale_job(provider: CloudProvider, *, to: int = 16, key: str = "confirm-1", name: str = "web-prod") -> ActionJob:
    group = provider.get(name)
    request = ActionRequest.on(group, ActionName.SCALE, requested_by="alice", desired_count=to)
    return ActionJob(
        request=request,
        ref=REF,
        reply_key=f"msg-{key}",
        idempotency_key=key,
        approved_by="bob",
        enqueued_at=time.time(),
    )


def edits_of(outbox: Outbox, job: ActionJob) -> list[Reply]:
    """Every edit of the job's chat message, in the order the channel would deliver them."""
    return [r for _, r in outbox.read(job.ref.channel) if r.edit_of == job.reply_key]


def wait_for_end(outbox: Outbox, job: ActionJob, seconds: float = 15.0) -> list[Reply]:
    """The job's edits once the last one says how it ended."""
    eventually(lambda: any(r.kind in FINAL_KINDS for r in edits_of(outbox, job)), seconds, "the job's last edit")
    return edits_of(outbox, job)


def job_events(data_dir: Path, job_id: str) -> list[AuditEvent]:
    return [r.event for r in job_records(data_dir, job_id)]


def job_records(data_dir: Path, job_id: str) -> list[AuditRecord]:
    return [r for r in AuditLog(data_dir).records() if r.params.get("job_id") == job_id]
