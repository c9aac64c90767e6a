"""The one way a test waits for something another thread or process does: `eventually(check)`.

It polls `check` every `every` seconds until it returns something truthy, and returns that value, so a test can wait
for and take a reply in one line. After `timeout` seconds it fails with `what` and, if given, `seen()` - what there
was instead - so a failure says what was missing. The timeout is only a safety net for a broken build: a passing test
never waits for it, and no test asserts how long something took (benchmarks measure that).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T | None],
    timeout: float = 15.0,
    what: str = "condition",
    *,
    every: float = 0.02,
    seen: Callable[[], object] | None = None,
) -> T:
    """`check()`'s first truthy value; AssertionError naming `what` if none comes within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() >= deadline:
            tail = f"; seen: {seen()}" if seen is not None else ""
            raise AssertionError(f"{what}: not within {timeout:g} s{tail}")
        time.sleep(every)
