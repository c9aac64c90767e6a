"""Checking a deploy against the clouds before anything changes: every group's `RolloutBackend.check` at once
(the image or template there, the instance type offered, quota for the surge, the group healthy enough), so a
service across three clouds is checked in the time of its slowest cloud, and never longer than the deadline: a
cloud that has not answered by then is one line, not a wait."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

from actions.deploy.model import DeployRequest, GroupChange, RolloutBackend
from actions.wording import CLOUD_LABELS
from core.errors import ProviderError
from core.models import Cloud

MAX_THREADS = 32  # checks at once; a request has a handful of groups, a big one a few dozen


def validate(request: DeployRequest, backends: Mapping[Cloud, RolloutBackend], *, deadline: float = 2.0) -> list[str]:
    """What stops `request` from starting, one line each, in the order of its groups; empty when nothing does.
    A cloud without a backend, a check that raised ProviderError, and a cloud that did not answer within
    `deadline` seconds are lines too. Waits at most `deadline`: a late check goes on in its thread, unheard."""
    found: list[tuple[int, str]] = []
    pending: dict[Future[list[str]], tuple[int, GroupChange]] = {}
    pool = ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(request.groups)), thread_name_prefix="deploy-check")
    try:
        for index, change in enumerate(request.groups):
            backend = backends.get(change.cloud)
            if backend is None:
                found.append((index, f"No {CLOUD_LABELS[change.cloud]} account is configured for {change.group}."))
            else:
                pending[pool.submit(backend.check, change)] = (index, change)
        done, late = wait(pending, timeout=deadline)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for future in done:
        index, change = pending[future]
        try:
            found.extend((index, line) for line in future.result())
        except ProviderError as exc:
            found.append((index, str(exc)))
    found.extend(_unanswered([pending[future] for future in late], deadline))
    return [line for _, line in sorted(found, key=lambda item: item[0])]


def _unanswered(late: list[tuple[int, GroupChange]], deadline: float) -> list[tuple[int, str]]:
    """One line per cloud that did not answer, at its first group: "AWS did not answer in 2 s for web-prod,
    web-canary: try again"."""
    by_cloud: dict[Cloud, list[tuple[int, str]]] = {}
    for index, change in sorted(late, key=lambda item: item[0]):
        by_cloud.setdefault(change.cloud, []).append((index, change.group))
    lines = []
    for cloud, groups in by_cloud.items():
        names = ", ".join(group for _, group in groups)
        lines.append((groups[0][0], f"{CLOUD_LABELS[cloud]} did not answer in {deadline:g} s for {names}: try again"))
    return lines
