"""botocore's exceptions mapped into `core.errors`, so nothing above the AWS backend sees an SDK type.

The layer above retries transient errors with backoff and trips a circuit breaker, so the split between
"retry" (throttling, 5xx, network) and "do not retry" (credentials, not found, refusals) is what matters here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore import exceptions as boto

from actions.retry_after import retry_after_seconds
from core.cloud_config import AwsAccount
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError

_AUTH_CODES = frozenset(
    {
        "AuthFailure",
        "UnauthorizedOperation",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "MissingAuthenticationToken",
        "OptInRequired",
    }
)
_TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "ServiceUnavailable",
        "Unavailable",
        "InternalError",
        "InternalFailure",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_CREDENTIAL_ERRORS = (
    boto.NoCredentialsError,
    boto.PartialCredentialsError,
    boto.CredentialRetrievalError,
    boto.ProfileNotFound,
    boto.TokenRetrievalError,
    boto.SSOError,
)
_NETWORK_ERRORS = (boto.ConnectionError, boto.HTTPClientError)


def auth_hint(account: AwsAccount) -> str:
    """What the on-call engineer should check; names settings, never a secret."""
    if account.role_arn:
        return f"the role {account.role_arn}"
    if account.profile:
        return f"the profile {account.profile}"
    return "AWS_PROFILE / the AWS credentials"


def _first_sentence(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "no reason given"
    return line if len(line) <= 160 else line[:157] + "..."


def translate(exc: Exception, account: AwsAccount, region: str, subject: str) -> ProviderError:
    """The `core.errors` error for one botocore failure. `subject` names what was asked for ("i-0abc")."""
    where = f"AWS {account.name} {region}"
    if isinstance(exc, _CREDENTIAL_ERRORS):
        return ProviderAuthError(f"AWS: credentials refused for {account.name} - check {auth_hint(account)}")
    if isinstance(exc, _NETWORK_ERRORS):
        return TransientProviderError(f"{where} did not answer; will retry")
    if not isinstance(exc, boto.ClientError):
        return ProviderError(f"{where} request failed: {_first_sentence(str(exc))}")
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    meta = exc.response.get("ResponseMetadata", {})
    status = int(meta.get("HTTPStatusCode", 0) or 0)
    if code in _AUTH_CODES or code.startswith("AccessDenied") or status in (401, 403):
        return ProviderAuthError(f"AWS: credentials refused for {account.name} - check {auth_hint(account)}")
    if code in _TRANSIENT_CODES or status == 429 or status >= 500:
        return TransientProviderError(
            f"{where} is busy ({code or status}); will retry",
            retry_after=retry_after_seconds(meta.get("HTTPHeaders", {}).get("retry-after")),
        )
    if code.endswith("NotFound") or code.endswith(".Malformed") or status == 404:
        return ResourceNotFound(f"{subject} was not found in {where}")
    return ProviderError(f"AWS refused: {_first_sentence(str(error.get('Message') or code))}")


@contextmanager
def translated(account: AwsAccount, region: str, subject: str) -> Iterator[None]:
    """Run AWS calls; re-raise any botocore failure as its `core.errors` counterpart (`raise ... from exc`)."""
    try:
        yield
    except (boto.BotoCoreError, boto.ClientError) as exc:
        raise translate(exc, account, region, subject) from exc
