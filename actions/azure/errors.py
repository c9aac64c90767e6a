"""Azure SDK exceptions -> the `core.errors` tree, so nothing above the backend sees an SDK type.

A user reads these messages on a phone: one short sentence naming the subscription, never a token or a
request dump. The SDK exception stays attached as `__cause__` for the log; one the mapping does not know is
named by its type (`actions.unexpected_errors`)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from actions.cloud_errors import translated_by
from actions.retry_after import retry_after_seconds
from actions.unexpected_errors import unexpected_error
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError

MAX_MESSAGE = 160
AUTH_HINT = "check DefaultAzureCredential (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET) or az login"


def auth_refused(subscription: str) -> ProviderAuthError:
    return ProviderAuthError(f"Azure: credentials refused for subscription {subscription} - {AUTH_HINT}")


def arm_message(exc: HttpResponseError) -> str:
    """The ARM error body's `error.message`, first line, truncated; else the status line."""
    detail = getattr(exc.error, "message", None) if exc.error is not None else None
    text = (detail or exc.reason or f"HTTP {exc.status_code}").strip().splitlines()[0]
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _retry_after(exc: HttpResponseError) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    return retry_after_seconds(headers.get("Retry-After"))


def _from_http(exc: HttpResponseError, subscription: str, what: str) -> ProviderError:
    status = exc.status_code or 0
    if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
        return auth_refused(subscription)
    if isinstance(exc, ResourceNotFoundError) or status == 404:
        return ResourceNotFound(f"Azure: {what} was not found in subscription {subscription}.")
    if status == 429:
        text = f"Azure is throttling requests for subscription {subscription}."
        return TransientProviderError(text, _retry_after(exc))
    if status >= 500:
        return TransientProviderError(f"Azure answered {status} for subscription {subscription}.", _retry_after(exc))
    return ProviderError(f"Azure: {arm_message(exc)}")


def translate(exc: Exception, subscription: str, what: str = "the resource") -> ProviderError:
    """The `core.errors` error for one failure of an SDK call for `subscription` (its label)."""
    if isinstance(exc, ClientAuthenticationError):  # also a credential that cannot get a token (no response)
        return auth_refused(subscription)
    if isinstance(exc, HttpResponseError):
        return _from_http(exc, subscription, what)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return TransientProviderError(
            f"Azure did not answer for subscription {subscription} (unreachable or timed out)."
        )
    if isinstance(exc, AzureError):
        return ProviderError(f"Azure: the request for subscription {subscription} failed.")
    # any other SDK surprise: one named line, never "unexpected error" and a traceback
    return unexpected_error(f"Azure {subscription}", f"the request for {what}", exc)


def azure_errors(subscription: str, what: str = "the resource") -> AbstractContextManager[None]:
    """Run SDK calls for `subscription` (its label) and raise only `core.errors` types."""
    return translated_by(lambda exc: translate(exc, subscription, what))
