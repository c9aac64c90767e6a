"""Approximate AWS list prices (USD, us-east-1, Linux on-demand), enough to show what a change costs.

Not a billing source: Cost Explorer (`costs.py`) answers "what did we spend". Unknown types cost 0.0 rather
than a guess, so a plan never invents a figure."""

from __future__ import annotations

from types import MappingProxyType

HOURS_PER_MONTH = 730.0

INSTANCE_HOURLY: MappingProxyType[str, float] = MappingProxyType(
    {
        "t3.micro": 0.0104,
        "t3.small": 0.0208,
        "t3.medium": 0.0416,
        "t3.large": 0.0832,
        "t3.xlarge": 0.1664,
        "t4g.medium": 0.0336,
        "t4g.large": 0.0672,
        "m5.large": 0.096,
        "m5.xlarge": 0.192,
        "m5.2xlarge": 0.384,
        "m5.4xlarge": 0.768,
        "m6i.large": 0.096,
        "m6i.xlarge": 0.192,
        "m6i.2xlarge": 0.384,
        "m6g.large": 0.077,
        "m7i.large": 0.1008,
        "c5.large": 0.085,
        "c5.xlarge": 0.17,
        "c5.2xlarge": 0.34,
        "c6i.large": 0.085,
        "c6i.xlarge": 0.17,
        "c7g.large": 0.0725,
        "r5.large": 0.126,
        "r5.xlarge": 0.252,
        "r6i.large": 0.126,
        "r6i.xlarge": 0.252,
        "r6g.large": 0.1008,
    }
)

# EBS, USD per GiB-month.
VOLUME_GIB_MONTH: MappingProxyType[str, float] = MappingProxyType(
    {"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015, "standard": 0.05}
)


def instance_hourly(instance_type: str) -> float:
    return INSTANCE_HOURLY.get(instance_type, 0.0)


def volume_hourly(volume_type: str, size_gib: int) -> float:
    return round(VOLUME_GIB_MONTH.get(volume_type, 0.0) * size_gib / HOURS_PER_MONTH, 6)
