"""How a runbook run reaches people and the audit: the one checklist message edited (only when what it says
changed), thread replies at milestones (each once, however many workers watch it), the status broadcasts (the
incident channels, direct messages to the stakeholders, SMS at start and end when a pager is there), an audit
record at every change of state, and the final summary (a drill's: its report, with the RTO estimate)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Final, Literal

from actions.dr.model import RunbookRun, StepRun
from actions.dr.runs import run_label
from audit.log import AuditEvent, JsonScalar
from core.broadcast import incident_refs
from core.durations import span
from core.models import ConversationRef, Reply
from policies.alerting.identities import phone_of
from policies.runbook_model import Runbook
from workers.context import WorkerContext
from workers.paging import PageRef
from workers.runbook_checklist import checklist_buttons, checklist_text, status_line

SHOWN_PREFIX: Final = "opsbot:dr:shown:"
SHOWN_SECONDS: Final = 7 * 24 * 3600
DM_CHANNELS: Final = ("slack", "telegram")  # where a stakeholder has a direct-message inbox

log = logging.getLogger(__name__)


def show(ctx: WorkerContext, run: RunbookRun, runbook: Runbook, now: float) -> bool:
    """Edit the checklist message to say where the run is, unless it says that already. True if edited."""
    text, buttons = checklist_text(run, runbook, now), checklist_buttons(run, runbook)
    digest = hashlib.sha256((text + "|" + ",".join(b.id for b in buttons)).encode()).hexdigest()[:16]
    before = ctx.connection.set(SHOWN_PREFIX + str(run.id), digest, ex=SHOWN_SECONDS, get=True)
    if before is not None and (before.decode() if isinstance(before, bytes) else str(before)) == digest:
        return False
    kind: Literal["progress", "result", "error"] = "progress"
    if run.finished:
        kind = "result" if run.state == "succeeded" else "error"
    ctx.outbox.publish(Reply(ref=run.ref, key=_new_key(), text=text, buttons=buttons, edit_of=run.reply_key,
                             kind=kind))  # fmt: skip
    return True


def once(ctx: WorkerContext, run_id: int, name: str) -> RunbookRun | None:
    """Mark milestone `name` in the run; the run when this call marked it (say it now), None when it was already
    (another watcher or an earlier tick said it)."""
    added = False

    def mark(run: RunbookRun) -> RunbookRun | None:
        nonlocal added
        added = name not in run.milestones
        return run.model_copy(update={"milestones": (*run.milestones, name)}) if added else None

    run = ctx.dr.book.update(run_id, mark)
    return run if run is not None and added else None


def milestone(ctx: WorkerContext, run_id: int, name: str, text: str, *, error: bool = False) -> bool:
    """A thread reply under the checklist, sent once per run and `name`."""
    run = once(ctx, run_id, name)
    if run is None:
        return False
    ctx.outbox.publish(Reply(ref=run.ref, key=_new_key(), text=text, reply_to=run.reply_key,
                             kind="error" if error else "info"))  # fmt: skip
    return True


def broadcast(ctx: WorkerContext, run: RunbookRun, runbook: Runbook, text: str, *, sms: bool = False) -> int:
    """`text` to every incident channel (the run's and OPSBOT_INCIDENT_CHANNELS, each once) and by direct message
    to the runbook's stakeholders on Slack and Telegram; by SMS too when `sms` and a pager is there. Returns how
    many messages went out. The caller marks the milestone first, so nothing is said twice."""
    refs = _unique([*run.channels, *incident_refs(list(ctx.settings.incident_channels))])
    policy = ctx.dr.policy() if runbook.stakeholders else None
    settings = ctx.settings
    platforms = [
        c for c, on in zip(DM_CHANNELS, (settings.slack_bot_token, settings.telegram_token), strict=True) if on
    ]
    for person in runbook.stakeholders:
        for channel in platforms:  # only where opsbot is: a platform not configured has no one to deliver
            inbox = policy.identity_on(person, channel) if policy is not None else None
            if inbox is not None:
                refs.append(ConversationRef(channel=channel, conversation_id=inbox))
    key = f"urgent-{uuid.uuid4().hex[:12]}"  # DR status goes ahead of ordinary replies
    for i, ref in enumerate(_unique(refs)):
        ctx.outbox.publish(Reply(ref=ref, key=f"{key}-{i}", text=text))
    sent = len(_unique(refs))
    pager = ctx.dr.pager
    if sms and pager is not None and policy is not None:
        for person in runbook.stakeholders:
            phone = phone_of(policy.policy, person)
            if phone is None:
                continue
            page = PageRef(alert=0, token=f"runbook-{run.id}-{uuid.uuid4().hex[:8]}", person=person)
            try:
                pager.sms(phone, text[:300], page)
                sent += 1
            except Exception as exc:  # a refused SMS must not stop the run; it is in the log and the audit
                log.warning("runbook %s: SMS to %s failed: %s", run.id, person, type(exc).__name__)
                audit(ctx, AuditEvent.FAILED, run, f"SMS to {person} failed", actor="opsbot")
    return sent


def audit(ctx: WorkerContext, event: AuditEvent, run: RunbookRun, outcome: str, *, actor: str | None = None) -> None:
    """One audit record of the run (the incident timeline reads them). Written when the audit can take it."""
    request = run.request
    params: dict[str, JsonScalar] = {
        "run_id": run.id, "runbook": request.runbook, "kind": request.kind, "service": request.service,
        "primary": request.primary, "standby": request.standby, "step": run.step, "state": run.state,
        "incident": request.incident, "requested_by": request.requested_by, "approved_by": run.approved_by,
        "params_hash": request.params_hash,
    }  # fmt: skip
    ref = run.ref
    where = f"{ref.channel}:{ref.conversation_id}" + (f"/{ref.thread_id}" if ref.thread_id else "")
    what = f"{run_label(run)}: {request.runbook} ({request.primary} -> {request.standby})"
    ctx.audit.note(event, actor=actor or request.requested_by, where=where, what=what, params=params, outcome=outcome)


def summary(run: RunbookRun, runbook: Runbook, now: float) -> str:
    """The final word in the thread: what ran and how long each step took, who approved and who ticked, anything
    skipped or undone; a drill's report adds the RTO estimate and what would have failed."""
    drill = run.request.kind == "drill"
    lines = [status_line(run, runbook, now)]
    for i, (step, record) in enumerate(zip(runbook.steps, run.steps, strict=True)):
        took = step_seconds(record)
        how = span(took) if took is not None else "-"
        simulated = " (simulated)" if "simulated_seconds" in record.memo else ""
        by = f", ticked by {record.by}" if record.by else ""
        lines.append(f"{i + 1}. {step.name}: {record.status}, {how}{simulated}{by}")
    lines.append(f"Asked by {run.request.requested_by}, approved by {run.approved_by or 'nobody (no approval)'}")
    skipped = [str(i + 1) for i, r in enumerate(run.steps) if r.status in ("skipped", "pending")]
    if skipped:
        lines.append(f"Not run: step{'s' if len(skipped) > 1 else ''} {', '.join(skipped)}")
    if drill:
        lines.append(f"RTO estimate: {span(rto_seconds(run))} (measured reads and checks, simulated changes; "
                     f"the runbook expects {span(runbook.expected_seconds)})")  # fmt: skip
        pairs = enumerate(zip(runbook.steps, run.steps, strict=True))
        refused = run.request.preconditions_failed
        failed = [f"preconditions: {refused}"] if refused else []
        failed += [f"step {i + 1} ({s.name}): {r.detail or 'failed'}" for i, (s, r) in pairs if r.status == "failed"]
        lines.append("Would have failed: " + "; ".join(failed) if failed else "Nothing would have failed.")
    return "\n".join(lines)


def step_seconds(record: StepRun) -> float | None:
    """How long a step took: a drill's simulated change counts its full expected time, not the drill's wait."""
    if "simulated_seconds" in record.memo:
        return float(record.memo["simulated_seconds"])
    if record.started_at is None or record.finished_at is None:
        return None
    return record.finished_at - record.started_at


def rto_seconds(run: RunbookRun) -> float:
    """The sum of the done steps' times, measured or simulated: a drill's RTO estimate ("dr status" shows the
    last drill's)."""
    return sum(step_seconds(r) or 0.0 for r in run.steps if r.status == "done")


def _unique(refs: list[ConversationRef]) -> list[ConversationRef]:
    seen: list[ConversationRef] = []
    for ref in refs:
        if ref not in seen:
            seen.append(ref)
    return seen


def _new_key() -> str:
    return f"runbook-{uuid.uuid4().hex[:12]}"
