"""Small builders shared by the actions tests."""

from __future__ import annotations

from actions.provider import Resource
from core.models import ActionName, ActionRequest


def request_for(
    resource: Resource,
    action: ActionName,
    *,
    desired_count: int | None = None,
    destination_id: str | None = None,
) -> ActionRequest:
    return ActionRequest(
        action=action,
        resource_id=resource.id,
        resource_name=resource.name,
        cloud=resource.cloud,
        region=resource.region,
        environment=resource.environment,
        desired_count=desired_count,
        destination_id=destination_id,
        requested_by="alice",
    )
