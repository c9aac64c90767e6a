"""Reading DR state for chat: where a runbook's DNS name points (within a deadline), which runbooks can run in this
world, and "dr status" - per protected service the standby's capacity against the primary's, the last drill and its
RTO, the replication lag where a check defines it, and where DNS points."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from actions.simulated import SimulatedCloud
from conversation.dr_checks import lag_of, lag_words
from conversation.dr_text import dns_words, health_of, status_block
from conversation.replies import reply
from conversation.services import Index, Services
from core.errors import OpsbotError
from core.models import Message, Reply
from policies.runbook_model import Runbook

DNS_DEADLINE = 1.0  # seconds: a preview or "dr status" says "not read" rather than wait on a slow DNS API
_READERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dr-dns-read")


def read_dns(services: Services, runbook: Runbook) -> tuple[tuple[str, ...] | None, str | None]:
    """Where the runbook's name points, read within DNS_DEADLINE; (None, why) when it could not be read."""
    target = runbook.dns
    if target is None:
        return None, None
    try:
        switch = services.dns.get(target.cloud)
        if switch is None:
            return None, f"no DNS switch for {target.cloud.value if target.cloud else 'the simulated world'}"
        state = _READERS.submit(switch.read, target).result(timeout=DNS_DEADLINE)
    except FutureTimeout:
        return None, f"not read within {DNS_DEADLINE:g} s"
    except OpsbotError as exc:
        return None, str(exc)
    return state.pointing, None


def usable(services: Services) -> dict[str, Runbook]:
    """The runbooks that can run in this world: all in the simulated one; with real clouds, those whose DNS (if
    any) is a real cloud's. Raises ConfigError when the runbook files do not load."""
    simulated = isinstance(services.provider, SimulatedCloud)
    return {n: r for n, r in services.runbooks.items() if simulated or r.dns is None or r.dns.cloud is not None}


def status(services: Services, msg: Message) -> Reply:
    """Each protected service (its failover runbook): standby against primary, the last drill, the replication
    lag, where DNS points."""
    try:
        runbooks = [r for r in usable(services).values() if r.kind == "failover"]
    except OpsbotError as exc:
        return reply(msg.ref, str(exc), kind="error")
    if not runbooks:
        return reply(msg.ref, "No service has a failover runbook (OPSBOT_RUNBOOKS names their folder).")
    index = services.index(services.provider.snapshot())
    blocks = [_block(services, r, index) for r in sorted(runbooks, key=lambda r: r.service)]
    return reply(msg.ref, f"DR status, {len(blocks)} protected:\n" + "\n".join(blocks), kind="result")


def _block(services: Services, runbook: Runbook, index: Index) -> str:
    health = (health_of(runbook.primary, index.resources, index.by_name),
              health_of(runbook.standby, index.resources, index.by_name))  # fmt: skip
    pointing, problem = read_dns(services, runbook)
    return status_block(runbook, health, services.runs.last_drill(runbook.service),
                        dns_words(runbook, pointing, problem), lag_words(runbook, lag_of(runbook)))  # fmt: skip
