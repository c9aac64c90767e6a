"""Credentials of one alert source (`alert_sources` in the settings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class AlertSourceAuth(BaseModel):
    """A source authenticates with a bearer token (also accepted as the basic-auth password or a `token` query
    parameter, for senders that cannot set headers) or signs its bodies with an HMAC secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: SecretStr | None = Field(default=None, description="Bearer token the sender presents.")
    hmac_secret: SecretStr | None = Field(default=None, description="Secret of X-Opsbot-Signature (HMAC-SHA256).")

    @model_validator(mode="after")
    def _some_credential(self) -> AlertSourceAuth:
        if self.token is None and self.hmac_secret is None:
            raise ValueError("give a token or an hmac_secret")
        return self
