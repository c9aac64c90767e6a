"""SDK errors become the `core.errors` tree with one plain sentence; the SDK's own retries are off."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from actions.gcp import GcpBackend
from core.cloud_config import GcpProject
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError
from fakes.gcp_compute import FakeComputeApi
from tests.actions.gcp.conftest import PROJECT, ZONE_B, ZONE_C, MakeBackend

AUTH_MESSAGE = (
    f"GCP: credentials refused for project {PROJECT} - check GOOGLE_APPLICATION_CREDENTIALS or "
    "gcloud auth application-default login"
)
API_1 = f"gcp:{PROJECT}:{ZONE_B}:instance/api-1"


@pytest.fixture
def one_instance(fake: FakeComputeApi) -> FakeComputeApi:
    fake.add_instance(PROJECT, ZONE_B, "api-1")
    return fake


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_read_as_one_line(one_instance: FakeComputeApi, backend: GcpBackend, status: int) -> None:
    one_instance.fail("/aggregated/instances", status)

    with pytest.raises(ProviderAuthError) as caught:
        backend.fetch(backend.scopes()[0])

    assert str(caught.value) == AUTH_MESSAGE


def test_missing_application_default_credentials(
    one_instance: FakeComputeApi, make_backend: MakeBackend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    backend = make_backend(credentials=None)

    with pytest.raises(ProviderAuthError) as caught:
        backend.get(API_1)

    assert str(caught.value) == AUTH_MESSAGE
    assert str(tmp_path) not in str(caught.value)
    assert one_instance.requests == []


def test_throttling_is_transient_with_retry_after(one_instance: FakeComputeApi, backend: GcpBackend) -> None:
    one_instance.fail("/instances/api-1", 429, retry_after=7)

    with pytest.raises(TransientProviderError) as caught:
        backend.get(API_1)

    assert caught.value.retry_after == 7.0
    assert str(caught.value) == f"GCP is throttling project {PROJECT}; try again shortly."


def test_a_5xx_storm_fails_each_call_once_without_sdk_retries(
    one_instance: FakeComputeApi, backend: GcpBackend
) -> None:
    one_instance.fail("/aggregated/instances", 503, times=3)
    scope = backend.scopes()[0]

    for _ in range(3):
        with pytest.raises(TransientProviderError, match=rf"^GCP answered 503 for project {PROJECT}\.$") as caught:
            backend.fetch(scope)
        assert caught.value.retry_after is None

    assert len(one_instance.seen("/aggregated/instances")) == 3  # no retry inside the SDK
    assert [r.name for r in backend.fetch(scope)] == ["api-1"]


def test_a_missing_resource_is_not_found(one_instance: FakeComputeApi, backend: GcpBackend) -> None:
    with pytest.raises(ResourceNotFound, match=rf"^GCP: api-9 was not found in project {PROJECT}\.$"):
        backend.get(f"gcp:{PROJECT}:{ZONE_B}:instance/api-9")
    with pytest.raises(ResourceNotFound):
        backend.get(f"gcp:{PROJECT}:{ZONE_B}:mig/web-prod")


def test_another_refusal_shows_googles_message_without_the_url(
    one_instance: FakeComputeApi, backend: GcpBackend
) -> None:
    one_instance.instance(PROJECT, ZONE_B, "api-1").status = "TERMINATED"
    api_1 = backend.get(API_1)

    with pytest.raises(ProviderError) as caught:
        backend.set_power(api_1, "restart", lambda _line: None, 2.0)

    assert type(caught.value) is ProviderError
    assert str(caught.value) == f"GCP: The resource 'projects/{PROJECT}/zones/{ZONE_B}/instances/api-1' is not ready"


def test_a_hanging_api_times_out_as_transient(one_instance: FakeComputeApi, make_backend: MakeBackend) -> None:
    one_instance.hang("/instances/api-1", 3.0)
    backend = make_backend(timeout=0.3)

    with pytest.raises(TransientProviderError, match=r"did not answer for project .* \(unreachable or timed out\)"):
        backend.get(API_1)


def test_an_unreachable_endpoint_is_transient(make_backend: MakeBackend) -> None:
    closed = FakeComputeApi()  # bound, never serving: then closed
    url = closed.url
    closed.stop()
    backend = make_backend(compute_url=url)

    with pytest.raises(TransientProviderError):
        backend.get(API_1)


def test_one_zone_failing_does_not_stop_another(fake: FakeComputeApi, make_backend: MakeBackend) -> None:
    fake.seed_instances(PROJECT, ZONE_B, 3, prefix="b")
    fake.seed_instances(PROJECT, ZONE_C, 4, prefix="c")
    fake.fail(f"/zones/{ZONE_B}/", 503, times=10)
    backend = make_backend(GcpProject(id=PROJECT, zones=[ZONE_B, ZONE_C]))
    zone_b, zone_c = backend.scopes()

    with pytest.raises(TransientProviderError):
        backend.fetch(zone_b)
    answered = backend.fetch(zone_c)

    assert sorted(r.name for r in answered) == ["c-0000", "c-0001", "c-0002", "c-0003"]


def test_an_endpoint_url_the_http_library_refuses_names_the_setting(
    make_backend: MakeBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="actions")
    backend = make_backend(compute_url="http://127.0.0.1:compute")  # the settings refuse it; this is the backstop
    with pytest.raises(ProviderError) as caught:
        backend.fetch(backend.scopes()[0])
    assert type(caught.value) is ProviderError  # not retried: it fails the same way until the setting changes
    assert str(caught.value) == (
        f"GCP {PROJECT}: the request for project {PROJECT} failed: InvalidURL (invalid endpoint URL)"
        " - check OPSBOT_GCP_COMPUTE_URL"
    )
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.getMessage(), r.exc_info) for r in warned] == [(str(caught.value), None)]
