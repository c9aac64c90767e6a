"""Benchmark of the Azure backend's inventory read: the real azure-mgmt-compute client against the loopback
fake ARM over HTTPS, 2,000 VMs and 10 scale sets of 5, pages of 100 (two VM listings, one member list per
set). Measures the client side (paging, TLS, deserialisation, conversion); the real ARM adds its latency."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import trustme
from azure.core.credentials import AccessToken

from actions.azure import AzureBackend
from bench.figures import Figure
from core.cloud_config import AzureSubscription

SUBSCRIPTION = "11111111-1111-4111-8111-111111111111"
VMS, SCALE_SETS, SET_SIZE, PAGE, RUNS = 2000, 10, 5, 100, 5


class _Token:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("test-token", int(time.time()) + 3600)


def run() -> list[Figure]:
    from fakes.azure_arm import FakeArm

    ca = trustme.CA()
    arm = FakeArm(ca, page_size=PAGE)
    try:
        for i in range(VMS):
            power = "deallocated" if i % 7 == 0 else "running"
            arm.add_vm(SUBSCRIPTION, f"rg-{i % 20}", f"vm-{i:04d}", power=power, tags={"env": "prod"})
        for i in range(SCALE_SETS):
            arm.add_scale_set(SUBSCRIPTION, "rg-web", f"web-{i}", SET_SIZE)
        with tempfile.TemporaryDirectory() as tmp:
            ca_path = str(Path(tmp) / "ca.pem")
            ca.cert_pem.write_to_path(ca_path)
            backend = AzureBackend(
                [AzureSubscription(id=SUBSCRIPTION, name="bench")], arm_url=arm.url, credential=_Token(),
                timeout=30.0, connection_verify=ca_path,
            )  # fmt: skip
            scope = backend.scopes()[0]
            count = len(backend.fetch(scope))  # warm-up: connection, token, imports
            arm.requests.clear()
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                backend.fetch(scope)
                times.append(time.perf_counter() - start)
            requests = len(arm.requests) / RUNS
            backend.close()
    finally:
        arm.close()
    p50 = statistics.median(times)
    return [
        Figure(f"azure fetch ({count:,} resources) p50", p50 * 1000, "ms", "<= 5000 ms"),
        Figure("azure fetch throughput", count / p50, "resources/s"),
        Figure("azure fetch requests per refresh", requests, "requests"),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
