"""The words of DR in chat: a runbook's preview (each step, what it changes, how long it should take, where things
stand now) and the "dr status" lines. Plain functions of data, so a preview reads the same on every platform and a
test can read it without a world behind it."""

from __future__ import annotations

from actions.dr.model import RunbookRequest, RunbookRun
from actions.provider import Resource
from actions.wording import where
from core.durations import span
from policies.runbook_model import Do, Runbook, Step, Wait
from policies.runbook_params import fill, min_healthy
from workers.runbook_report import rto_seconds

_DRILL_NOTE = "Drill: every read and check runs; every change is simulated and timed. Nothing changes."


class Health:
    """How one group stands in the inventory: its size and how many of its instances run."""

    def __init__(self, name: str, group: Resource | None, members: list[Resource]) -> None:
        self.name = name
        self.group = group
        self.size = (group.count or 0) if group is not None else 0
        self.running = sum(1 for r in members if r.state == "running") if members else self._whole()

    def _whole(self) -> int:
        """A group listed without its instances: its own state speaks for all of them."""
        return self.size if self.group is not None and self.group.state == "running" else 0

    @property
    def where(self) -> str:
        if self.group is None:
            return "not in the inventory"
        return where(self.group.cloud, self.group.region)

    def line(self) -> str:
        if self.group is None:
            return f"{self.name}: not in the inventory"
        if self.size == 0:
            return f"{self.name} ({self.where}): 0 instances"
        return f"{self.name} ({self.where}): {self.running}/{self.size} running"


def health_of(name: str, resources: tuple[Resource, ...], by_name: dict[str, Resource]) -> Health:
    group = by_name.get(name)
    members = [r for r in resources if r.group == name]
    return Health(name, group, members)


def step_line(number: int, step: Step, request: RunbookRequest, runbook: Runbook) -> str:
    """ "3. Scale web-dr 0 -> 20 (about 3 min)": the step's own name and what it changes or waits for."""
    what = _what(step, request, runbook)
    named = step.name if not what else f"{step.name}: {what}"
    return f"{number}. {named}"


def _what(step: Step, request: RunbookRequest, runbook: Runbook) -> str:
    about = f"about {span(step.expect_seconds)}" if step.expect_seconds else ""
    if step.human:
        return f"{step.role or 'operator'} ticks it"
    if step.wait is not None:
        limit = f"up to {span(step.timeout_seconds)}"
        if step.wait is Wait.DNS_SETTLED:
            return f"until DNS is live ({limit})"
        group = request.standby if step.wait is Wait.STANDBY_HEALTHY else request.primary
        least = min_healthy(runbook, step)
        want = least if least is not None else _restored(request)
        return f"until {group} has {want} healthy ({limit})"
    changes = {
        Do.SCALE_STANDBY: f"{request.standby} {request.standby_size} -> {_restored(request)}",
        Do.SCALE_PRIMARY: f"{request.primary} {request.primary_size} -> {_restored(request)}",
        Do.DRAIN_PRIMARY: f"{request.primary} -> 0",
        Do.DRAIN_STANDBY: f"{request.standby} -> 0",
        Do.SWITCH_DNS: _dns_move(request, runbook),
        Do.HEALTH_CHECK: f"GET {fill(runbook, step.url or '')} expects {step.expect_status}",
        Do.POST: "to the incident channels",
    }
    change = changes[step.do] if step.do is not None else ""
    return ", ".join(part for part in (change, about) if part)


def _restored(request: RunbookRequest) -> int:
    """The size a scale step takes a group to: the larger of the two as asked (a failback: the standby's, which
    took over the primary's size), as workers.runbook_actions.restore_size scales."""
    return max(request.primary_size, request.standby_size)


def _dns_move(request: RunbookRequest, runbook: Runbook) -> str:
    name = runbook.dns.name if runbook.dns is not None else "DNS"
    to = runbook.standby if runbook.kind == "failover" else runbook.primary
    return f"{name} -> {to}"


def preview_text(
    head: str, runbook: Runbook, request: RunbookRequest, health: tuple[Health, Health], dns: str,
    checked: tuple[str | None, ...] = (),
) -> str:  # fmt: skip
    """The whole runbook before it runs: the head line (the plan), each step, then where things stand now (and
    the preconditions and replication lag, `checked`)."""
    lines = [head, f"Runbook {runbook.name} ({len(runbook.steps)} steps, about {span(runbook.expected_seconds)}):"]
    lines += [f"  {step_line(i, s, request, runbook)}" for i, s in enumerate(runbook.steps, start=1)]
    primary, standby = health
    lines.append(f"Now: {primary.line()}; {standby.line()}; {dns}")
    lines += [line for line in checked if line]
    if request.kind == "drill":
        lines.append(_DRILL_NOTE)
    return "\n".join(lines)


def dns_words(runbook: Runbook, pointing: tuple[str, ...] | None, problem: str | None) -> str:
    """ "DNS www.wedding.example. -> web-prod", or why it could not be read."""
    if runbook.dns is None:
        return "no DNS name in the runbook"
    if pointing is None:
        return f"DNS {runbook.dns.name}: {problem or 'not read'}"
    return f"DNS {runbook.dns.name} -> {', '.join(pointing) or 'nowhere'}"


def status_block(
    runbook: Runbook, health: tuple[Health, Health], drill: RunbookRun | None, dns: str, lag: str | None = None
) -> str:
    """One protected service in "dr status": standby capacity against the primary, the last drill, the
    replication lag (when a check defines it), DNS."""
    primary, standby = health
    lines = [f"{runbook.service}: {runbook.primary} -> {runbook.standby}"]
    lines.append(f"  standby {standby.size} of {primary.size} instances ({primary.line()}; {standby.line()})")
    if drill is None:
        lines.append(f"  no drill yet: dr drill {runbook.primary}")
    else:
        result = "passed" if drill.state == "succeeded" else drill.state
        lines.append(f"  last drill #{drill.id} {result}, RTO about {span(rto_seconds(drill))}")
    if lag is not None:
        lines.append(f"  {lag}")
    lines.append(f"  {dns}")
    return "\n".join(lines)
