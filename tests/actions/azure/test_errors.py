"""What a user reads when Azure refuses, throttles, fails or hangs: one short sentence of the `core.errors`
tree, with what a retry needs. The SDK's own retries are off, so each failure is exactly one request."""

from __future__ import annotations

import logging
import socket

import pytest
from azure.identity import CredentialUnavailableError

from actions.azure import AzureBackend
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError
from fakes.azure_arm import FakeArm, StaticToken
from tests.actions.azure.conftest import PROD, STAGING, MakeBackend

AUTH_LINE = (
    "Azure: credentials refused for subscription prod - check DefaultAzureCredential "
    "(AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET) or az login"
)
VM_LIST = r"/providers/Microsoft\.Compute/virtualMachines$"


class NoCredential:
    def get_token(self, *scopes: str, **kwargs: object) -> object:
        raise CredentialUnavailableError(message="DefaultAzureCredential failed to retrieve a token.")


def _prod(backend: AzureBackend):  # type: ignore[no-untyped-def]
    return next(s for s in backend.scopes() if s.account == PROD)


def test_a_refused_token_is_one_line_naming_what_to_check(arm: FakeArm, make_backend: MakeBackend) -> None:
    backend = make_backend(credential=StaticToken("expired-token"))
    with pytest.raises(ProviderAuthError) as caught:
        backend.fetch(_prod(backend))
    assert str(caught.value) == AUTH_LINE
    assert "expired-token" not in str(caught.value)
    assert len(arm.requests) == 1 and arm.requests[0].token == "expired-token"


def test_no_credential_at_all_is_the_same_auth_error(arm: FakeArm, make_backend: MakeBackend) -> None:
    backend = make_backend(credential=NoCredential())
    with pytest.raises(ProviderAuthError, match="credentials refused for subscription prod"):
        backend.fetch(_prod(backend))
    assert arm.requests == []


def test_forbidden_is_an_auth_error(arm: FakeArm, backend: AzureBackend) -> None:
    arm.add_vm(PROD, "rg", "db-prod")
    arm.fail(
        r"/virtualMachines/db-prod$", 403, code="AuthorizationFailed", message="The client does not have authorization."
    )
    with pytest.raises(ProviderAuthError, match=r"^Azure: credentials refused for subscription prod"):
        backend.get(f"azure:{PROD}:rg:vm/db-prod")


def test_throttling_carries_retry_after(arm: FakeArm, backend: AzureBackend) -> None:
    arm.fail(VM_LIST, 429, retry_after="7", code="TooManyRequests", message="Rate limit exceeded.")
    with pytest.raises(TransientProviderError, match="throttling requests for subscription prod") as caught:
        backend.fetch(_prod(backend))
    assert caught.value.retry_after == 7.0
    assert len(arm.requests) == 1  # no retry inside the SDK


def test_a_503_storm_fails_fast_then_recovers(arm: FakeArm, backend: AzureBackend) -> None:
    arm.add_vm(PROD, "rg", "db-prod")
    arm.fail(VM_LIST, 503, times=3, retry_after="2", code="ServiceUnavailable")
    for attempt in range(3):
        with pytest.raises(TransientProviderError, match="Azure answered 503 for subscription prod") as caught:
            backend.fetch(_prod(backend))
        assert caught.value.retry_after == 2.0
        assert len(arm.requests) == attempt + 1
    assert [r.name for r in backend.fetch(_prod(backend))] == ["db-prod"]


def test_not_found_while_reading_a_vm(arm: FakeArm, backend: AzureBackend) -> None:
    with pytest.raises(ResourceNotFound, match=r"^Azure: gone was not found in subscription prod"):
        backend.get(f"azure:{PROD}:rg:vm/gone")


def test_other_refusals_show_the_arm_message_short(arm: FakeArm, backend: AzureBackend) -> None:
    arm.add_vm(PROD, "rg", "db-prod")
    arm.fail(r"/db-prod/start$", 409, code="OperationNotAllowed", message="Operation 'start' is not allowed. " * 20)
    with pytest.raises(ProviderError) as caught:
        backend.set_power(backend.get(f"azure:{PROD}:rg:vm/db-prod"), "start", lambda _line: None, 2.0)
    error = caught.value
    assert type(error) is ProviderError
    assert str(error).startswith("Azure: Operation 'start' is not allowed.")
    assert len(str(error)) <= 170 and "\n" not in str(error)


def test_a_hung_server_is_transient_within_the_timeout(arm: FakeArm, make_backend: MakeBackend) -> None:
    backend = make_backend(timeout=0.3)
    arm.add_vm(PROD, "rg", "db-prod")
    arm.hang(r"/virtualMachines/db-prod$", 30.0)  # answers only after 30 s: a success would mean no timeout
    with pytest.raises(TransientProviderError, match="did not answer for subscription prod"):
        backend.get(f"azure:{PROD}:rg:vm/db-prod")


def test_an_unreachable_endpoint_is_transient(make_backend: MakeBackend) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    backend = make_backend(arm_url=f"https://127.0.0.1:{port}")
    with pytest.raises(TransientProviderError):
        backend.fetch(_prod(backend))


def test_one_failing_subscription_does_not_stop_the_other(arm: FakeArm, backend: AzureBackend) -> None:
    arm.add_vm(PROD, "rg", "db-prod")
    arm.add_vm(STAGING, "rg", "db-staging")
    arm.fail(f"^/subscriptions/{STAGING}/", 403, times=None, code="AuthorizationFailed")
    results: dict[str, object] = {}
    for scope in backend.scopes():
        try:
            results[scope.label] = [r.name for r in backend.fetch(scope)]
        except ProviderError as exc:
            results[scope.label] = str(exc)
    assert results["Azure prod"] == ["db-prod"]
    assert str(results["Azure staging"]).startswith("Azure: credentials refused for subscription staging")


def test_the_default_credential_is_not_made_until_needed() -> None:
    backend = AzureBackend([])  # no DefaultAzureCredential (and no token request) just to build the backend
    assert backend.scopes() == []


class TokenlessCredential:
    """A credential that answers without a token (a broken custom credential): the SDK fails inside its policy."""

    def get_token(self, *scopes: str, **kwargs: object) -> object:
        return None


def test_an_sdk_error_nobody_planned_for_names_the_subscription_and_its_type(
    arm: FakeArm, make_backend: MakeBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="actions")
    backend = make_backend(credential=TokenlessCredential())
    with pytest.raises(ProviderError) as caught:
        backend.fetch(_prod(backend))
    assert type(caught.value) is ProviderError
    assert str(caught.value) == (
        "Azure prod: the request for the subscription failed: AttributeError (an SDK error opsbot does not know;"
        " DEBUG logs the traceback)"
    )
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.getMessage(), r.exc_info) for r in warned] == [(str(caught.value), None)]
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)
