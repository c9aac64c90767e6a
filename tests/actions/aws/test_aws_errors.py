"""Failures as the on-call engineer reads them: one line, the right kind (retry or not), never an SDK type."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from actions.aws import AwsBackend
from actions.backend import Scope
from core.cloud_config import AwsAccount
from core.errors import ProviderAuthError, ProviderError, ProviderTimeout, ResourceNotFound, TransientProviderError
from tests.actions.aws.conftest import ACCOUNT, OTHER_REGION, REGION, RoutedSession, World
from tests.actions.aws.fake_aws import FakeAws, describe_instances, ec2_error, fake_aws, query_error, stop_instances
from tests.actions.helpers import StepClock


def _scope(backend: AwsBackend, region: str = REGION) -> Scope:
    return next(s for s in backend.scopes() if s.region == region)


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with fake_aws() as server:
        yield server


def _routed(routes: dict[str, str]) -> AwsBackend:
    session = RoutedSession(routes)
    return AwsBackend([ACCOUNT], timeout=2.0, poll_seconds=0.05, session_factory=lambda _a: session, clock=StepClock())


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_refused_credentials_are_one_line_naming_the_account(world: World, backend: AwsBackend) -> None:
    world.post("/moto-api/reset-auth", b"0")  # moto checks every key from now on; "testing" is not one of them
    try:
        with pytest.raises(ProviderAuthError) as refused:
            backend.fetch(_scope(backend))
    finally:
        world.post("/moto-api/reset-auth", b"inf")
    assert str(refused.value) == "AWS: credentials refused for prod - check AWS_PROFILE / the AWS credentials"
    assert isinstance(refused.value.__cause__, ClientError)
    assert "testing" not in str(refused.value)


def test_missing_credentials_and_unknown_profile_are_auth_errors(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    backend = AwsBackend([ACCOUNT], poll_seconds=0.05)
    with pytest.raises(ProviderAuthError, match=r"^AWS: credentials refused for prod - check AWS_PROFILE") as refused:
        backend.fetch(_scope(backend))
    assert isinstance(refused.value.__cause__, NoCredentialsError)
    profiled = AwsBackend([AwsAccount(name="ops", regions=[REGION], profile="nobody")], poll_seconds=0.05)
    with pytest.raises(ProviderAuthError, match=r"^AWS: credentials refused for ops - check the profile nobody$"):
        profiled.fetch(profiled.scopes()[0])


def test_throttling_is_transient_with_retry_after_and_one_attempt(fake: FakeAws) -> None:
    throttled = ec2_error("RequestLimitExceeded", "Request limit exceeded.")
    fake.answer("DescribeInstances", 503, throttled, {"Retry-After": "3"})
    backend = _routed({REGION: fake.url})
    with pytest.raises(TransientProviderError) as busy:
        backend.fetch(_scope(backend))
    assert busy.value.retry_after == 3.0
    assert str(busy.value) == "AWS prod us-east-1 is busy (RequestLimitExceeded); will retry"
    assert fake.actions == ["DescribeInstances"]  # boto3's own retries are off: the layer above retries


def test_auto_scaling_throttling_and_server_errors_are_transient(fake: FakeAws) -> None:
    fake.answer("DescribeInstances", 200, describe_instances("i-0abc", "db-prod", "running", 16))
    fake.answer("DescribeAutoScalingGroups", 400, query_error("Throttling", "Rate exceeded"))
    backend = _routed({REGION: fake.url})
    with pytest.raises(TransientProviderError, match=r"busy \(Throttling\)") as busy:
        backend.fetch(_scope(backend))
    assert busy.value.retry_after is None
    fake.answer("DescribeAutoScalingGroups", 500, query_error("InternalFailure", "Something broke"))
    with pytest.raises(TransientProviderError, match=r"busy \(InternalFailure\)"):
        backend.fetch(_scope(backend))


def test_one_region_failing_leaves_the_other_answering(world: World) -> None:
    backend = _routed({OTHER_REGION: _closed_port()})
    names = {r.name for r in backend.fetch(_scope(backend, REGION))}
    assert {"web-prod", "db-prod"} <= names
    with pytest.raises(TransientProviderError, match=r"^AWS prod eu-west-1 did not answer; will retry$"):
        backend.fetch(_scope(backend, OTHER_REGION))


def test_unknown_resources_are_not_found(backend: AwsBackend) -> None:
    with pytest.raises(ResourceNotFound, match="i-0123456789abcdef0 was not found in AWS prod us-east-1"):
        backend.get("aws:prod:us-east-1:i-0123456789abcdef0")
    with pytest.raises(ResourceNotFound, match="asg/nope was not found in AWS prod us-east-1"):
        backend.get("aws:prod:us-east-1:asg/nope")
    with pytest.raises(ResourceNotFound, match="AWS prod ap-south-1 is not configured"):
        backend.get("aws:prod:ap-south-1:i-0123456789abcdef0")
    with pytest.raises(ResourceNotFound, match="not an AWS resource id"):
        backend.get("gcp:proj:zone:instance/api-1")


def test_instance_that_never_stops_times_out_naming_its_state(fake: FakeAws) -> None:
    fake.answer("StopInstances", 200, stop_instances("i-0abc"))
    fake.answer("DescribeInstances", 200, describe_instances("i-0abc", "db-prod", "stopping", 64))
    backend = _routed({REGION: fake.url})
    instance = backend.get("aws:prod:us-east-1:i-0abc")
    lines: list[str] = []
    with pytest.raises(ProviderTimeout, match=r"^db-prod is still stopping after 0\.2 s; check show db-prod$"):
        backend.set_power(instance, "stop", lines.append, timeout=0.2)
    assert lines == ["db-prod: stopping"]


def test_other_refusals_carry_the_cloud_message(fake: FakeAws) -> None:
    fake.answer("DescribeInstances", 200, describe_instances("i-0abc", "db-prod", "stopped", 80))
    refusal = "The instance 'i-0abc' is not in a state from which it can be started."
    fake.answer("StartInstances", 400, ec2_error("IncorrectInstanceState", refusal))
    backend = _routed({REGION: fake.url})
    instance = backend.get("aws:prod:us-east-1:i-0abc")
    with pytest.raises(ProviderError) as refused:
        backend.set_power(instance, "start", lambda _line: None, timeout=1.0)
    assert type(refused.value) is ProviderError
    assert str(refused.value) == "AWS refused: The instance 'i-0abc' is not in a state from which it can be started."
