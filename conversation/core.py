"""The channel-neutral conversation core: one Message in, the Replies to show now out. Long work goes
to the queue; its progress comes back through the outbox. Slack, Telegram and the console all call
`Conversation.handle` and only render and transport what it returns."""

from __future__ import annotations

import logging
import time

import redis

from actions import queries
from audit.log import AuditEvent, JsonScalar
from conversation import outcome
from conversation.alerts import BUTTON_INTENTS, AlertFlow
from conversation.approvals import Approvals
from conversation.changes import ChangeFlow
from conversation.cost_changes import CostChanges
from conversation.costs import CostFlow
from conversation.dashboard_link import answer as dashboard_link
from conversation.dashboard_link import web_sessions
from conversation.deploy_controls import BUTTON_INTENTS as DEPLOY_BUTTONS
from conversation.deploy_controls import CONTROLS as DEPLOY_CONTROLS
from conversation.deploy_controls import DeployControls
from conversation.deploy_start import DeployStarter
from conversation.deploys import DeployFlow
from conversation.dr import DR_INTENTS, DrFlow
from conversation.dr_controls import BUTTON_INTENTS as RUNBOOK_BUTTONS
from conversation.gate import InboundGate
from conversation.incidents import IncidentFlow
from conversation.metrics import MetricFlow
from conversation.reads import ReadFlow
from conversation.replies import reply, where
from conversation.services import Services
from conversation.targets import Picker
from conversation.voice import VoiceFlow
from conversation.watches import Watches
from core import metrics
from core.errors import OpsbotError
from core.models import CHANGING_INTENTS, Intent, IntentName, Message, Reply
from core.redaction import redact_text
from intents.help import hint
from intents.parser import parse
from policies.engine import PolicyRequest
from voice.pipeline import VoicePipeline, spoken_names

log = logging.getLogger(__name__)

COST_READS = frozenset({IntentName.COST, IntentName.FORECAST, IntentName.COST_WHY, IntentName.COST_EXPORT})
ALERT_INTENTS = frozenset(
    {IntentName.ALERTS, IntentName.ACK, IntentName.RESOLVE, IntentName.SILENCE, IntentName.ESCALATE,
     IntentName.ONCALL, IntentName.TAKE_ONCALL}
)  # fmt: skip
INCIDENT_INTENTS = frozenset(
    {IntentName.DECLARE, IntentName.INCIDENT_UPDATE, IntentName.INCIDENT_TIMELINE, IntentName.RESOLVE_INCIDENT}
)


class Conversation:
    def __init__(self, services: Services) -> None:
        self.services = services
        ttl = services.settings.confirm_ttl_seconds
        self._picker = Picker(services.connection, ttl)
        self._changes = ChangeFlow(services, self._picker)
        self._reads = ReadFlow(services)
        self._costs = CostFlow(services, self._reads.estimate)
        self._cost_changes = CostChanges(services, self._costs)
        self._deploys = DeployFlow(services, self._picker)
        self._deploy_runs = DeployControls(services, self._deploys.ask)
        self._dr = DrFlow(services)
        self._incidents = IncidentFlow(services, services.rooms)
        # A budget confirmed: set it; a deploy or rollback confirmed: start it; a runbook run: start or abort it.
        self._approvals = Approvals(
            services, self._cost_changes.apply_budget, DeployStarter(services).start, self._dr.confirmed
        )
        self._alerts = AlertFlow(services.alerts)
        self._metrics = MetricFlow(services, self._picker)
        self.watches = Watches(services, self._metrics.members, self._picker)  # its ticker runs in bot.runtime
        pipeline = VoicePipeline(services.settings, self._spoken_names)
        self._voice = VoiceFlow(pipeline, services)
        settings = services.settings
        self._web = web_sessions(settings, services.connection)
        self._gate = InboundGate(services.connection, services.policy, services.audit, services.workers.outbox)

    def warm_up(self) -> None:
        """Build the name and search indexes (about 100 and 250 ms for 10,000 resources) and the metrics sources now
        rather than in the first message."""
        try:
            snapshot = self.services.provider.snapshot()
            # Search first: its short-lived arrays come and go while the process is smallest (5 MB less at peak).
            queries.prepare(snapshot.resources)
            self.services.index(snapshot)
            self.services.metrics  # noqa: B018  (the sources built now: a monitoring SDK loads in seconds)
        except (OpsbotError, redis.RedisError) as exc:  # the first message will try again, and say why
            log.warning("warm-up skipped: %s", exc)

    def sweep_expired(self, now: float | None = None) -> int:
        """Settle confirmations that ran out of time by `now` (default: the time now), and write the closing record
        of floods that are over (even when their sender never writes again); call every few seconds (bot.runtime)."""
        self._gate.close_floods()
        return self._approvals.sweep(now)

    def handle(self, msg: Message) -> list[Reply]:
        """A typed message, a button press or a slash command. Strangers and floods stop at the gate, before
        anything costly (parsing, the audit) is done with them. Everything past the gate ends in the audit."""
        start = time.perf_counter()
        user = self.services.policy.user_for(msg.ref.channel, msg.sender)
        try:
            if (answer := self._gate.admit(msg, user)) is not None:
                return answer
            self._audit_received(msg, user)
            with outcome.tracking():
                button = msg.button_id
                replies = self._press(msg, user, button) if button is not None else self._text(msg, user)
                self._audit_outcome(msg, user, replies)
            return replies
        finally:
            metrics.observe("reply", time.perf_counter() - start)

    def handle_audio(self, msg: Message, audio: bytes) -> list[Reply]:
        """A voice note: transcribed (in the caller's thread: keep it off the chat path), said back, then handled
        like typed text."""
        start = time.perf_counter()
        user = self.services.policy.user_for(msg.ref.channel, msg.sender)
        try:
            if (answer := self._gate.admit(msg, user)) is not None:  # before seconds of recognition
                return answer
            self._audit_received(msg, user, audio_bytes=len(audio))
            with outcome.tracking():
                replies = self._voice.handle(msg, user, audio, self.dispatch)
                self._audit_outcome(msg, user, replies)
            return replies
        finally:
            metrics.observe("voice", time.perf_counter() - start)

    @property
    def voice(self) -> VoicePipeline:
        return self._voice.pipeline

    def _spoken_names(self) -> list[str]:
        return spoken_names(self.services.index(self.services.provider.snapshot()).resources)

    def _text(self, msg: Message, user: str) -> list[Reply]:
        limit = self.services.settings.max_message_chars
        if len(msg.text) > limit:
            return [reply(msg.ref, f"That message is too long ({len(msg.text):,} characters; limit {limit:,}).",
                          kind="refusal")]  # fmt: skip
        with metrics.timed("parse"):
            intent = parse(redact_text(msg.text))  # a pasted credential never reaches a slot or the audit
        return self.dispatch(msg, user, intent)

    def dispatch(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        """Handle an already-parsed intent (text, a picked button, or a voice transcript)."""
        self._audit_parsed(msg, user, intent)
        name = intent.name
        if name is IntentName.CONFIRM:
            pending = self._approvals.find(msg.ref, intent.slots.code)
            return self._approvals.confirm(msg, user, pending, intent.slots.code)
        if name is IntentName.CANCEL:
            pending = self._approvals.find(msg.ref, intent.slots.code)
            return self._approvals.cancel(msg, user, pending, intent.slots.code)
        if name is IntentName.UNKNOWN:
            return [reply(msg.ref, hint(intent.slots.topic, intent.text))]
        if name is IntentName.DASHBOARD:  # any known user; the dashboard applies their role to what it shows
            url = self.services.settings.public_url
            return dashboard_link(msg, user, str(url) if url is not None else None, self._web)
        if name in (IntentName.DEPLOY, IntentName.ROLLBACK):  # changes with their own request (DeployRequest)
            return self._deploys.ask(msg, user, intent)
        if name is IntentName.FAILBACK or (name is IntentName.FAILOVER and self._dr.protecting(intent) is not None):
            return self._dr.ask(msg, user, intent)  # a runbook: previewed whole, approved, run step by step
        if name in CHANGING_INTENTS:
            return self._changes.handle(msg, user, intent)
        with metrics.timed("policy"):
            decision = self.services.policy.evaluate(
                PolicyRequest(user=user, intent=name, environment=intent.slots.environment, ref=msg.ref)
            )
        if not decision.allowed:
            self.services.audit.note(
                AuditEvent.DENIED, actor=user, where=where(msg.ref), what=msg.text[:200], outcome=decision.reason
            )
            outcome.recorded()
            return [reply(msg.ref, decision.reason, kind="refusal")]
        if name in ALERT_INTENTS:
            return self._alerts.handle(msg, user, intent)
        if name in DR_INTENTS:
            return self._dr.handle(msg, user, intent)
        if name in INCIDENT_INTENTS:
            return self._incidents.handle(msg, user, intent)
        if name is IntentName.DEPLOY_STATUS:
            return [self._deploy_runs.status(msg, intent)]
        if name is IntentName.DEPLOY_HISTORY:
            return [self._deploy_runs.history(msg, intent)]
        if name in DEPLOY_CONTROLS:
            return self._deploy_runs.control(msg, user, intent)
        if name in COST_READS:
            return self._costs.handle(msg, intent)
        if name is IntentName.SAVINGS:
            return [self._cost_changes.savings(msg, intent.slots)]
        if name is IntentName.BUDGET:
            return [self._cost_changes.budgets(msg, intent.slots)]
        if name is IntentName.SET_BUDGET:
            return [self._cost_changes.ask_budget(msg, user, intent.slots)]
        if name in (IntentName.METRIC, IntentName.WATCH):
            try:
                if name is IntentName.METRIC:
                    return self._metrics.handle(msg, user, intent)
                return self.watches.start(msg, user, intent)
            except OpsbotError as exc:
                return [reply(msg.ref, str(exc), kind="error")]
        return self._reads.handle(msg, user, intent)

    def _press(self, msg: Message, user: str, button_id: str) -> list[Reply]:
        kind, _, arg = button_id.partition(":")
        if kind in ("confirm", "cancel"):
            pending = self.services.confirmations.get(arg) if arg else None
            if kind == "confirm":
                return self._approvals.confirm(msg, user, pending, arg)
            return self._approvals.cancel(msg, user, pending, arg)
        if kind == "heard":
            return self._voice.answer(msg, user, arg, self.dispatch)
        if kind == "more":
            return [self._reads.more(msg, arg)]
        if kind == "alert":
            return self._alert_button(msg, user, arg)
        if kind == "alerts":  # a digest's "List alerts"
            return self.dispatch(msg, user, Intent(name=IntentName.ALERTS, confidence=1.0, text="alerts"))
        if kind == "graph":  # an alert card's Graph: a metrics question about the alert's resource
            refused = self._refused(msg, user, IntentName.METRIC, f"graph {arg}")
            if refused is not None or not arg.isdigit():
                return refused or [reply(msg.ref, "That button is no longer valid.", kind="refusal")]
            return self._metrics.graph(msg, int(arg))
        if kind == "saving":  # a savings card's button: its change asked for as if typed (policy, confirmation)
            change = self._cost_changes.pressed(arg)
            if change is None:
                return [reply(msg.ref, "That saving is no longer offered: ask again (what can we cut).")]
            return self.dispatch(msg, user, change)
        if kind == "deploy":  # a progress message's Pause, Resume, Cancel, Rollback
            return self._deploy_button(msg, user, arg)
        if kind == "runbook":  # a checklist's tick, Pause, Resume, Abort
            return self._runbook_button(msg, user, arg)
        if kind == "watch-stop":
            return self.watches.stop(msg, user, arg)
        if kind == "pick":
            intent = self._picker.take(msg.ref, user, arg)
            if intent is None:
                return [reply(msg.ref, "Nothing picked: ask again with the full name.")]
            return self.dispatch(msg, user, intent)
        return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]

    def _alert_button(self, msg: Message, user: str, arg: str) -> list[Reply]:
        action, _, number = arg.partition(":")
        name = BUTTON_INTENTS.get(action)
        if name is None or not number.isdigit():
            return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]
        refused = self._refused(msg, user, name, f"{action} {number}")
        if refused is not None:
            return refused
        return [reply(msg.ref, self._alerts.act(name, int(number), user, msg.ref.channel), kind="result")]

    def _deploy_button(self, msg: Message, user: str, arg: str) -> list[Reply]:
        action, _, number = arg.partition(":")
        name = DEPLOY_BUTTONS.get(action)
        if name is None:
            return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]
        if name is not IntentName.ROLLBACK:  # a rollback passes the policy as the change it asks for
            refused = self._refused(msg, user, name, f"{action} deploy {number}")
            if refused is not None:
                return refused
        return self._deploy_runs.press(msg, user, arg)

    def _runbook_button(self, msg: Message, user: str, arg: str) -> list[Reply]:
        """Pause, Resume and Abort pass the policy as their words would; a tick is for the step's own role."""
        action, _, rest = arg.partition(":")
        name = RUNBOOK_BUTTONS.get(action)
        if name is not None and (refused := self._refused(msg, user, name, f"{action} runbook {rest}")) is not None:
            return refused
        return self._dr.controls.press(msg, user, arg)

    def _refused(self, msg: Message, user: str, name: IntentName, what: str) -> list[Reply] | None:
        """The refusal (audited) when the policy does not let `user` do `name` here; None when it does."""
        decision = self.services.policy.evaluate(PolicyRequest(user=user, intent=name, environment=None, ref=msg.ref))
        if decision.allowed:
            return None
        self.services.audit.note(
            AuditEvent.DENIED, actor=user, where=where(msg.ref), what=what, outcome=decision.reason
        )
        outcome.recorded()
        return [reply(msg.ref, decision.reason, kind="refusal")]

    def _audit_received(self, msg: Message, user: str, audio_bytes: int | None = None) -> None:
        params: dict[str, JsonScalar] = {"sender": msg.sender, "chars": len(msg.text)}
        if audio_bytes is not None:
            params["audio_bytes"] = audio_bytes
        if msg.button_id:
            params["button"] = msg.button_id[:80]
        self.services.audit.note(
            AuditEvent.RECEIVED, actor=user, where=where(msg.ref), what=msg.text[:200], params=params
        )

    def _audit_outcome(self, msg: Message, user: str, replies: list[Reply]) -> None:
        """The closing record of a message whose flow wrote none: refused with its line, or what it was told."""
        if outcome.settled():
            return
        event, line, kind = outcome.closing(replies)
        self.services.audit.note(
            event, actor=user, where=where(msg.ref), what=msg.text[:200], params={"reply": kind}, outcome=line
        )

    def _audit_parsed(self, msg: Message, user: str, intent: Intent) -> None:
        params: dict[str, JsonScalar] = {"intent": intent.name.value, "confidence": round(intent.confidence, 3)}
        params.update({f"slot_{k}": v for k, v in intent.slots.present().items() if isinstance(v, str | int)})
        self.services.audit.note(
            AuditEvent.PARSED, actor=user, where=where(msg.ref), what=intent.name.value, params=params
        )
