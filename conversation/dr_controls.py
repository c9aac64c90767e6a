"""A runbook run once it runs: the checklist's buttons (tick a human step, Pause, Resume, Abort) and the words
("pause the failover", "resume the failover", "abort the failover"). Ticking is for the step's role only (a wrong
role is refused in one line, audited); an abort undoes completed steps, so it asks its own confirmation first. The
changes themselves are short calls into workers.runbook_jobs (the watcher runs the steps and edits the checklist).
The policy was asked before anything here runs (conversation.core)."""

from __future__ import annotations

from actions.dr.model import RunbookRun
from actions.dr.runs import run_label
from audit.log import AuditEvent
from conversation.confirmations import Pending, RunbookAbort, request_params
from conversation.outcome import recorded
from conversation.replies import clock, edit, new_key, reply, where
from conversation.services import Services
from core.durations import span
from core.errors import OpsbotError
from core.models import Button, Intent, IntentName, Message, Reply, Risk
from policies.runbooks import find_runbook, tick_role
from workers import runbook_jobs

WORDS: dict[IntentName, str] = {
    IntentName.PAUSE_RUNBOOK: "pause",
    IntentName.RESUME_RUNBOOK: "resume",
    IntentName.ABORT_RUNBOOK: "abort",
}
BUTTON_INTENTS: dict[str, IntentName] = {verb: name for name, verb in WORDS.items()}


class RunControls:
    def __init__(self, services: Services) -> None:
        self._s = services

    def words(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        """ "pause the failover" (of web): the one run meant, then as its button would."""
        found = self._meant(intent.slots.target)
        if isinstance(found, str):  # nothing running is news, not an error: "pause the failover" after it ended
            return [reply(msg.ref, found, kind="info" if found.startswith("No runbook") else "error")]
        return self._act(msg, user, WORDS[intent.name], found)

    def press(self, msg: Message, user: str, arg: str) -> list[Reply]:
        """ "tick:<run>:<step>", "pause:<run>", "resume:<run>", "abort:<run>" (the policy passed in core)."""
        verb, _, rest = arg.partition(":")
        number, _, step = rest.partition(":")
        run = self._s.runs.get(int(number)) if number.isdigit() else None
        if run is None:
            return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]
        if verb == "tick" and step.isdigit():
            return self._tick(msg, user, run, int(step))
        if verb in BUTTON_INTENTS:
            return self._act(msg, user, verb, run)
        return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]

    def _tick(self, msg: Message, user: str, run: RunbookRun, step: int) -> list[Reply]:
        runbook = self._s.runbooks.get(run.request.runbook)
        if runbook is None or step >= len(runbook.steps):
            return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]
        role_ok = self._s.policy.holds(user, tick_role(runbook.steps[step]), msg.ref)
        line = runbook_jobs.tick_human(self._s.workers, run.id, step, user, role_ok)
        recorded()  # the job audited the tick or its refusal
        return [reply(msg.ref, line, kind="result" if role_ok and line.startswith("Ticked") else "refusal")]

    def _act(self, msg: Message, user: str, verb: str, run: RunbookRun) -> list[Reply]:
        if verb == "abort":
            return [self._ask_abort(msg, user, run)]
        act = runbook_jobs.pause if verb == "pause" else runbook_jobs.resume
        line = act(self._s.workers, run.id, user)
        recorded()  # the job audited it
        return [reply(msg.ref, line, kind="result")]

    def _ask_abort(self, msg: Message, user: str, run: RunbookRun) -> Reply:
        label = run_label(run)
        if run.finished or run.state == "aborting":
            return reply(msg.ref, f"{label.capitalize()} is {run.state}: nothing to abort.", kind="refusal")
        request = RunbookAbort(run=run.id, label=label, service=run.request.service, step=run.step,
                               requested_by=user)  # fmt: skip
        done = sum(1 for s in run.steps if s.status == "done")
        summary = (f"Abort {label} of {run.request.service} (on step {run.step + 1} of {len(run.steps)}): "
                   f"its {done} completed steps are undone, newest first.")  # fmt: skip
        key = new_key()
        pending = self._s.confirmations.create(request=request, plan_summary=summary, ref=msg.ref, risk=Risk.CHANGE,
                                               approver_role=None, reply_key=key)  # fmt: skip
        self._s.audit.append(
            AuditEvent.CONFIRMATION_ASKED, actor=user, where=where(msg.ref), what=summary,
            params={**request_params(request), "code": pending.code},
        )  # fmt: skip
        recorded()
        lasts = span(self._s.confirmations.ttl_seconds)
        buttons = (Button(id=f"confirm:{pending.code}", label="Abort and undo", style="danger"),
                   Button(id=f"cancel:{pending.code}", label="Keep running"))  # fmt: skip
        return Reply(ref=msg.ref, key=key, text=f"{summary}\nConfirm within {lasts}. Code {pending.code}",
                     buttons=buttons, kind="confirm")  # fmt: skip

    def abort(self, msg: Message, user: str, pending: Pending) -> list[Reply]:
        """A confirmed abort (conversation.approvals checked the confirmation): the run starts undoing."""
        request = pending.request
        assert isinstance(request, RunbookAbort)
        if self._s.confirmations.close(pending, "confirmed", user) is None:
            return [reply(msg.ref, "That request was settled a moment ago: nothing more was done.", kind="refusal")]
        line = runbook_jobs.abort(self._s.workers, request.run, user)
        self._s.audit.append(
            AuditEvent.CONFIRMED, actor=user, where=where(msg.ref), what=pending.plan_summary,
            params={**request_params(request), "code": pending.code}, outcome=line,
        )  # fmt: skip
        recorded()
        return [edit(pending.ref, pending.reply_key, f"Confirmed by {user} {clock()}: {line}", kind="result")]

    def _meant(self, phrase: str | None) -> RunbookRun | str:
        """The run the words mean: of the service named, else the only one going on; else a line saying why not."""
        running = self._s.runs.running()
        if phrase:
            try:
                runbooks = self._s.runbooks
            except OpsbotError as exc:
                return str(exc)
            found = (find_runbook(runbooks, "failover", phrase), find_runbook(runbooks, "failback", phrase))
            services = {r.service for r in found if r is not None}
            running = [r for r in running if r.request.service in services]
            if not running:
                return f"No runbook of {phrase[:60]} is running."
        if not running:
            last = self._s.runs.history(limit=1)
            return "No runbook is running." + (f" The last: {run_label(last[0])} of {last[0].request.service}, "
                                               f"{last[0].state.replace('_', ' ')}." if last else "")  # fmt: skip
        if len(running) > 1:
            names = ", ".join(f"{run_label(r)} of {r.request.service}" for r in running[:5])
            return f"Several runbooks are running ({names}): say which, for example: pause the web failover"
        return running[0]
