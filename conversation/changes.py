"""Changing intents: resolve the target, build the exact request, plan it, pass policy, ask to confirm."""

from __future__ import annotations

from actions.catalogue import emergency_target, spec
from actions.provider import Plan, Resource
from audit.log import AuditEvent
from conversation.limits import asked_limits, limit_words, offer_label, with_crossed_limit
from conversation.outcome import recorded
from conversation.replies import new_key, not_found, reply, where
from conversation.services import Index, Services
from conversation.targets import Picker
from core.durations import span
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Button, Intent, IntentName, Message, Reply
from policies.engine import Decision, PolicyRequest

_EXAMPLES = {
    IntentName.SCALE: "scale web-prod to 20",
    IntentName.START: "start web-staging",
    IntentName.STOP: "stop web-staging",
    IntentName.RESTART: "restart db-prod",
    IntentName.EMERGENCY_SCALE: "emergency scale web-prod",
    IntentName.SHUTDOWN: "shut down web-staging now",
    IntentName.FAILOVER: "fail over web-prod to dr",
}


class ChangeFlow:
    def __init__(self, services: Services, picker: Picker) -> None:
        self._s = services
        self._picker = picker

    def handle(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        snapshot = self._s.provider.snapshot()
        index = self._s.index(snapshot)
        target = self._target(intent, index)
        if target is None:
            return [reply(msg.ref, f"Which one? For example: {_EXAMPLES[intent.name]}", kind="error")]
        if isinstance(target, list):
            return [self._picker.offer(msg.ref, user, intent, target)]
        if isinstance(target, str):
            return [reply(msg.ref, target, kind="error")]
        try:
            request = self._request(intent, target, index, user)
        except ProviderError as exc:
            return [reply(msg.ref, str(exc), kind="error")]
        try:
            plan = self._s.provider.plan(request)
        except ProviderError as exc:
            return [self._refused(msg, user, intent, request, target, index, str(exc))]
        decision = self._decide(msg, user, intent, request, plan, target, index)
        params = request.model_dump(mode="json")
        # Only a change that is asked to confirm uses up the change limit: not one refused or never found.
        refusal = decision.reason if not decision.allowed else self._s.policy.count_change(user, msg.ref)
        if refusal is not None:
            self._s.audit.note(
                AuditEvent.DENIED, actor=user, where=where(msg.ref), what=plan.summary, params=params,
                outcome=refusal,
            )  # fmt: skip
            recorded()
            return [reply(msg.ref, refusal, kind="refusal")]
        key = new_key()
        pending = self._s.confirmations.create(
            request=request,
            plan_summary=plan.summary,
            ref=msg.ref,
            risk=decision.risk,
            approver_role=decision.approver_role,
            reply_key=key,
        )
        critical = decision.approver_role is not None
        event = AuditEvent.APPROVAL_ASKED if critical else AuditEvent.CONFIRMATION_ASKED
        self._s.audit.append(
            event, actor=user, where=where(msg.ref), what=plan.summary,
            params={**params, "code": pending.code, "risk": decision.risk.value, "effect": decision.effect or None},
        )  # fmt: skip
        recorded()
        lasts = span(self._s.confirmations.ttl_seconds)
        title = spec(request.action).title.capitalize()
        if critical:
            role = decision.approver_role or "admin"
            why = f" ({decision.effect})" if decision.effect else ""
            text = (
                f"{title}: {plan.summary}\n"
                f"{decision.risk.value.capitalize()}{why}: needs approval by an {role} other than {user}. "
                f"Expires in {lasts}. Code {pending.code}"
            )
            confirm = Button(id=f"confirm:{pending.code}", label=f"Approve ({role})", style="danger")
        else:
            text = f"{title}: {plan.summary}\nConfirm within {lasts}. Code {pending.code}"
            confirm = Button(id=f"confirm:{pending.code}", label="Confirm", style="primary")
        buttons = (confirm, Button(id=f"cancel:{pending.code}", label="Cancel"))
        return [
            Reply(ref=msg.ref, key=key, text=text, buttons=buttons, kind="confirm"),
        ]

    def _decide(
        self, msg: Message, user: str, intent: Intent, request: ActionRequest, plan: Plan, target: Resource,
        index: Index,
    ) -> Decision:  # fmt: skip
        return self._s.policy.evaluate(
            PolicyRequest(
                user=user,
                intent=intent.name,
                action=request.action,
                environment=target.environment,
                ref=msg.ref,
                instances_affected=plan.instances_affected,
                scale_down=request.desired_count is not None and request.desired_count < (target.count or 0),
                change=request,
                target=target,
                standby=index.by_name.get(target.standby or "") if request.action is ActionName.FAILOVER else None,
            )
        )

    def _refused(
        self, msg: Message, user: str, intent: Intent, request: ActionRequest, target: Resource, index: Index,
        line: str,
    ) -> Reply:  # fmt: skip
        """The one line why the plan cannot be made. Under a scale past a limit that the cloud changes with the
        scale, a button asking for that change too, when the policy would let this user ask for it: it leads to
        the same confirmation as the words ("scale web-prod to 20 and raise the max")."""
        raised = with_crossed_limit(request, target)
        if raised is None:
            return reply(msg.ref, line, kind="error")
        try:
            plan = self._s.provider.plan(raised)
        except ProviderError:  # past what any limit allows: the line says enough
            return reply(msg.ref, line, kind="error")
        decision = self._decide(msg, user, intent, raised, plan, target, index)
        if not decision.allowed:
            return reply(msg.ref, line, kind="error")
        update = {"target": target.id, "count": raised.desired_count, "delta": None, "limit": limit_words(raised)}
        again = intent.model_copy(update={"slots": intent.slots.model_copy(update={**update, "limit_count": None})})
        button = self._picker.bind(msg.ref, user, again, offer_label(raised, decision.approver_role))
        return reply(msg.ref, line, kind="error", buttons=(button,))

    def _target(self, intent: Intent, index: Index) -> Resource | list[str] | str | None:
        """The resource, candidates to pick from, a one-line problem, or None when no target was named."""
        phrase = intent.slots.target
        if phrase is None and intent.name is IntentName.FAILOVER:
            return _failover_source(intent, index)
        if phrase is None:
            return None
        resolution = index.resolve(phrase)
        if resolution.match is not None:
            return index.by_name[resolution.match]
        if resolution.candidates:
            return list(resolution.candidates)
        return not_found(phrase, ())

    def _request(self, intent: Intent, target: Resource, index: Index, user: str) -> ActionRequest:
        action = ActionName(intent.name.value)
        desired: int | None = None
        new_min: int | None = None
        new_max: int | None = None
        destination: str | None = None
        current = target.count or 0
        if action is ActionName.SCALE:
            if intent.slots.count is not None:
                desired = intent.slots.count
            elif intent.slots.delta is not None:
                desired = current + intent.slots.delta
            else:
                raise ProviderError(f"Scale {target.name} to how many? For example: scale {target.name} to 20")
            new_min, new_max = asked_limits(intent, target, desired)
        elif action is ActionName.EMERGENCY_SCALE:
            desired = max(intent.slots.count or 0, emergency_target(current))
        elif action is ActionName.FAILOVER:
            destination = _standby_id(target, intent, index)
        return ActionRequest.on(
            target, action, requested_by=user, desired_count=desired, destination_id=destination,
            new_min_count=new_min, new_max_count=new_max,
        )  # fmt: skip


def _failover_source(intent: Intent, index: Index) -> Resource | str | None:
    """ "fail over to azure": the one resource whose standby lives there, if exactly one."""
    dest = (intent.slots.destination or "").lower()
    if not dest:
        return None
    sources = [
        r for r in index.resources
        if r.standby is not None and r.standby in index.by_name and _matches(index.by_name[r.standby], dest)
    ]  # fmt: skip
    if len(sources) == 1:
        return sources[0]
    if not sources:
        return f"Nothing has a standby in {dest}. Say which: fail over web-prod to dr"
    names = ", ".join(sorted(r.name for r in sources)[:5])
    return f"Several could fail over to {dest} ({names}). Say which: fail over web-prod to dr"


# Words for "this group's standby, wherever it is": a configured account's standby may live in any environment.
STANDBY_WORDS = frozenset({"dr", "standby", "the standby", "its standby", "secondary", "the secondary"})


def _matches(standby: Resource, destination: str) -> bool:
    """Whether `destination` names `standby`: by what it is (the DR standby), its environment, cloud, name or region.
    Another place ("azure" for a standby in AWS) does not."""
    if destination in STANDBY_WORDS:
        return True
    return destination in (standby.environment, standby.cloud.value, standby.name, standby.region)


def _standby_id(target: Resource, intent: Intent, index: Index) -> str:
    standby = index.by_name.get(target.standby or "")
    if standby is None:
        raise ProviderError(f"{target.name} has no DR standby to fail over to.")
    dest = (intent.slots.destination or "").lower()
    if dest and not _matches(standby, dest):
        raise ProviderError(
            f"{target.name} fails over to {standby.name} ({standby.cloud.value} {standby.region}), not to {dest}."
        )
    return standby.id
