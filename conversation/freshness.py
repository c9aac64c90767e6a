"""How old the data behind a read answer is (`find`, `show`, `cost`), said the way status says it: a warning on
top when it is older than two refresh periods, a source never read named with why, and the age at the end.
The simulated world is always current and has no sources: nothing is added to its answers."""

from __future__ import annotations

import time
from typing import NamedTuple

from actions.provider import Snapshot
from actions.queries.status import Scope, source_problems
from conversation.status import WARN_AFTER_PERIODS, places, problem_line, warning_line
from core.durations import span
from core.models import Cloud


class Freshness(NamedTuple):
    warnings: tuple[str, ...]  # above the answer: "WARNING: AWS prod us-east-1: data 12 min old - ..."
    missing: tuple[str, ...]  # sources never read: "! AWS prod eu-west-1: no data yet - ..."
    footer: str | None  # below the answer: "Data 40 s old." (None: the simulated world, or nothing read)
    nothing_read: bool  # no source has ever been read: an empty answer means "no data", not "nothing"

    def around(self, text: str) -> str:
        """`text` with the warnings above it and the sources without data and the age below it."""
        return "\n".join([*self.warnings, text, *self.missing, *([self.footer] if self.footer else [])])

    def no_data(self) -> str:
        """The answer when nothing has been read yet: what there is instead of "nothing found"."""
        return "\n".join(["No data yet: nothing has been read from the clouds.", *self.missing])


def freshness(
    snapshot: Snapshot, refresh_seconds: float, cloud: Cloud | None = None, region: str | None = None
) -> Freshness:
    """The freshness of `snapshot`'s sources: of `cloud` when given, and of its `region` when a source is named
    for it (an Azure subscription covers every region: then the cloud's)."""
    now = time.time()
    sources = [s for s in snapshot.sources if cloud is None or s.cloud == cloud]
    in_region = [s for s in sources if region is not None and s.label.endswith(f" {region}")]
    sources = in_region or sources
    if not sources:
        return Freshness((), (), None, nothing_read=False)
    stale_after = refresh_seconds * WARN_AFTER_PERIODS
    problems = [
        p
        for c in dict.fromkeys(s.cloud for s in sources)
        for p in source_problems(c, [s for s in sources if s.cloud == c], now, stale_after)
    ]
    warnings = tuple(warning_line(p, now) for p in problems if p.kind == "stale_data")
    missing = tuple(problem_line(p, Scope()) for p in problems if p.kind == "no_data")
    read = [s.fetched_at for s in sources if s.fetched_at is not None]
    if not read:
        return Freshness(warnings, missing, None, nothing_read=True)
    failing = [s.label for s in sources if s.error and s.fetched_at is not None]
    footer = f"Data {span(now - min(read))} old" + (f"; {places(tuple(failing))} unreachable" if failing else "") + "."
    return Freshness(warnings, missing, footer, nothing_read=False)
