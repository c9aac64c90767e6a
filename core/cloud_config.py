"""Which real cloud accounts opsbot reads and acts on (part of the settings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.setting_values import AwsRegion, GcpZone, IamRoleArn


class _Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    environment: str | None = Field(
        default=None, description="Environment of resources without an environment/env tag (else prod)."
    )


class AwsAccount(_Account):
    name: str = Field(description="Label used in resource ids and replies, e.g. prod.")
    regions: list[AwsRegion] = Field(min_length=1, description="Regions to read, e.g. [us-east-1, eu-west-1].")
    profile: str | None = Field(default=None, description="Profile from ~/.aws/config; unset: the default chain.")
    role_arn: IamRoleArn | None = Field(default=None, description="Role to assume for this account.")


class AzureSubscription(_Account):
    id: str = Field(description="Subscription id.")
    name: str | None = Field(default=None, description="Label in replies; defaults to the id.")
    resource_groups: list[str] = Field(default_factory=list, description="Only these resource groups (empty: all).")


class GcpProject(_Account):
    id: str = Field(description="Project id.")
    zones: list[GcpZone] = Field(
        default_factory=list, description="Only these zones (empty: every zone, via aggregated list)."
    )
