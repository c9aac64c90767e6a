"""`opsbot bench`: run each benchmark module's `run()` and print its figures. Never fails on a goal."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.figures import Figure

BENCHMARKS = (
    "parse",
    "conversation",
    "queue",
    "audit",
    "inventory",
    "search",
    "memory",
    "inventory_aws",
    "inventory_azure",
    "inventory_gcp",
    "clouds",
    "chat",
    "chat_telegram",
    "alerts",
    "voice_decode",
    "voice_recognition",
)


# The benchmarks reuse the tests' audio maker and loopback fakes: they run from a checkout.
_CHECKOUT = Path(__file__).resolve().parents[1]


def run_all(only: list[str]) -> list[Figure]:
    if str(_CHECKOUT) not in sys.path:
        sys.path.insert(0, str(_CHECKOUT))
    names = [n for n in BENCHMARKS if not only or n in only]
    unknown = sorted(set(only) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    figures: list[Figure] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        run: Callable[[], list[Figure]] = module.run
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        for figure in run():
            print("   " + figure.line(), flush=True)
            figures.append(figure)
        print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)
    return figures
