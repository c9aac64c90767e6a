"""The policy file's schema. Every model forbids unknown keys, so a typo is an error rather than a rule
that silently does nothing. Names of intents and actions are checked here; names that refer to other
parts of the file (roles, users, environments) are checked in `policies.references`."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator
from rapidfuzz import process

from core.models import CHANGING_INTENTS, ActionName, Frozen, IntentName, Risk
from policies.effects import HALF, Effect

ANY = "*"
SCALE_DOWN = "scale_down"  # blast-radius pseudo-action: a scale that leaves fewer instances

E = TypeVar("E", bound=StrEnum)


def did_you_mean(word: str, choices: list[str]) -> str:
    match = process.extractOne(word, choices, score_cutoff=70)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _known(enum: type[E], kind: str) -> Callable[[object], object]:
    names = [member.value for member in enum]

    def check(value: object) -> object:
        if isinstance(value, str) and value not in names:
            raise ValueError(f"unknown {kind} '{value}'{did_you_mean(value, names)}")
        return value

    return check


def _read_intent(value: object) -> object:
    if isinstance(value, str) and value in {i.value for i in CHANGING_INTENTS}:
        raise ValueError(f"'{value}' changes infrastructure: list it under actions")
    return value


def _as_list(value: object) -> object:
    """`prod` and `"*"` are shorthands for a one-item list."""
    return [value] if isinstance(value, str) else value


def _as_grants(value: object) -> object:
    """A plain list of names grants each of them in every environment."""
    if isinstance(value, list):
        return {name: [ANY] for name in value}
    return value


def _all_actions(value: object) -> object:
    return [a.value for a in ActionName] if value == ANY else value


def _change_risk(value: Risk) -> Risk:
    if value is Risk.READ:
        raise ValueError("an action's risk is change or critical")
    return value


def _identity(value: str) -> str:
    channel, sep, ident = value.partition(":")
    if not sep or not channel or not ident or not channel.isidentifier() or any(c.isspace() for c in value):
        raise ValueError(f"identity '{value}' should look like 'slack:U123ABC' or 'telegram:123456789'")
    return value


def _conversation_key(value: str) -> str:
    if value != ANY:
        _identity(value)
    return value


def _blast_action(value: object) -> object:
    names = [a.value for a in ActionName] + [SCALE_DOWN]
    if isinstance(value, str) and value not in names:
        raise ValueError(f"unknown action '{value}'{did_you_mean(value, names)}")
    return value


IntentKey = Annotated[IntentName, BeforeValidator(_read_intent), BeforeValidator(_known(IntentName, "intent"))]
ActionKey = Annotated[ActionName, BeforeValidator(_known(ActionName, "action"))]
EffectKey = Annotated[Effect, BeforeValidator(_known(Effect, "effect"))]
Environments = Annotated[tuple[str, ...], BeforeValidator(_as_list), Field(min_length=1)]
ChangeRisk = Annotated[Risk, AfterValidator(_change_risk)]
Identity = Annotated[str, AfterValidator(_identity)]
ConversationKey = Annotated[str, AfterValidator(_conversation_key)]
BlastAction = Annotated[str, BeforeValidator(_blast_action)]


class Role(Frozen):
    """What a role may use. `inherits` adds everything another role may use."""

    description: str = ""
    inherits: str | None = None
    intents: Annotated[dict[IntentKey, Environments], BeforeValidator(_as_grants)] = Field(default_factory=dict)
    actions: Annotated[dict[ActionKey, Environments], BeforeValidator(_as_grants)] = Field(default_factory=dict)


class User(Frozen):
    role: str
    identities: tuple[Identity, ...] = ()


class ConversationRule(Frozen):
    """Restrictions for one conversation ("slack:C0INCIDENT"), a whole channel ("console:*"), or all ("*")."""

    name: str = ""  # how refusals call it ("#announcements"); default: the key
    read_only: bool = False
    environments: Environments = (ANY,)
    actions: Annotated[tuple[ActionKey, ...], BeforeValidator(_all_actions)] = tuple(ActionName)
    # The role people not listed under users get here, and only here: a channel opened to its members on
    # purpose. None: they are strangers here too (unless default_role says otherwise).
    members: str | None = None


class _Scoped(Frozen):
    """A limit for one role, one user, or (neither given) everyone."""

    role: str | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> _Scoped:
        if self.role is not None and self.user is not None:
            raise ValueError("give role or user, not both")
        return self

    def applies_to(self, user: str, role: str | None) -> bool:
        if self.user is not None:
            return self.user == user
        return self.role is None or self.role == role


class RateLimit(_Scoped):
    counts: Literal["messages", "changes"]  # every command, or only commands that change infrastructure
    limit: int = Field(ge=1)
    per_seconds: int = Field(ge=1, le=86_400)


class BlastRadius(_Scoped):
    max_instances: int = Field(ge=0)
    actions: tuple[BlastAction, ...] = Field(min_length=1)

    def measures(self, action: ActionName, scale_down: bool) -> bool:
        return action.value in self.actions or (
            action is ActionName.SCALE and scale_down and SCALE_DOWN in self.actions
        )


# What every effect costs unless the file says otherwise: critical in prod, the action's own risk elsewhere; a
# change of a group's own limits is critical everywhere (an admin approves it).
DEFAULT_EFFECT_RISK: dict[Effect, dict[str, Risk]] = {
    **{effect: {"prod": Risk.CRITICAL} for effect in Effect},
    Effect.LIMIT_CHANGE: {ANY: Risk.CRITICAL},
}


class EffectRules(Frozen):
    """Risk by what a change does (policies.effects), whatever verb asked for it. An effect's risk is a floor on
    the action's risk: it can raise it, never lower it."""

    # A scale that leaves fewer than this fraction of a group's instances is a deep scale-down.
    scale_down_below: float = Field(default=HALF, gt=0, le=1)
    # effect -> environment -> risk. An effect not listed keeps its default (critical in prod); `{}` drops it.
    risk: dict[EffectKey, dict[str, ChangeRisk]] = Field(default_factory=dict)

    def risk_of(self, effect: Effect, environment: str) -> Risk | None:
        per_env = self.risk.get(effect, DEFAULT_EFFECT_RISK[effect])
        return per_env.get(environment) or per_env.get(ANY)


class Policy(Frozen):
    environments: tuple[str, ...] = ("prod", "staging", "dr")
    roles: dict[str, Role]  # lowest first: refusals name the first role that would do
    # The role of anyone not listed under users. None: they read nothing and are told how to be added.
    default_role: str | None = None
    users: dict[str, User] = Field(default_factory=dict)
    conversations: dict[ConversationKey, ConversationRule] = Field(default_factory=dict)
    risk: dict[ActionKey, dict[str, ChangeRisk]] = Field(default_factory=dict)  # action -> environment -> risk
    effects: EffectRules = Field(default_factory=EffectRules)
    approvals: dict[ChangeRisk, str] = Field(default_factory=dict)  # risk -> role of a second person who approves
    rate_limits: tuple[RateLimit, ...] = ()
    blast_radius: tuple[BlastRadius, ...] = ()
    # Monthly budgets in USD by scope: "all", a provider ("aws"), an environment ("prod") or "team:<name>"
    # (policies.budgets; scopes are checked in policies.references). An admin may set others from chat.
    budgets: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(default_factory=dict)

    @field_validator("roles")
    @classmethod
    def _some_role(cls, roles: dict[str, Role]) -> dict[str, Role]:
        if not roles:
            raise ValueError("a policy needs at least one role")
        return roles
