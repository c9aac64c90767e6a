"""Google Cloud SDK exceptions -> the `core.errors` tree, so nothing above the backend sees an SDK type.

A user reads these messages on a phone: one short sentence naming the project, never a token or a request dump
(the SDK's own message starts with the method and full URL). The SDK exception stays attached as `__cause__`;
one the mapping does not know is named by its type (`actions.unexpected_errors`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth

from actions.cloud_errors import translated_by
from actions.retry_after import retry_after_seconds
from actions.unexpected_errors import unexpected_error
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError

MAX_MESSAGE = 160
AUTH_HINT = "check GOOGLE_APPLICATION_CREDENTIALS or gcloud auth application-default login"
_BAD_URL = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})  # older APIs throttle with a 403


def auth_refused(project: str) -> ProviderAuthError:
    return ProviderAuthError(f"GCP: credentials refused for project {project} - {AUTH_HINT}")


def short_message(exc: api.GoogleAPICallError) -> str:
    """Google's `error.message`, first line, truncated - without the "GET <url>: " prefix the SDK adds."""
    first: Any = exc.errors[0] if exc.errors else None
    text = first.get("message") if isinstance(first, dict) else None
    text = str(text or exc.message.split(": ", 1)[-1] or f"HTTP {exc.code}").strip().splitlines()[0]
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _reason(exc: api.GoogleAPICallError) -> str | None:
    first: Any = exc.errors[0] if exc.errors else None
    return first.get("reason") if isinstance(first, dict) else exc.reason


def _retry_after(exc: api.GoogleAPICallError) -> float | None:
    response: Any = exc.response
    headers = getattr(response, "headers", None)
    return retry_after_seconds(headers.get("Retry-After") if headers is not None else None)


def _from_call(exc: api.GoogleAPICallError, project: str, what: str) -> ProviderError:
    if isinstance(exc, api.Forbidden) and _reason(exc) in _RATE_REASONS:
        return TransientProviderError(f"GCP is throttling project {project}; try again shortly.", _retry_after(exc))
    if isinstance(exc, api.Unauthorized | api.Forbidden):
        return auth_refused(project)
    if isinstance(exc, api.NotFound):
        return ResourceNotFound(f"GCP: {what} was not found in project {project}.")
    if isinstance(exc, api.TooManyRequests):
        return TransientProviderError(f"GCP is throttling project {project}; try again shortly.", _retry_after(exc))
    if isinstance(exc, api.ServerError):
        return TransientProviderError(f"GCP answered {exc.code} for project {project}.", _retry_after(exc))
    return ProviderError(f"GCP: {short_message(exc)}")


def translate(exc: Exception, project: str, what: str = "the resource") -> ProviderError:
    """The `core.errors` error for one failure of an SDK call for `project`."""
    if isinstance(exc, auth.DefaultCredentialsError | auth.RefreshError):
        return auth_refused(project)
    if isinstance(exc, api.GoogleAPICallError):
        return _from_call(exc, project, what)
    if isinstance(exc, _BAD_URL):  # requests' own checks of the URL: the endpoint setting, not the network
        check = "OPSBOT_GCP_COMPUTE_URL"
        return unexpected_error(f"GCP {project}", f"the request for {what}", exc, "invalid endpoint URL", check)
    if isinstance(exc, auth.TransportError | requests.RequestException):
        return TransientProviderError(f"GCP did not answer for project {project} (unreachable or timed out).")
    # any other SDK surprise: one named line, never "unexpected error" and a traceback
    return unexpected_error(f"GCP {project}", f"the request for {what}", exc)


def gcp_errors(project: str, what: str = "the resource") -> AbstractContextManager[None]:
    """Run SDK calls for `project` and raise only `core.errors` types."""
    return translated_by(lambda exc: translate(exc, project, what))
