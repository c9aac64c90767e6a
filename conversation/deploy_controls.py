"""A deploy once it runs: "deploy status", "deploys today", "history web" (answered from the deploy records in
Redis, never from the clouds: a status answers in milliseconds), and "pause deploy web", "resume", "cancel deploy
web" with their buttons on the progress message (queued for a worker: the rollouts are paused by whoever watches
them). The policy was asked before anything here runs (conversation.core)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from actions.deploy.manifest import find_service
from actions.deploy.model import DeployRecord
from audit.log import AuditEvent, JsonScalar
from conversation.deploy_text import history_line, history_text
from conversation.outcome import recorded
from conversation.replies import echo, reply, where
from conversation.services import Services
from core.errors import OpsbotError
from core.models import Intent, IntentName, Message, Reply, Slots
from workers.deploy_jobs import enqueue_control
from workers.deploy_progress import status_line

Control = Literal["pause", "resume", "cancel"]
CONTROLS: dict[IntentName, Control] = {
    IntentName.PAUSE_DEPLOY: "pause",
    IntentName.RESUME_DEPLOY: "resume",
    IntentName.CANCEL_DEPLOY: "cancel",
}
BUTTON_INTENTS: dict[str, IntentName] = {
    "pause": IntentName.PAUSE_DEPLOY,
    "resume": IntentName.RESUME_DEPLOY,
    "cancel": IntentName.CANCEL_DEPLOY,
    "rollback": IntentName.ROLLBACK,
}
_DOING = {
    "pause": "Pausing {what}: the rollouts stop replacing instances (resume deploy {service} to go on).",
    "resume": "Resuming {what}: the rollouts go on from where they stopped.",
    "cancel": "Cancelling {what}: the rollouts stop where they are (rollback {service} to undo what was replaced).",
}
LAST_SHOWN = 3  # finished deploys shown when none runs
HISTORY_SHOWN = 10

AskRollback = Callable[[Message, str, Intent, DeployRecord], list[Reply]]


class DeployControls:
    def __init__(self, services: Services, ask_rollback: AskRollback) -> None:
        self._s = services
        self._ask_rollback = ask_rollback

    # -- reads -------------------------------------------------------------------------------------------------

    def status(self, msg: Message, intent: Intent) -> Reply:
        try:
            service = self._service(intent.slots)
        except OpsbotError as exc:
            return reply(msg.ref, str(exc), kind="error")
        book = self._s.deploys
        if intent.slots.period == "today":
            midnight = datetime.fromtimestamp(self._s.clock()).replace(hour=0, minute=0, second=0, microsecond=0)
            found = book.history(service, limit=HISTORY_SHOWN * 2, since=midnight.timestamp())
            return reply(msg.ref, history_text(found, service, "today"))
        now = time.time()
        running = [r for r in book.running() if service is None or r.request.service == service]
        of = f" of {service}" if service else ""
        if running:
            head = f"{len(running)} deploy{'s' if len(running) != 1 else ''}{of} running:"
            return reply(msg.ref, "\n".join([head, *(status_line(r, now) for r in running)]))
        last = book.history(service, limit=LAST_SHOWN)
        if not last:
            return reply(msg.ref, f"No deploy{of} running, and none before. For example: deploy web v2.4 to staging")
        return reply(msg.ref, "\n".join([f"No deploy{of} running. The last:", *(history_line(r) for r in last)]))

    def history(self, msg: Message, intent: Intent) -> Reply:
        try:
            service = self._service(intent.slots)
        except OpsbotError as exc:
            return reply(msg.ref, str(exc), kind="error")
        return reply(msg.ref, history_text(self._s.deploys.history(service, limit=HISTORY_SHOWN), service))

    def _service(self, slots: Slots) -> str | None:
        if slots.target is None:
            return None
        found = find_service(self._s.manifest, slots.target)
        if found is None:
            raise OpsbotError(f"No service or group {echo(slots.target)} in the release manifest.")
        return found[0]

    # -- pause, resume, cancel ---------------------------------------------------------------------------------

    def control(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        """ "pause deploy web": the running deploy of that service (where it runs, if it runs in one place)."""
        action = CONTROLS[intent.name]
        try:
            running, of = self._running(intent.slots)
            service = self._service(intent.slots)
        except OpsbotError as exc:
            return [reply(msg.ref, str(exc), kind="error")]
        if not running:  # news, not an error: what ran last, so "cancel deploy web" after it ended says where it is
            last = self._s.deploys.history(service, limit=1)
            then = f" The last: {history_line(last[0])}" if last else ""
            return [reply(msg.ref, f"No deploy{of} is running.{then}")]
        if len(running) > 1:
            names = ", ".join(f"{r.request.service} in {r.request.environment}" for r in running[:4])
            return [reply(msg.ref, f"Several deploys{of} run ({names}): say which, e.g. {action} deploy web in prod",
                          kind="error")]  # fmt: skip
        return [self._act(msg, user, running[0], action)]

    def press(self, msg: Message, user: str, arg: str) -> list[Reply]:
        """A progress message's button, "pause:12" ... "rollback:12" (its policy already passed)."""
        action, _, number = arg.partition(":")
        record = self._s.deploys.get(int(number)) if number.isdigit() else None
        if record is None or action not in BUTTON_INTENTS:
            return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]
        if action == "rollback":
            request = record.request
            said = f"rollback {request.service} in {request.environment}"
            slots = Slots(target=request.service, environment=request.environment)
            return self._ask_rollback(
                msg, user, Intent(name=IntentName.ROLLBACK, confidence=1.0, text=said, slots=slots), record
            )
        return [self._act(msg, user, record, CONTROLS[BUTTON_INTENTS[action]])]

    def _running(self, slots: Slots) -> tuple[list[DeployRecord], str]:
        """The running deploys the words name, and how to name them in a reply (" of web in prod")."""
        service = self._service(slots)
        env = slots.environment
        if service is not None and slots.target is not None:
            found = find_service(self._s.manifest, slots.target)
            env = env or (found[1] if found else None)
        running = [
            r for r in self._s.deploys.running()
            if (service is None or r.request.service == service) and (env is None or r.request.environment == env)
        ]  # fmt: skip
        of = " of " + " in ".join(x for x in (service, env) if x) if service or env else ""
        return running, of

    def _act(self, msg: Message, user: str, record: DeployRecord, action: Control) -> Reply:
        request = record.request
        what = f"deploy #{record.id} ({request.service} {request.version} to {request.environment})"
        refusal = None
        if record.finished:
            refusal = f"{what[:1].upper()}{what[1:]} already finished ({record.state.replace('_', ' ')})."
        elif action == "resume" and record.state != "paused":
            refusal = f"{what[:1].upper()}{what[1:]} is not paused ({record.state.replace('_', ' ')})."
        elif action == "pause" and record.state == "paused":
            refusal = f"{what[:1].upper()}{what[1:]} is paused already: resume deploy {request.service} to go on."
        params: dict[str, JsonScalar] = {
            "deploy": record.id,
            "action": action,
            "service": request.service,
            "environment": request.environment,
        }
        if refusal is not None:
            self._s.audit.note(AuditEvent.REFUSED, actor=user, where=where(msg.ref), what=f"{action} {what}",
                               params=params, outcome=refusal)  # fmt: skip
            recorded()
            return reply(msg.ref, refusal, kind="refusal")
        job_id = enqueue_control(self._s.workers, record.id, action, user)
        self._s.audit.append(AuditEvent.ENQUEUED, actor=user, where=where(msg.ref), what=f"{action} {what}",
                             params=params, outcome=f"job {job_id}")  # fmt: skip
        recorded()
        return reply(msg.ref, _DOING[action].format(what=what, service=request.service), kind="progress")
