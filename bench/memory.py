"""Peak resident memory of a new user's first questions: the real `opsbot shell` with the embedded defaults
(in-memory Redis, the 10,000-resource simulated world), asked `status` then `find web`.

The peak, not the memory at the end: the search index is built in a burst, and the peak is what a small machine
must have free. It is the child's own high-water mark, read with os.wait4 when it exits, so processes that other
benchmarks started do not count (RUSAGE_CHILDREN would take their maximum). It runs before the other benchmarks:
on Linux a child's high-water mark starts at its parent's, so a parent grown by them would show. A shell that
starts and quits at once shows the share of the imports and the simulated world. MB here are MiB, as ru_maxrss
counts KiB."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.figures import Figure

RUNS = 3
FIRST_QUESTIONS = "status\nfind web\n"


def _opsbot() -> list[str]:
    """The installed command beside this interpreter; from a bare checkout, the same entry point through -c."""
    script = Path(sys.executable).parent / "opsbot"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from bot.cli import main; main()"]


def _peak_mb(stdin: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}  # the embedded defaults
    with tempfile.TemporaryDirectory() as tmp:
        env["OPSBOT_DATA_DIR"] = str(Path(tmp) / "data")
        proc = subprocess.Popen(
            [*_opsbot(), "shell"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
        output = proc.stdout.read().decode(errors="replace")  # to the end: the shell has answered and exited
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)  # reaps it here, with its own rusage
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        last = output.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"opsbot shell exited with {proc.returncode}: {last[0]}")
    return usage.ru_maxrss / 1024


def run() -> list[Figure]:
    asked = statistics.median(_peak_mb(FIRST_QUESTIONS) for _ in range(RUNS))
    started = statistics.median(_peak_mb("/quit\n") for _ in range(RUNS))
    return [
        Figure("opsbot shell peak RSS: status + find web (10k)", asked, "MB", "<= 120 MB"),
        Figure("opsbot shell peak RSS: start and quit (10k)", started, "MB"),
    ]
