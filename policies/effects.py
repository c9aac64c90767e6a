"""What a planned change does, whatever words asked for it. `scale worker-prod to 0`, `stop worker-prod` and
`shut down worker-prod` all take a prod group's capacity to zero, so they carry the same effect and, through the
policy, the same risk. One function decides, from the exact request and the resource as planned; never from the
intent or the text."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from actions.provider import Resource
from core.models import ActionName, ActionRequest

HALF = 0.5  # the default `effects: scale_down_below`


class Effect(StrEnum):
    """Most serious first: a change with several effects is named by the first one that sets its risk."""

    FAILOVER = "failover"
    EMERGENCY_SCALE = "emergency_scale"
    CAPACITY_TO_ZERO = "capacity_to_zero"  # a group left with no running instance
    STOP = "stop"  # stopping or shutting down an instance or a group
    DEEP_SCALE_DOWN = "deep_scale_down"  # a group left with fewer than `scale_down_below` of its instances
    LIMIT_CHANGE = "limit_change"  # a group's own min or max size changed with the scale


class Found(NamedTuple):
    """One effect of a change, in the environment it happens in."""

    effect: Effect
    environment: str

    def describe(self, scale_down_below: float = HALF) -> str:
        """ "capacity to zero in prod", "scale down by more than half in staging"."""
        return f"{phrase(self.effect, scale_down_below)} in {self.environment}"


_STOPPING = frozenset({ActionName.STOP, ActionName.SHUTDOWN})
_SCALING = frozenset({ActionName.SCALE, ActionName.EMERGENCY_SCALE})


def effects_of(
    change: ActionRequest, target: Resource, standby: Resource | None = None, *, scale_down_below: float = HALF
) -> tuple[Found, ...]:
    """Every effect of `change` on `target` (as the plan saw it), most serious first. A failover happens where its
    source runs and where its `standby` takes over."""
    action = change.action
    effects: list[Effect] = []
    if action is ActionName.FAILOVER:
        effects.append(Effect.FAILOVER)
    if action is ActionName.EMERGENCY_SCALE:
        effects.append(Effect.EMERGENCY_SCALE)
    if target.kind == "group":
        current = target.count or 0
        after = current
        if action in _STOPPING:
            after = 0  # stopped members, or a group scaled to 0: nothing left running either way
        elif action in _SCALING and change.desired_count is not None:
            after = change.desired_count
        if current > 0 and after <= 0:
            effects.append(Effect.CAPACITY_TO_ZERO)
        if action in _STOPPING:
            effects.append(Effect.STOP)
        if 0 < after < current * scale_down_below:
            effects.append(Effect.DEEP_SCALE_DOWN)
        if _new_limit(change.new_min_count, target.min_count) or _new_limit(change.new_max_count, target.max_count):
            effects.append(Effect.LIMIT_CHANGE)
    elif action in _STOPPING:
        effects.append(Effect.STOP)
    places = [target.environment]
    if action is ActionName.FAILOVER and standby is not None and standby.environment not in places:
        places.append(standby.environment)
    return tuple(Found(effect, place) for effect in sorted(effects, key=_ORDER.index) for place in places)


_ORDER = list(Effect)


def _new_limit(asked: int | None, current: int | None) -> bool:
    return asked is not None and asked != current


def phrase(effect: Effect, scale_down_below: float = HALF) -> str:
    """The effect in plain words, as the confirmation names it."""
    if effect is Effect.DEEP_SCALE_DOWN:
        if scale_down_below == HALF:
            return "scale down by more than half"
        if scale_down_below >= 1:
            return "scale down"
        return f"scale down by more than {round((1 - scale_down_below) * 100)}%"
    if effect is Effect.LIMIT_CHANGE:
        return "change of a group's limits"
    return effect.value.replace("_", " ")
