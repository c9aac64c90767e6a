"""Benchmark of the GCP backend's inventory read: the real google-cloud-compute clients against the loopback
Compute Engine fake with 2,000 instances (1,920 plain ones in four zones and 10 MIGs of 8), read as one
aggregated-list scope with the API's largest page (500). Measures what a refresh of one project costs on our
side (JSON parsing, proto conversion, Resource building) plus loopback HTTP; a real API adds its own latency."""

from __future__ import annotations

import statistics
import time

from google.auth.credentials import AnonymousCredentials

from actions.gcp import GcpBackend
from bench.figures import Figure
from core.cloud_config import GcpProject
from fakes.gcp_compute import FakeComputeApi

PROJECT = "bench-project"
ZONES = ("europe-west1-b", "europe-west1-c", "us-central1-a", "us-central1-b")
PLAIN, MIGS, MIG_SIZE, RUNS = 1920, 10, 8, 5


def _seed(fake: FakeComputeApi) -> None:
    for i, zone in enumerate(ZONES):
        fake.seed_instances(PROJECT, zone, PLAIN // len(ZONES), prefix=f"vm{i}", labels={"env": "prod"})
    for m in range(MIGS):
        fake.add_mig(PROJECT, ZONES[m % len(ZONES)], f"mig-{m:02d}", MIG_SIZE, running=MIG_SIZE - m % 3)


def run() -> list[Figure]:
    fake = FakeComputeApi(page_size=500).start()
    try:
        _seed(fake)
        backend = GcpBackend(
            [GcpProject(id=PROJECT)],
            compute_url=fake.url,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            timeout=30.0,
        )
        scope = backend.scopes()[0]
        backend.fetch(scope)  # warm-up: clients, credentials, connection
        times, count = [], 0
        for _ in range(RUNS):
            start = time.perf_counter()
            count = len(backend.fetch(scope))
            times.append(time.perf_counter() - start)
    finally:
        fake.stop()
    p50 = statistics.median(times)
    return [
        Figure("GCP fetch, 2,000 instances + 10 MIGs p50", p50 * 1000, "ms", "<= 2000 ms"),
        Figure("GCP fetch throughput", count / p50, "resources/s", ">= 1,000 resources/s"),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
