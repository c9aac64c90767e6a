"""Approximate Compute Engine list prices (USD per hour, us-central1, on-demand, Linux), enough to show what a
change costs. Not a billing source; unknown machine types cost 0.0 rather than a guess."""

from __future__ import annotations

from types import MappingProxyType

MACHINE_HOURLY: MappingProxyType[str, float] = MappingProxyType(
    {
        "e2-micro": 0.0084,
        "e2-small": 0.0168,
        "e2-medium": 0.0335,
        "e2-standard-2": 0.067,
        "e2-standard-4": 0.134,
        "e2-standard-8": 0.268,
        "e2-highmem-2": 0.0904,
        "e2-highmem-4": 0.1809,
        "n1-standard-1": 0.0475,
        "n1-standard-2": 0.095,
        "n1-standard-4": 0.19,
        "n1-standard-8": 0.38,
        "n2-standard-2": 0.0971,
        "n2-standard-4": 0.1942,
        "n2-standard-8": 0.3885,
        "n2-highmem-4": 0.262,
        "n2d-standard-2": 0.0845,
        "n2d-standard-4": 0.169,
        "t2d-standard-2": 0.0845,
        "c2-standard-4": 0.2088,
        "c2-standard-8": 0.4176,
        "c3-standard-4": 0.2014,
        "c3-standard-8": 0.4028,
    }
)


def machine_hourly(machine_type: str) -> float:
    return MACHINE_HOURLY.get(machine_type, 0.0)
