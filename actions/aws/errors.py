"""botocore's exceptions mapped into `core.errors`, so nothing above the AWS backend sees an SDK type.

The layer above retries transient errors with backoff and trips a circuit breaker, so the split between
"retry" (throttling, 5xx, network) and "do not retry" (credentials, not found, refusals) is what matters here.

Anything else the SDK raises (a ValueError for a malformed AWS_ENDPOINT_URL, a parser error for an answer that is
not AWS's) becomes one line naming the account, region and operation and what to check; the log gets one
WARNING line with the exception type, the traceback only at DEBUG."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager

from botocore import exceptions as boto
from botocore.parsers import ResponseParserError

from actions.cloud_errors import translated_by
from actions.retry_after import retry_after_seconds
from actions.unexpected_errors import unexpected_error
from core.cloud_config import AwsAccount
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"

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


def translate(exc: Exception, account: AwsAccount, region: str, subject: str, operation: str = "") -> ProviderError:
    """The `core.errors` error for one failure of an AWS call. `subject` names what was asked for ("i-0abc"),
    `operation` the API operation ("DescribeInstances")."""
    where = f"AWS {account.name} {region}"
    if isinstance(exc, _CREDENTIAL_ERRORS):
        return ProviderAuthError(f"AWS: credentials refused for {account.name} - check {auth_hint(account)}")
    if isinstance(exc, _NETWORK_ERRORS):
        return TransientProviderError(f"{where} did not answer; will retry")
    if not isinstance(exc, boto.BotoCoreError | boto.ClientError):
        return unexpected(exc, where, operation or subject, region)
    if not isinstance(exc, boto.ClientError):
        return ProviderError(f"{where}: {operation or subject} failed: {_first_sentence(str(exc))}")
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


def unexpected(exc: Exception, where: str, operation: str, region: str) -> ProviderError:
    """An error outside botocore's own tree, e.g. the ValueError of a malformed AWS_ENDPOINT_URL."""
    endpoint = _endpoint_variables()
    if isinstance(exc, ValueError) and str(exc).startswith(("Invalid endpoint", "Port could not be cast")):
        return unexpected_error(where, operation, exc, "invalid endpoint URL", endpoint or ENDPOINT_VARIABLE)
    if isinstance(exc, ResponseParserError):
        check = f"the region {region}" + (f" and {endpoint}" if endpoint else "")
        return unexpected_error(where, operation, exc, "the answer was not an AWS response", check)
    return unexpected_error(where, operation, exc)


def _endpoint_variables() -> str | None:
    """The endpoint variables boto3 reads that are set ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2"), if any."""
    names = sorted(name for name, value in os.environ.items() if name.startswith(ENDPOINT_VARIABLE) and value)
    return " / ".join(names) or None


def translated(account: AwsAccount, region: str, subject: str, operation: str = "") -> AbstractContextManager[None]:
    """Run AWS calls; re-raise any failure as its `core.errors` counterpart (`raise ... from exc`): botocore's
    own, and whatever else the SDK raises, named by `operation` ("DescribeInstances") or else `subject`."""
    return translated_by(lambda exc: translate(exc, account, region, subject, operation))
