"""A runbook's preconditions, checked once before its preview is shown, and the replication lag "dr status" shows.
A failing precondition refuses a failover or a failback in one line that names it and why ("Cannot fail over web:
precondition failed - DNS points at web-dr, not web-prod."); a drill is a rehearsal, so its preview lists what would
have refused a real run and the drill goes on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from actions.deploy.model import DeployRecord
from actions.dr.replication import read_lag
from actions.provider import Resource
from core.errors import OpsbotError
from policies.runbook_model import Precondition, Runbook
from policies.runbook_params import fill

_VERBS = {"failover": "fail over", "failback": "fail back"}


@dataclass(frozen=True)
class Lag:
    """The replication lag as read: seconds, or why it could not be read."""

    seconds: float | None
    why: str | None = None


@dataclass(frozen=True)
class Facts:
    """What the preconditions are judged on, read once for the preview."""

    primary: Resource | None
    standby: Resource | None
    pointing: tuple[str, ...] | None  # where DNS points (place names); None: not read
    dns_problem: str | None
    deploys: Sequence[DeployRecord]  # the deploys running now
    lag: Lag | None  # None: the runbook has no replication check


def lag_of(runbook: Runbook) -> Lag | None:
    """The replication lag of the runbook's check, None when it has none."""
    check = runbook.replication
    if check is None:
        return None
    try:
        return Lag(read_lag(fill(runbook, check.url), check.field))
    except OpsbotError as exc:
        return Lag(None, str(exc))


def lag_words(runbook: Runbook, lag: Lag | None) -> str | None:
    """ "replication lag 4 s (limit 30 s)", "... ABOVE the limit", or "replication lag: not read - why"."""
    if runbook.replication is None or lag is None:
        return None
    limit = f"limit {runbook.replication.limit_seconds:g} s"
    if lag.seconds is None:
        return f"replication lag: not read - {lag.why}"
    above = " - above the limit" if lag.seconds >= runbook.replication.limit_seconds else ""
    return f"replication lag {lag.seconds:.0f} s ({limit}){above}"


def failures(runbook: Runbook, facts: Facts) -> list[str]:
    """Why each precondition that does not hold fails, in the runbook's order; empty when all hold."""
    return [why for condition in runbook.preconditions if (why := _why_not(condition, runbook, facts))]


def refusal(runbook: Runbook, failed: list[str]) -> str:
    more = f" (and {len(failed) - 1} more: {'; '.join(failed[1:])})" if len(failed) > 1 else ""
    return f"Cannot {_VERBS[runbook.kind]} {runbook.service}: precondition failed - {failed[0]}.{more}"


def preview_line(runbook: Runbook, failed: list[str], *, drill: bool) -> str | None:
    """The preview's line on the preconditions: all held, or (a drill) what would have refused a real run."""
    if not runbook.preconditions:
        return None
    if not failed:
        return f"Preconditions: all {len(runbook.preconditions)} hold."
    if not drill:
        return None  # a run with a failing precondition is refused before any preview
    return f"Preconditions: {len(failed)} failed - a real {_VERBS[runbook.kind]} would be refused: {'; '.join(failed)}."


def _why_not(condition: Precondition, runbook: Runbook, facts: Facts) -> str | None:
    if condition is Precondition.STANDBY_EXISTS:
        return None if facts.standby is not None else f"{runbook.standby} is not in the inventory"
    if condition in (Precondition.PRIMARY_HAS_INSTANCES, Precondition.STANDBY_HAS_INSTANCES):
        name, group = (
            (runbook.primary, facts.primary)
            if condition is Precondition.PRIMARY_HAS_INSTANCES
            else (runbook.standby, facts.standby)
        )
        return None if group is not None and (group.count or 0) > 0 else f"{name} has no instances"
    if condition in (Precondition.DNS_POINTS_AT_PRIMARY, Precondition.DNS_POINTS_AT_STANDBY):
        want = runbook.primary if condition is Precondition.DNS_POINTS_AT_PRIMARY else runbook.standby
        if facts.pointing is None:
            return f"DNS not read ({facts.dns_problem or 'no answer'})"
        if tuple(facts.pointing) == (want,):
            return None
        return f"DNS points at {', '.join(facts.pointing) or 'nowhere'}, not {want}"
    if condition is Precondition.NO_DEPLOY_RUNNING:
        return _deploy_running(runbook, facts.deploys)
    return _lag_problem(runbook, facts.lag)


def _deploy_running(runbook: Runbook, deploys: Sequence[DeployRecord]) -> str | None:
    groups = {runbook.primary, runbook.standby}
    for record in deploys:
        if record.request.service == runbook.service or groups & {g.group for g in record.request.groups}:
            return f"deploy {record.id} of {record.request.service} is running"
    return None


def _lag_problem(runbook: Runbook, lag: Lag | None) -> str | None:
    if runbook.replication is None or lag is None:
        return "no replication check in the runbook"
    if lag.seconds is None:
        return f"replication lag not read ({lag.why})"
    if lag.seconds >= runbook.replication.limit_seconds:
        return f"replication lag {lag.seconds:.0f} s is above {runbook.replication.limit_seconds:g} s"
    return None
