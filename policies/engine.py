"""Deciding whether a command may run. Every request passes the same visible chain of small checks, in
order; the first refusal wins and says in one plain line who is refused and what would be needed. A
request that passes them all leaves with its risk and, when the risk needs one, the approver's role. A change's
risk is the higher of its action's (catalogue and `risk:`) and its effects' (`effects:`, from the plan)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from actions.provider import Resource
from core.errors import ConfigError
from core.models import CHANGING_INTENTS, ActionName, ActionRequest, ConversationRef, Frozen, IntentName, Risk
from policies.effects import Found, effects_of
from policies.model import ANY, ConversationRule, Policy, RateLimit
from policies.ratelimit import RateLimiter
from policies.references import find_problems
from policies.roles import RoleBook, Subject
from policies.vocabulary import base_risk, verb, verb_ing


class PolicyRequest(Frozen):
    user: str  # opsbot user name, from PolicyEngine.user_for
    intent: IntentName
    action: ActionName | None = None
    environment: str | None = None  # of the resource acted on; a changing request should always carry it
    ref: ConversationRef
    instances_affected: int = 0  # from the action's Plan, for blast-radius limits
    scale_down: bool = False  # a scale that leaves fewer instances than before
    # The exact change and its target as planned (and a failover's standby): what decides its effects.
    change: ActionRequest | None = None
    target: Resource | None = None
    standby: Resource | None = None


class Decision(Frozen):
    allowed: bool
    reason: str = ""  # one line when refused: "dave is a viewer: scaling needs operator"
    risk: Risk = Risk.READ
    approver_role: str | None = None  # a different person holding this role must approve first
    effect: str = ""  # what the change does, when that sets its risk: "capacity to zero in prod"


_RANK = {Risk.READ: 0, Risk.CHANGE: 1, Risk.CRITICAL: 2}


def _listing(words: tuple[str, ...]) -> str:
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def _a(role: str) -> str:
    return f"an {role}" if role[:1].lower() in "aeiou" else f"a {role}"


class Exceeded(NamedTuple):
    """A rate limit that refused: the seconds until one more fits, and the rule."""

    wait: float
    rule: RateLimit


def _too_many(user: str, exceeded: Exceeded | None) -> str | None:
    if exceeded is None:
        return None
    return f"{user}: too many {exceeded.rule.counts}, try again in {math.ceil(exceeded.wait)} s"


Check = Callable[[PolicyRequest], str | None]  # a refusal line, or None to pass the request on


class PolicyEngine:
    def __init__(self, policy: Policy, limiter: RateLimiter | None = None) -> None:
        """`limiter` None: rate limits are not enforced (single-process tools, tests of other rules)."""
        problems = [f"{'.'.join(map(str, loc))}: {what}" for loc, what in find_problems(policy)]
        if problems:
            raise ConfigError("invalid policy", problems)
        self.policy = policy
        self._roles = RoleBook(policy)
        self._limiter = limiter
        self._identities = {ident: name for name, user in policy.users.items() for ident in user.identities}
        self.chain: tuple[Check, ...] = (self._conversation, self._permission, self._rate_limit, self._blast_radius)

    def user_for(self, channel: str, sender: str) -> str:
        """The opsbot user behind a platform sender. On the console the sender is the name; an unknown
        sender keeps its platform identity ("slack:U999"), so it is told apart (and told how to be added)."""
        if channel == "console":
            return sender
        # The phone dashboard (bot/web) speaks for the platform identity its session proved ("telegram:123"); a
        # "console:NAME" session comes from a link only the local CLI makes (`opsbot dashboard --user NAME`).
        if channel == "app" and sender.startswith("console:"):
            return sender.removeprefix("console:")
        identity = sender if channel == "app" else f"{channel}:{sender}"
        return self._identities.get(identity, identity)

    def role_of(self, user: str, ref: ConversationRef | None = None) -> str | None:
        """The role of a listed user. Someone not listed gets the role the conversation `ref` opens to its
        members, if its rule says so, else `default_role`; None means a stranger, who may read nothing."""
        known = self.policy.users.get(user)
        if known is not None:
            return known.role
        rule = self._conversation_rule(ref) if ref is not None else None
        if rule is not None and rule.members is not None:
            return rule.members
        return self.policy.default_role

    def holds(self, user: str, role: str, ref: ConversationRef | None = None) -> bool:
        """Whether `user`'s role is `role` or inherits from it ("may an admin cancel this?")."""
        own = self.role_of(user, ref)
        return own is not None and self._roles.holds(own, role)

    def admins(self) -> tuple[str, ...]:
        """Who is told about strangers and named to them: the users who may approve critical actions (the
        approvals role, or those inheriting it), or, with no such rule, the holders of the highest role."""
        top = self.policy.approvals.get(Risk.CRITICAL) or list(self.policy.roles)[-1]
        return tuple(name for name, user in self.policy.users.items() if self._roles.holds(user.role, top))

    def identity_on(self, user: str, channel: str) -> str | None:
        """`user`'s id on `channel` ("U345CDE" on Slack), for a direct message; None if they have none there."""
        known = self.policy.users.get(user)
        prefix = f"{channel}:"
        ids = [ident.removeprefix(prefix) for ident in known.identities if ident.startswith(prefix)] if known else []
        return ids[0] if ids else None

    def evaluate(self, request: PolicyRequest) -> Decision:
        for check in self.chain:
            refusal = check(request)
            if refusal is not None:
                return Decision(allowed=False, reason=refusal)
        return self._risk(request)

    def may_approve(self, approver: str, requester: str, risk: Risk) -> Decision:
        required = self.policy.approvals.get(risk)
        if required is None:
            return Decision(allowed=True, risk=risk)
        if approver == requester:
            return Decision(allowed=False, reason=f"{approver} asked for this: another {required} must approve it")
        if not self.holds(approver, required):
            role = self.role_of(approver)  # approving is personal: a conversation's members never approve
            who = f"is {_a(role)}" if role is not None else "is not on opsbot's list"
            return Decision(allowed=False, reason=f"{approver} {who}: approving needs {required}")
        return Decision(allowed=True, risk=risk, approver_role=required)

    # The chain, in order.

    def _conversation(self, request: PolicyRequest) -> str | None:
        rule = self._conversation_rule(request.ref)
        if rule is None:
            return None
        name = rule.name or "This conversation"
        action = _action_of(request)
        if action is not None and rule.read_only:
            return f"{name} is read-only for opsbot"
        if action is not None and action not in rule.actions:
            return f"{name} does not allow {verb_ing(action)}"
        env = request.environment
        if env is not None and ANY not in rule.environments and env not in rule.environments:
            return f"{name} is for {_listing(rule.environments)} only, not {env}"
        return None

    def _permission(self, request: PolicyRequest) -> str | None:
        role = self.role_of(request.user, request.ref)
        if role is None:  # the inbound gate answers strangers first; this keeps any other way in shut
            return f"{request.user} is not on opsbot's list"
        subject: Subject = _action_of(request) or request.intent
        env = request.environment
        if self._roles.permits(role, subject, env):
            return None
        doing = verb_ing(subject)
        if env is not None and self._roles.permits_somewhere(role, subject):
            doing += f" in {env}"
        needed = self._roles.lowest_permitting(subject, env)
        if needed is None:
            return f"{request.user} is {_a(role)}: {doing} is not allowed to anyone"
        return f"{request.user} is {_a(role)}: {doing} needs {needed}"

    def count_message(self, user: str, ref: ConversationRef) -> Exceeded | None:
        """Count one inbound message (text, button, voice note or slash command) against `user`'s message
        limits, before anything else is done with it. None while within them; else how long until one more
        fits, and the rule it broke (a refused message is not counted, so hammering does not lengthen that)."""
        return self._exceeded(user, self.role_of(user, ref), "messages", record=True)

    def count_change(self, user: str, ref: ConversationRef | None = None) -> str | None:
        """Count one change against `user`'s change limits, when it is about to be asked to confirm (the chain
        only checks them: a change refused later, or never asked, does not use up the limit). A refusal line
        if another process took the last slot in the meantime."""
        return _too_many(user, self._exceeded(user, self.role_of(user, ref), "changes", record=True))

    def _rate_limit(self, request: PolicyRequest) -> str | None:
        """Changes only, and only looked at: messages were counted as they came in (`count_message`), and a
        change is counted when it is asked to confirm (`count_change`)."""
        if _action_of(request) is None:
            return None
        role = self.role_of(request.user, request.ref)
        return _too_many(request.user, self._exceeded(request.user, role, "changes", record=False))

    def _exceeded(self, user: str, role: str | None, counts: str, record: bool) -> Exceeded | None:
        if self._limiter is None:
            return None
        for index, rule in enumerate(self.policy.rate_limits):
            if rule.counts != counts or not rule.applies_to(user, role):
                continue
            key = f"{index}:{rule.counts}:{user}"
            check = self._limiter.hit if record else self._limiter.peek
            wait = check(key, rule.limit, rule.per_seconds)
            if wait is not None:
                return Exceeded(wait=wait, rule=rule)
        return None

    def _blast_radius(self, request: PolicyRequest) -> str | None:
        action = _action_of(request)
        if action is None:
            return None
        role = self.role_of(request.user, request.ref)
        for rule in self.policy.blast_radius:
            if (
                rule.applies_to(request.user, role)
                and rule.measures(action, request.scale_down)
                and request.instances_affected > rule.max_instances
            ):
                doing = verb(action, scale_down=action is ActionName.SCALE and request.scale_down)
                return (
                    f"{request.user} may {doing} at most {rule.max_instances} instances at once"
                    f" (asked {request.instances_affected})"
                )
        return None

    def _risk(self, request: PolicyRequest) -> Decision:
        action = _action_of(request)
        if action is None:
            return Decision(allowed=True)
        overrides = self.policy.risk.get(action, {})
        risk = overrides.get(request.environment or ANY) or overrides.get(ANY) or base_risk(action)
        found = self.effects(request)
        rules = self.policy.effects
        raised = [(r, f) for f in found if (r := rules.risk_of(f.effect, f.environment)) is not None]
        risk = max([risk, *(r for r, _ in raised)], key=_RANK.__getitem__)
        # Named by the first effect that sets the risk; else by the first there is (its action's risk decided).
        named = next((f for r, f in raised if r is risk), found[0] if found else None)
        effect = named.describe(rules.scale_down_below) if named is not None else ""
        return Decision(allowed=True, risk=risk, approver_role=self.policy.approvals.get(risk), effect=effect)

    def effects(self, request: PolicyRequest) -> tuple[Found, ...]:
        """What the planned change does (none for a request that carries no plan)."""
        if request.change is None or request.target is None:
            return ()
        below = self.policy.effects.scale_down_below
        return effects_of(request.change, request.target, request.standby, scale_down_below=below)

    def knows_conversation(self, ref: ConversationRef) -> bool:
        """Whether a rule names this conversation (exactly, by channel, or "*"): group chats anyone can add
        the bot to are answered only when the policy knows them."""
        return self._conversation_rule(ref) is not None

    def _conversation_rule(self, ref: ConversationRef) -> ConversationRule | None:
        rules = self.policy.conversations
        for key in (f"{ref.channel}:{ref.conversation_id}", f"{ref.channel}:{ANY}", ANY):
            if key in rules:
                return rules[key]
        return None


def _action_of(request: PolicyRequest) -> ActionName | None:
    """The infrastructure change a request asks for, if any: its action, or its changing intent."""
    if request.action is not None:
        return request.action
    return ActionName(request.intent.value) if request.intent in CHANGING_INTENTS else None
