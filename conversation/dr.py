"""Failover, failback and drills from chat, and "dr status". A failover of a group a runbook protects (or any failback)
is previewed whole - each step, what it changes, how long it should take, how primary and standby stand now and where
DNS points - and asked for approval the way any critical change is (a second admin, the plan inside the card). The
approval starts the run: its confirmation message becomes the run's live checklist, which the workers edit. A drill
is the failover runbook run dry, confirmed by whoever asked. A failover nothing protects stays the plain failover
action (conversation.changes)."""

from __future__ import annotations

from typing import Literal

from actions.deploy.model import DeployRecord
from actions.dr.model import RunbookRequest
from actions.dr.runs import RunBusy
from actions.provider import Resource
from audit.log import AuditEvent
from conversation import dr_checks, dr_status
from conversation.changes import STANDBY_WORDS
from conversation.confirmations import Pending, RunbookAbort, request_params
from conversation.dr_controls import WORDS, RunControls
from conversation.dr_text import dns_words, health_of, preview_text
from conversation.outcome import recorded
from conversation.replies import clock, edit, new_key, not_found, reply, where
from conversation.services import Services
from core.broadcast import incident_refs
from core.durations import span
from core.errors import OpsbotError, ProviderError
from core.models import ActionName, ActionRequest, Button, Intent, IntentName, Message, Reply, Risk
from policies.engine import Decision, PolicyRequest
from policies.runbook_model import Precondition, Runbook
from policies.runbooks import find_runbook, runbook_hash
from workers.runbook_checklist import checklist_buttons, checklist_text
from workers.runbook_jobs import start_run

_TITLES = {"failover": "Failover", "failback": "Failback"}
Kind = Literal["failover", "failback"]
# What DrFlow.handle answers once the policy passed (a failover and a failback are changes: DrFlow.ask).
DR_INTENTS = frozenset({IntentName.DR_DRILL, IntentName.DR_STATUS, *WORDS})


class DrFlow:
    def __init__(self, services: Services) -> None:
        self._s = services
        self.controls = RunControls(services)

    def handle(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        """DR_DRILL, DR_STATUS and the words that pause, resume or abort a run (the policy passed in core)."""
        if intent.name is IntentName.DR_STATUS:
            return [self.status(msg)]
        if intent.name is IntentName.DR_DRILL:
            return self.ask(msg, user, intent)
        return self.controls.words(msg, user, intent)

    def confirmed(self, msg: Message, user: str, pending: Pending) -> list[Reply]:
        """A confirmation conversation.approvals let through: a run to start, or an abort."""
        if isinstance(pending.request, RunbookAbort):
            return self.controls.abort(msg, user, pending)
        return self.start(msg, user, pending)

    def protecting(self, intent: Intent) -> Runbook | None:
        """The failover runbook of the group a failover names, if one protects it and the destination (if said)
        is its standby; else None, and the plain failover action answers (its refusal of another place too)."""
        phrase = intent.slots.target
        if phrase is None:
            return None
        try:
            runbook = self._runbook("failover", phrase)
        except OpsbotError:
            return None  # a broken runbook folder: the plain failover still works; "dr status" says what is wrong
        destination = (intent.slots.destination or "").lower()
        if runbook is None or not destination or destination in STANDBY_WORDS:
            return runbook
        standby = self._s.index(self._s.provider.snapshot()).by_name.get(runbook.standby)
        places = (standby.environment, standby.cloud.value, standby.name, standby.region) if standby else ()
        return runbook if destination in places else None

    # -- asking ----------------------------------------------------------------------------------------------------

    def ask(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        """FAILOVER (a protected group), FAILBACK or DR_DRILL: the preview and its approval card."""
        kind: Kind = "failback" if intent.name is IntentName.FAILBACK else "failover"
        phrase = intent.slots.target
        if phrase is None:
            examples = {"failover": "fail over web-prod", "failback": "fail back web-prod"}
            verb = "dr drill web-prod" if intent.name is IntentName.DR_DRILL else examples[kind]
            return [reply(msg.ref, f"Which service? For example: {verb}", kind="error")]
        try:
            runbook = self._runbook(kind, phrase)
        except OpsbotError as exc:
            return [reply(msg.ref, str(exc), kind="error")]
        if runbook is None:
            return [reply(msg.ref, f"No {kind} runbook protects {phrase[:60]} (dr status lists what is protected).",
                          kind="error")]  # fmt: skip
        drill = intent.name is IntentName.DR_DRILL
        busy = self._s.runs.busy(runbook.service)
        if busy is not None:
            return [reply(msg.ref, busy, kind="refusal")]
        index = self._s.index(self._s.provider.snapshot())
        primary, standby = index.by_name.get(runbook.primary), index.by_name.get(runbook.standby)
        if primary is None or standby is None:
            missing = runbook.primary if primary is None else runbook.standby
            return [reply(msg.ref, f"{missing} is not in the inventory: runbook {runbook.name} cannot run.",
                          kind="error")]  # fmt: skip
        pointing, problem = dr_status.read_dns(self._s, runbook)
        lag = dr_checks.lag_of(runbook)
        facts = dr_checks.Facts(primary, standby, pointing, problem, self._deploys(runbook), lag)
        failed = dr_checks.failures(runbook, facts)
        request = RunbookRequest(
            runbook=runbook.name, runbook_hash=runbook_hash(runbook), kind="drill" if drill else "run",
            service=runbook.service, primary=runbook.primary, standby=runbook.standby,
            primary_size=primary.count or 0, standby_size=standby.count or 0,
            dns_pointing=pointing[0] if pointing else None, requested_by=user,
            preconditions_failed="; ".join(failed) if drill and failed else None,
        )  # fmt: skip
        head, decision = self._head(msg, user, runbook, request, primary, standby)
        refusal = decision.reason if not decision.allowed else None
        if refusal is None and failed and not drill:  # a drill rehearses: its preview shows them instead
            refusal = dr_checks.refusal(runbook, failed)
        if refusal is None and not drill:  # a drill changes nothing: it uses up no change
            refusal = self._s.policy.count_change(user, msg.ref)
        health = (health_of(runbook.primary, index.resources, index.by_name),
                  health_of(runbook.standby, index.resources, index.by_name))  # fmt: skip
        checked = (dr_checks.lag_words(runbook, lag), dr_checks.preview_line(runbook, failed, drill=drill))
        preview = preview_text(head, runbook, request, health, dns_words(runbook, pointing, problem), checked)
        if refusal is not None:
            self._s.audit.note(AuditEvent.DENIED, actor=user, where=where(msg.ref), what=head,
                               params=request_params(request), outcome=refusal)  # fmt: skip
            recorded()
            return [reply(msg.ref, refusal, kind="refusal")]
        return [self._card(msg, user, request, preview, decision)]

    def _deploys(self, runbook: Runbook) -> list[DeployRecord]:
        """The deploys running now, when a precondition asks (no Redis read otherwise)."""
        if Precondition.NO_DEPLOY_RUNNING not in runbook.preconditions:
            return []
        return self._s.deploys.running()

    def _head(
        self, msg: Message, user: str, runbook: Runbook, request: RunbookRequest, primary: Resource, standby: Resource
    ) -> tuple[str, Decision]:  # fmt: skip
        """The preview's first line and the policy's decision. A failover is planned as the failover action (the
        same words, cost and effects as without a runbook); a failback and a drill say what they move."""
        if request.kind == "drill":
            decision = Decision(allowed=True, risk=Risk.CHANGE)  # the policy let them drill (core)
            return f"Drill of {runbook.name}: {runbook.title} (dry run)", decision
        action = ActionName.FAILOVER if runbook.kind == "failover" else ActionName.FAILBACK
        change: ActionRequest | None = None
        instances = request.primary_size
        head = (f"{_TITLES[runbook.kind]}: {runbook.title}: {request.primary} {request.primary_size}, "
                f"{request.standby} {request.standby_size} instances")  # fmt: skip
        if action is ActionName.FAILOVER and primary.standby == standby.name:
            change = ActionRequest.on(primary, action, requested_by=user, destination_id=standby.id)
            try:
                plan = self._s.provider.plan(change)
            except ProviderError:
                change = None
            else:
                head, instances = f"Failover: {plan.summary}", plan.instances_affected
        decision = self._s.policy.evaluate(
            PolicyRequest(
                user=user, intent=IntentName(action.value), action=action, environment=primary.environment,
                ref=msg.ref, instances_affected=instances, change=change, target=primary if change else None,
                standby=standby if change else None,
            )
        )  # fmt: skip
        return head, decision

    def _card(self, msg: Message, user: str, request: RunbookRequest, preview: str, decision: Decision) -> Reply:
        key = new_key()
        pending = self._s.confirmations.create(
            request=request, plan_summary=preview, ref=msg.ref, risk=decision.risk,
            approver_role=decision.approver_role, reply_key=key,
        )  # fmt: skip
        critical = decision.approver_role is not None
        event = AuditEvent.APPROVAL_ASKED if critical else AuditEvent.CONFIRMATION_ASKED
        self._s.audit.append(
            event, actor=user, where=where(msg.ref), what=preview.splitlines()[0],
            params={**request_params(request), "code": pending.code, "risk": decision.risk.value,
                    "effect": decision.effect or None},
        )  # fmt: skip
        recorded()
        lasts = span(self._s.confirmations.ttl_seconds)
        if critical:
            role = decision.approver_role or "admin"
            why = f" ({decision.effect})" if decision.effect else ""
            ask = (f"{decision.risk.value.capitalize()}{why}: needs approval by an {role} other than {user}. "
                   f"Expires in {lasts}. Code {pending.code}")  # fmt: skip
            confirm = Button(id=f"confirm:{pending.code}", label=f"Approve ({role})", style="danger")
        else:
            ask = f"Confirm within {lasts}. Code {pending.code}"
            confirm = Button(id=f"confirm:{pending.code}", label="Confirm", style="primary")
        buttons = (confirm, Button(id=f"cancel:{pending.code}", label="Cancel"))
        return Reply(ref=msg.ref, key=key, text=f"{preview}\n{ask}", buttons=buttons, kind="confirm")

    # -- starting ----------------------------------------------------------------------------------------------------

    def start(self, msg: Message, user: str, pending: Pending) -> list[Reply]:
        """An approved run: still the runbook and the sizes the preview showed, then recorded (one run per service)
        and handed to the watcher; the confirmation message becomes its checklist."""
        request = pending.request
        assert isinstance(request, RunbookRequest)
        runbook, moved = self._moved(request)
        if moved is not None or runbook is None:
            why = moved or f"runbook {request.runbook} is gone."
            self._s.confirmations.close(pending, "cancelled", "system")
            self._record(AuditEvent.REFUSED, user, msg, pending, f"changed since asked: {why}")
            return [
                edit(pending.ref, pending.reply_key, f"Not run: changed since asked.\n{pending.plan_summary}"),
                reply(msg.ref, f"{why} Nothing was started: ask again.", kind="refusal"),
            ]
        if self._s.confirmations.close(pending, "confirmed", user) is None:
            return [reply(msg.ref, "That request was settled a moment ago: nothing more was started.", kind="refusal")]
        critical = pending.approver_role is not None
        channels = tuple(incident_refs(list(self._s.settings.incident_channels)))
        try:
            run = self._s.runs.create(request, pending.ref, pending.reply_key, user if critical else None, channels,
                                      steps=len(runbook.steps))  # fmt: skip
        except RunBusy as exc:
            self._record(AuditEvent.REFUSED, user, msg, pending, str(exc))
            return [
                edit(pending.ref, pending.reply_key, f"Not run: {exc}\n{pending.plan_summary}"),
                reply(msg.ref, f"{exc} Nothing was started.", kind="refusal"),
            ]
        self._record(AuditEvent.CONFIRMED, user, msg, pending, f"run {run.id}")
        head = f"{'Approved' if critical else 'Confirmed'} by {user} {clock()} - running."
        # Through the outbox, ahead of the watcher's edits, so no channel shows them out of order.
        self._s.workers.outbox.publish(
            Reply(ref=pending.ref, key=new_key(), text=f"{head}\n{checklist_text(run, runbook, self._s.clock())}",
                  buttons=checklist_buttons(run, runbook), edit_of=pending.reply_key, kind="progress")
        )  # fmt: skip
        start_run(self._s.workers, run)
        self._record(AuditEvent.ENQUEUED, user, msg, pending, f"run {run.id} started")
        return []

    def _moved(self, request: RunbookRequest) -> tuple[Runbook | None, str | None]:
        """The runbook to run, and a line when it or the groups are no longer what the preview showed."""
        runbook = self._s.runbooks.get(request.runbook)
        if runbook is None:
            return None, f"Runbook {request.runbook} is gone."
        if runbook_hash(runbook) != request.runbook_hash:
            return runbook, f"Runbook {request.runbook} was edited."
        by_name = self._s.index(self._s.provider.snapshot()).by_name
        for name, size in ((request.primary, request.primary_size), (request.standby, request.standby_size)):
            group = by_name.get(name)
            now = (group.count or 0) if group is not None else None
            if now != size:
                return runbook, f"{name} has {now if now is not None else 'no'} instances now, not {size}."
        return runbook, None

    # -- reading -----------------------------------------------------------------------------------------------------

    def status(self, msg: Message) -> Reply:
        return dr_status.status(self._s, msg)

    def _runbook(self, kind: Kind, phrase: str) -> Runbook | None:
        """The runbook of `kind` for what `phrase` names: the service, the primary or the standby, typed or as the
        inventory resolves it ("web prod"). A runbook on the simulated world's DNS (the shipped demo's) is for the
        simulated world only: it never takes over a real account's group that shares its name."""
        runbooks = dr_status.usable(self._s)
        found = find_runbook(runbooks, kind, phrase.strip())
        if found is not None or not runbooks:
            return found
        index = self._s.index(self._s.provider.snapshot())
        resolution = index.resolve(phrase)
        if resolution.match is None:
            if not resolution.candidates:
                return None
            raise ProviderError(not_found(phrase, resolution.candidates))
        return find_runbook(runbooks, kind, index.by_name[resolution.match].name)

    def _record(self, event: AuditEvent, user: str, msg: Message, pending: Pending, outcome: str) -> None:
        params = {**request_params(pending.request), "code": pending.code, "requester": pending.requester}
        self._s.audit.append(event, actor=user, where=where(msg.ref), what=pending.plan_summary.splitlines()[0],
                             params=params, outcome=outcome)  # fmt: skip
        recorded()
