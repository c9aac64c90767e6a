"""CPU figures are a detail: an account whose role may not read CloudWatch still gets its inventory, without CPU,
and says so once in the log, not in every refresh."""

from __future__ import annotations

import logging
from typing import Any

import boto3
import pytest

from actions.aws import AwsBackend
from tests.actions.aws.conftest import ACCOUNT, REGION, World
from tests.actions.aws.fake_aws import fake_aws, query_error


class CloudWatchElsewhere(boto3.Session):  # type: ignore[misc]  # boto3 has no type hints here
    """boto3's own session with CloudWatch requests sent to a loopback fake that refuses them."""

    def __init__(self, cloudwatch_url: str) -> None:
        super().__init__()
        self._url = cloudwatch_url

    def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        if service_name == "cloudwatch":
            kwargs["endpoint_url"] = self._url
        return super().client(service_name, region_name=region_name, **kwargs)


def test_inventory_comes_without_cpu_when_cloudwatch_is_refused(world: World, caplog: pytest.LogCaptureFixture) -> None:
    with fake_aws() as fake:
        # CloudWatch speaks a JSON protocol now (no form `Action`): the fake's script for "" answers it.
        fake.answer("", 403, query_error("AccessDenied", "not authorized to perform GetMetricData"))
        backend = AwsBackend(
            [ACCOUNT], timeout=2.0, poll_seconds=0.05, session_factory=lambda _a: CloudWatchElsewhere(fake.url)
        )
        scope = next(s for s in backend.scopes() if s.region == REGION)
        with caplog.at_level(logging.WARNING, logger="actions.aws.backend"):
            first = backend.fetch(scope)
            second = backend.fetch(scope)
    assert {r.name for r in first} >= {"web-prod", "db-prod", "batch-staging"}
    assert all(r.cpu == () for r in first + second)
    assert len(fake.actions) == 2  # asked on each refresh, refused each time
    warnings = [r.getMessage() for r in caplog.records if "no CPU figures" in r.getMessage()]
    assert len(warnings) == 1 and "AWS prod us-east-1" in warnings[0]
