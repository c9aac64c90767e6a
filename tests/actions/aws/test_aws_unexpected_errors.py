"""An SDK error nobody planned for (a malformed AWS_ENDPOINT_URL, an endpoint that answers but is not AWS) reaches
the user as one line naming the cloud, account, region and operation and what to check - not "unexpected error
(ValueError)" - and the log as one WARNING line with the exception type, the traceback only at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from actions.aws import AwsBackend
from actions.aws.errors import translated
from core.errors import ProviderError
from tests.actions.aws.conftest import ACCOUNT, REGION, World
from tests.loopback_http import Answer, LoopbackHttp

SECRET = "Sup3rSecretValue"


@pytest.fixture
def not_aws() -> Iterator[str]:
    """A web server where AWS was expected (a proxy's login page, a wrong port): 200 and HTML."""
    page = b"<!doctype html><html><title>Sign in</title><p>Welcome</html>"
    with LoopbackHttp(lambda _request: Answer(200, page, "text/html")) as server:
        yield server.url


def _fetch_failure(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> ProviderError:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    backend = AwsBackend([ACCOUNT], timeout=2.0, poll_seconds=0.05)  # boto3's own session: it reads the variable
    scope = next(s for s in backend.scopes() if s.region == REGION)
    with pytest.raises(ProviderError) as failed:
        backend.fetch(scope)
    assert type(failed.value) is ProviderError  # not transient: the same call fails again until the setting changes
    return failed.value


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("actions.")]


def test_a_malformed_endpoint_url_names_account_region_operation_and_the_variable(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="actions")
    error = _fetch_failure(monkeypatch, world.url.replace("http://", f"http//opsbot:{SECRET}@"))
    expected = (
        "AWS prod us-east-1: DescribeInstances failed: ValueError (invalid endpoint URL) - check AWS_ENDPOINT_URL"
    )
    assert str(error) == expected
    assert isinstance(error.__cause__, ValueError)
    warned = _warnings(caplog)
    assert [r.getMessage() for r in warned] == [expected]
    assert all(r.exc_info is None for r in warned)  # one line at WARNING, no traceback
    logged = "".join(r.getMessage() + caplog.text for r in caplog.records)
    assert SECRET not in str(error) + logged  # the URL is not repeated: it may hold a password


def test_a_port_that_is_not_a_number_is_an_invalid_endpoint_too(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    error = _fetch_failure(monkeypatch, "http://127.0.0.1:moto")
    assert str(error).endswith("DescribeInstances failed: ValueError (invalid endpoint URL) - check AWS_ENDPOINT_URL")


def test_an_endpoint_that_is_not_aws_says_so_and_what_to_check(
    not_aws: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="actions")
    error = _fetch_failure(monkeypatch, not_aws)
    assert str(error) == (
        "AWS prod us-east-1: DescribeInstances failed: ResponseParserError (the answer was not an AWS response)"
        " - check the region us-east-1 and AWS_ENDPOINT_URL"
    )
    assert "Welcome" not in str(error)  # the page itself is not repeated
    assert [r.exc_info for r in _warnings(caplog)] == [None]


def test_an_error_nobody_planned_for_names_its_type_and_logs_the_traceback_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="actions")
    with pytest.raises(ProviderError) as failed, translated(ACCOUNT, REGION, "instances", "DescribeInstances"):
        raise KeyError("Reservations")
    assert str(failed.value) == (
        "AWS prod us-east-1: DescribeInstances failed: KeyError (an SDK error opsbot does not know;"
        " DEBUG logs the traceback)"
    )
    assert [r.exc_info for r in _warnings(caplog)] == [None]
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)
