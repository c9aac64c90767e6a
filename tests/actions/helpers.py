"""Small builders shared by the actions tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from actions.provider import Resource
from core.models import ActionName, ActionRequest


def request_for(
    resource: Resource,
    action: ActionName,
    *,
    desired_count: int | None = None,
    destination_id: str | None = None,
) -> ActionRequest:
    return ActionRequest.on(
        resource, action, requested_by="alice", desired_count=desired_count, destination_id=destination_id
    )


@dataclass
class StepClock:
    """A clock the test moves: `sleep` moves `now` on at once, and is remembered."""

    at: float = 0.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 9))
        self.at += seconds
