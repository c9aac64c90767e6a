"""Approximate Azure pay-as-you-go list prices (USD per hour, Linux, East US), for cost estimates in replies.

Not a bill: a small built-in table so "what does web-dr cost" has an answer without the Retail Prices API.
Unknown sizes cost 0.0. Keys are lower case: ARM returns sizes in any case."""

from __future__ import annotations

from types import MappingProxyType

VM_PRICES: MappingProxyType[str, float] = MappingProxyType(
    {
        "standard_b1s": 0.0104,
        "standard_b1ms": 0.0207,
        "standard_b2s": 0.0416,
        "standard_b2ms": 0.0832,
        "standard_b4ms": 0.166,
        "standard_d2s_v3": 0.096,
        "standard_d4s_v3": 0.192,
        "standard_d8s_v3": 0.384,
        "standard_d16s_v3": 0.768,
        "standard_d2s_v5": 0.096,
        "standard_d4s_v5": 0.192,
        "standard_d8s_v5": 0.384,
        "standard_d16s_v5": 0.768,
        "standard_d2as_v5": 0.086,
        "standard_d4as_v5": 0.172,
        "standard_e2s_v5": 0.126,
        "standard_e4s_v5": 0.252,
        "standard_e8s_v5": 0.504,
        "standard_f2s_v2": 0.0846,
        "standard_f4s_v2": 0.169,
        "standard_f8s_v2": 0.338,
    }
)


def hourly_price(size: str) -> float:
    return VM_PRICES.get(size.lower(), 0.0)
