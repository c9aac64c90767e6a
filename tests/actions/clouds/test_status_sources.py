"""Status over the real clouds' sources: each cloud's freshness and failures as the on-call engineer reads them."""

from __future__ import annotations

import time

from actions.provider import Resource, Snapshot, SourceHealth
from actions.queries import status
from core.models import Cloud


def _vm(cloud: Cloud, name: str) -> Resource:
    return Resource(
        id=f"{cloud.value}:a:r:{name}", name=name, cloud=cloud, kind="instance", region="r", environment="prod",
        state="running", size="m5.large", hourly_cost=0.1,
    )  # fmt: skip


def test_a_cloud_that_never_answered_shows_its_error_not_an_age() -> None:
    now = time.time()
    snap = Snapshot(
        provider="clouds", resources=(_vm(Cloud.AWS, "web-1"),), fetched_at=0.0,
        sources=(
            SourceHealth(cloud=Cloud.AWS, label="AWS prod us-east-1", fetched_at=now - 30),
            SourceHealth(cloud=Cloud.AZURE, label="Azure shop", fetched_at=None, error="Azure: credentials refused",
                         error_since=now - 60),
        ),
    )  # fmt: skip
    report = status(snap, now=now)
    [problem] = report.problems
    assert (problem.cloud, problem.kind, problem.cause) == (Cloud.AZURE, "no_data", "failing")
    assert problem.reason == "credentials refused" and problem.sources == ("Azure shop",)
    azure = next(c for c in report.clouds if c.cloud is Cloud.AZURE)
    assert azure.failing == ("Azure shop",) and azure.sources == 1 and azure.error_since == now - 60
    assert azure.fetched_at is None and azure.data_age_seconds is None and not report.ok
    aws = next(c for c in report.clouds if c.cloud is Cloud.AWS)
    assert aws.error is None and aws.data_age_seconds is not None and round(aws.data_age_seconds) == 30


def test_one_failing_region_of_several_is_named_and_old_data_is_a_problem() -> None:
    now = time.time()
    snap = Snapshot(
        provider="clouds", resources=(_vm(Cloud.AWS, "web-1"),), fetched_at=now - 900,
        sources=(
            SourceHealth(cloud=Cloud.AWS, label="AWS prod us-east-1", fetched_at=now - 10),
            SourceHealth(cloud=Cloud.AWS, label="AWS prod eu-west-1", fetched_at=now - 900,
                         error="AWS prod eu-west-1 did not answer; will retry", error_since=now - 890),
        ),
    )  # fmt: skip
    report = status(snap, now=now)
    aws = report.clouds[0]
    assert aws.failing == ("AWS prod eu-west-1",) and aws.sources == 2
    [stale] = aws.problems  # one line: its data is old because its refresh fails
    assert (stale.kind, stale.cause, stale.reason) == ("stale_data", "failing", "did not answer; will retry")
