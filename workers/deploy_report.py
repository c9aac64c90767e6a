"""How a deploy reaches people and the audit: the progress message edited (only when what it says changed), thread
replies at milestones (each once, however many workers watch or retry), an audit record at every change of state,
and the end of a rollback settling the deploy it undid."""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Final

from actions.deploy.model import DeployRecord
from audit.log import AuditEvent, JsonScalar
from core.models import Reply
from workers.context import WorkerContext
from workers.deploy_progress import progress_buttons, progress_text

SHOWN_PREFIX: Final = "opsbot:deploy:shown:"
SHOWN_SECONDS: Final = 7 * 24 * 3600

log = logging.getLogger(__name__)


def show(ctx: WorkerContext, record: DeployRecord, now: float) -> bool:
    """Edit the progress message to say where the deploy is, unless it says that already. True if edited."""
    text, buttons = progress_text(record, now), progress_buttons(record)
    digest = hashlib.sha256((text + "|" + ",".join(b.id for b in buttons)).encode()).hexdigest()[:16]
    before = ctx.connection.set(SHOWN_PREFIX + str(record.id), digest, ex=SHOWN_SECONDS, get=True)
    if before is not None and (before.decode() if isinstance(before, bytes) else str(before)) == digest:
        return False
    kind = "progress"
    if record.finished:
        kind = "error" if record.state == "failed" else "result"
    edit = Reply(ref=record.ref, key=_new_key(), text=text, buttons=buttons, edit_of=record.reply_key, kind=kind)
    ctx.outbox.publish(edit)
    return True


def milestone(ctx: WorkerContext, record_id: int, name: str, text: str) -> bool:
    """A thread reply under the progress message, sent once per deploy and `name` ("started", "web-prod done",
    "finished"): marked in the record first, so a second watcher or a retried job does not send it again."""
    added = False

    def mark(record: DeployRecord) -> DeployRecord | None:
        nonlocal added
        added = name not in record.milestones
        return record.model_copy(update={"milestones": (*record.milestones, name)}) if added else None

    record = ctx.deploys.book.update(record_id, mark)
    if record is None or not added:
        return False
    kind = "error" if name == "failed" else "info"
    # The failure's reply is the one that rings a phone: its Rollback button is there too, one tap from the alert.
    buttons = progress_buttons(record) if name == "failed" else ()
    ctx.outbox.publish(
        Reply(ref=record.ref, key=_new_key(), text=text, reply_to=record.reply_key, kind=kind, buttons=buttons)
    )
    return True


def audit(
    ctx: WorkerContext, event: AuditEvent, record: DeployRecord, outcome: str, *, actor: str | None = None,
    strict: bool = False,
) -> None:  # fmt: skip
    """One audit record of the deploy. `strict`: before rollouts start (raises AuditUnavailable: nothing may
    change unrecorded); afterwards what happened is recorded when the audit can take it."""
    request = record.request
    params: dict[str, JsonScalar] = {
        "deploy_id": record.id, "kind": request.kind, "service": request.service,
        "environment": request.environment, "version": request.version,
        "groups": ",".join(g.group for g in request.groups), "rollback_of": request.rollback_of,
        "freeze_override": request.freeze_override, "requested_by": request.requested_by,
        "approved_by": record.approved_by, "state": record.state, "params_hash": request.params_hash,
    }  # fmt: skip
    ref = record.ref
    where = f"{ref.channel}:{ref.conversation_id}" + (f"/{ref.thread_id}" if ref.thread_id else "")
    what = f"{request.kind} {record.id}: {request.service} {request.version} to {request.environment}"
    write = ctx.audit.append if strict else ctx.audit.note
    write(event, actor=actor or request.requested_by, where=where, what=what, params=params, outcome=outcome)


def settle_rolled_back(ctx: WorkerContext, rollback: DeployRecord, now: float) -> None:
    """A rollback ended: the deploy it undid is rolled back (it succeeded) or failed (it did not)."""
    original_id = rollback.request.rollback_of
    if original_id is None:
        return

    def settle(original: DeployRecord) -> DeployRecord | None:
        if original.state != "rolling_back":
            return None
        if rollback.state == "succeeded":
            update: dict[str, object] = {"state": "rolled_back", "finished_at": now}
        else:
            update = {"state": "failed", "finished_at": now,
                      "failure": f"Rollback {rollback.id} {rollback.state.replace('_', ' ')}"}  # fmt: skip
        return original.model_copy(update=update)

    original = ctx.deploys.book.update(original_id, settle)
    # A rollback asked from chat may edit the very message of the deploy it undoes: that one then says it.
    if original is not None and original.finished and original.reply_key != rollback.reply_key:
        show(ctx, original, now)


def _new_key() -> str:
    return "deploy-" + uuid.uuid4().hex[:12]
