"""What a voice note may do on its own, as pure rules: when a spoken yes is a clear yes, and which spoken
changes shrink or stop prod (those are always said back with "right?" before their confirmation card). What a
change does is read by the policy's own classification (policies.effects), as for its approver."""

from __future__ import annotations

from actions.provider import Resource
from core.models import ActionName, ActionRequest, Intent, IntentName
from policies.effects import HALF, Effect, effects_of

# The whole note, nothing before or after: noise around a short note is often heard as "yes" plus a few
# letters, and "yes restart web prod" is not a yes. Not "go ahead": short commands in office noise ("alerts",
# "cost") were heard as it, once at 0.86 - a pending change would have been confirmed by a read.
CLEAR_YES = frozenset({"yes", "yes please", "yes confirm", "confirm", "approve", "yes do it"})
CLEAR_CANCEL = frozenset({"cancel", "no", "stop", "abort", "cancel it", "cancel that"})
_CODE_LEADS = (("yes", "confirm"), ("yes",), ("confirm",), ("approve",))
PROD = frozenset({"prod", "production"})
_STOPPING = frozenset({IntentName.STOP, IntentName.SHUTDOWN})
_SHRINKING = frozenset({Effect.CAPACITY_TO_ZERO, Effect.STOP, Effect.DEEP_SCALE_DOWN, Effect.FAILOVER})


def is_clear_yes(text: str, code: str | None) -> bool:
    """The whole transcript is one of the closed list of yeses, or "yes/confirm [code] <code>" where `code` is
    what the parser read from it, spelled one word per character (or said as one word): nothing else."""
    words = text.split()
    if code is None:
        return " ".join(words) in CLEAR_YES
    for lead in _CODE_LEADS:
        if tuple(words[: len(lead)]) != lead:
            continue
        rest = words[len(lead) :]
        if rest[:1] == ["code"]:
            rest = rest[1:]
        if rest == [code.lower()] or len(rest) == len(code):  # the parser read `code` from these words
            return True
    return False


def shrinks_prod(intent: Intent, target: Resource | None, scale_down_below: float = HALF) -> bool:
    """Whether a spoken change stops, shuts down or scales prod down below `scale_down_below` of its size (or to
    zero), or is a failover (a DR command must not be a misheard prod scale, nor the other way round). `target` is
    the resolved resource, or None when it could not be resolved: then anything that might shrink is asked about."""
    name = intent.name
    if name is IntentName.FAILOVER:
        return True
    slots = intent.slots
    if name is IntentName.SCALE:
        if slots.count is None and (slots.delta is None or slots.delta >= 0):
            return False  # a scale up, or no size at all (the change flow asks "to how many?")
    elif name not in _STOPPING:
        return False
    if target is None:
        return True
    current = target.count or 0
    desired = slots.count if slots.count is not None else current + (slots.delta or 0)
    change = ActionRequest.on(
        target, ActionName(name.value), requested_by="", desired_count=desired if name is IntentName.SCALE else None
    )
    found = effects_of(change, target, scale_down_below=scale_down_below)
    return any(f.effect in _SHRINKING and f.environment.lower() in PROD for f in found)
