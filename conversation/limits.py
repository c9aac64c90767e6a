"""A group's own limit changed with a scale, from chat: only when asked in so many words ("scale web-prod to 20 and
raise the max"), or by pressing the button under the refusal of a plan past the limit. Either way the request
moves the limit exactly to the size asked for, never further, and only where the cloud changes it with the scale
(an AWS Auto Scaling group); the plan shows it ("max 10 -> 20") and the policy's `limit_change` effect decides
who approves."""

from __future__ import annotations

from actions.limits import AUTO_SCALING_GROUP
from actions.provider import Resource
from actions.wording import CLOUD_LABELS
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Cloud, Intent

_WORDS = {"max": "maximum", "min": "minimum"}


def asked_limits(intent: Intent, target: Resource, desired: int) -> tuple[int | None, int | None]:
    """(new min, new max) for a scale to `desired` whose words move a limit: the one `desired` crosses, set to
    `desired`; (None, None) when the words move none or the scale stays inside it. A limit said with a number
    other than the size ("... to 20 raising max to 25") is refused: the limit goes only as far as the scale."""
    limit = intent.slots.limit
    if limit is None:
        return None, None
    said = intent.slots.limit_count
    if said is not None and said != desired:
        raise ProviderError(
            f"I move {target.name}'s {_WORDS[limit]} only to the size asked for ({desired}), not {said}: "
            f"scale {target.name} to {desired} and {'raise the max' if limit == 'max' else 'lower the min'}"
        )
    if limit == "max" and (target.max_count is None or desired > target.max_count):
        return None, _changeable(target, desired)
    if limit == "min" and (target.min_count is None or desired < target.min_count):
        return _changeable(target, desired), None
    return None, None


def _changeable(group: Resource, limit: int) -> int:
    """`limit`, when `group`'s cloud changes the limit with the scale (as actions.planning plans it; the demo
    world's groups answer the same)."""
    if not _with_the_scale(group):
        raise ProviderError(
            f"{group.name}'s limits are changed from chat on AWS groups only: "
            f"change them in {CLOUD_LABELS[group.cloud]} first"
        )
    return limit


def _with_the_scale(group: Resource) -> bool:
    return group.kind == "group" and group.cloud is Cloud.AWS and group.limits_from == AUTO_SCALING_GROUP


def with_crossed_limit(request: ActionRequest, target: Resource) -> ActionRequest | None:
    """The same scale with the limit it crosses moved to its size, when the cloud changes that limit with the
    scale (an AWS Auto Scaling group); None otherwise, or when the request already moves a limit."""
    desired = request.desired_count
    if request.action is not ActionName.SCALE or desired is None or not _with_the_scale(target):
        return None
    if request.new_min_count is not None or request.new_max_count is not None:
        return None
    if target.max_count is not None and desired > target.max_count:
        return request.model_copy(update={"new_max_count": desired})
    if target.min_count is not None and desired < target.min_count:
        return request.model_copy(update={"new_min_count": desired})
    return None


def offer_label(request: ActionRequest, approver_role: str | None) -> str:
    """ "Raise max to 20 and scale (admin approves)"."""
    if request.new_max_count is not None:
        move = f"Raise max to {request.new_max_count}"
    else:
        move = f"Lower min to {request.new_min_count}"
    who = f" ({approver_role} approves)" if approver_role else ""
    return f"{move} and scale{who}"


def limit_words(request: ActionRequest) -> str:
    """The slot value that asks for the same limit change again ("max" / "min")."""
    return "max" if request.new_max_count is not None else "min"
