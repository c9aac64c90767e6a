"""The deploy figures measured on the real backends and the loopback fakes (bench.deploy_clouds): validation of a
three-cloud release, 20 services starting their rollouts at once under the client-side rate limit, and an AWS
rollback's initiation (RollbackInstanceRefresh of a refresh in flight)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from actions.aws.rollout import AwsRollouts
from actions.deploy.model import RolloutBackend
from actions.deploy.validate import validate
from actions.resilience import RateLimiter
from bench.deploy_clouds import CloudLatency, Fakes, busiest_second, changes, request_for, running_fakes, start_all
from bench.figures import Figure
from core.metrics import quantile
from core.models import Cloud

SEED = 16


@contextmanager
def _closing(backends: dict[Cloud, RolloutBackend]) -> Iterator[dict[Cloud, RolloutBackend]]:
    try:
        yield backends
    finally:
        azure = backends[Cloud.AZURE]
        close = getattr(azure, "close", None)
        if close is not None:
            close()


def validation_figures(fakes: Fakes, runs: int) -> list[Figure]:
    """`validate` of web v2.4 over one group in each cloud, every request paying a cloud's latency."""
    fakes.add_groups(["web-release"], 2)
    request = request_for("web-release", 2)
    with _closing(fakes.backends(CloudLatency(SEED))) as backends:
        # The first call builds each SDK's client (seconds for the Azure SDK on a busy machine): not measured, and
        # given the time it takes, so that what it finds is the world's problem, not the warm-up's.
        problems = validate(request, backends, deadline=60.0)
        if problems:  # the world is wrong: a figure of failing checks would mean nothing
            raise RuntimeError("deploy bench: validation found problems: " + "; ".join(problems))
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            validate(request, backends)
            times.append(time.perf_counter() - start)
    return [
        Figure("validation, 3 clouds (60-180 ms a request) p50", quantile(times, 0.5) * 1000, "ms", "<= 2,000 ms"),
        Figure("validation, 3 clouds (60-180 ms a request) p99", quantile(times, 0.99) * 1000, "ms", "<= 2,000 ms"),
    ]


def at_once_figures(fakes: Fakes, services: int, size: int, per_second: float) -> tuple[list[Figure], dict[str, str]]:
    """`services` services, one group per cloud each, all started at once through one shared RateLimiter."""
    names = [f"svc{n:02d}" for n in range(services)]
    fakes.add_groups(names, size)
    latency = CloudLatency(SEED + 1, limiter=RateLimiter(per_second))
    work = [c for name in names for c in changes(name, size)]
    with _closing(fakes.backends(latency)) as backends:
        start = time.perf_counter()
        handles = start_all(backends, work)
        seconds = time.perf_counter() - start
    busiest = {endpoint: busiest_second(times) for endpoint, times in latency.admitted.items()}
    sent = max(busiest_second(times) for times in latency.sent.values())
    requests = sum(len(times) for times in latency.sent.values())
    limit = f"<= {per_second:g}, the limit"
    figures = [
        Figure(f"{services} services x 3 clouds: all {len(work)} rollouts started", seconds * 1000, "ms"),
        Figure(f"{services} services x 3 clouds: requests sent", requests, "requests"),
        *(Figure(f"  busiest second admitted, {_short(endpoint)}", n, "requests", limit)
          for endpoint, n in sorted(busiest.items())),
        Figure("  busiest second as sent (threads' skew), any endpoint", sent, "requests", limit),
    ]  # fmt: skip
    return figures, handles


def _short(endpoint: str) -> str:
    """ "azure:11111111-1111-...:*" -> "azure:11111111": the cloud and the start of its account."""
    cloud, _, account = endpoint.partition(":")
    account = account.split(":")[0]
    return f"{cloud}:{account.split('-')[0] if len(account) > 16 else account}"


def aws_rollback_figures(fakes: Fakes, handles: dict[str, str], size: int, runs: int) -> list[Figure]:
    """RollbackInstanceRefresh of refreshes in flight (started by `at_once_figures`), each request paying latency."""
    rollouts = fakes.backends(CloudLatency(SEED + 2))[Cloud.AWS]
    assert isinstance(rollouts, AwsRollouts)
    aws = sorted(key.split("/")[0] for key in handles if key.endswith("/aws"))[:runs]
    times = []
    for name in aws:
        forward, back = changes(name, size)[0], changes(name, size, back=True)[0]
        rollouts.state(forward, handles[f"{name}/aws"])  # one batch on its way
        start = time.perf_counter()
        rollouts.roll_back(back, handles[f"{name}/aws"])
        times.append(time.perf_counter() - start)
    return [
        Figure("rollback initiation, AWS refresh in flight p50", quantile(times, 0.5) * 1000, "ms", "<= 5,000 ms"),
        Figure("rollback initiation, AWS refresh in flight p99", quantile(times, 0.99) * 1000, "ms", "<= 5,000 ms"),
    ]


def cloud_figures(*, validations: int, services: int, size: int, per_second: float, rollbacks: int) -> list[Figure]:
    with running_fakes() as fakes:
        figures = validation_figures(fakes, validations)
        at_once, handles = at_once_figures(fakes, services, size, per_second)
        return figures + aws_rollback_figures(fakes, handles, size, rollbacks) + at_once
