"""A runbook run as data: the request an approval binds to, and the record of each step as it runs."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import Field

from core.models import ConversationRef, Frozen

RunKind = Literal["run", "drill"]  # a drill: every read and check runs, every change is simulated and timed


class RunbookRequest(Frozen):
    """Exactly what will run: the runbook (by name and the hash of its file's content, so an edited runbook is not
    run on an old approval), the groups' sizes and where DNS pointed as the preview showed them."""

    runbook: str  # its name ("web-failover")
    runbook_hash: str  # sha256 of the runbook as loaded
    kind: RunKind
    service: str
    primary: str
    standby: str
    primary_size: int = Field(ge=0)  # instances when asked: what the standby scales to
    standby_size: int = Field(ge=0)
    dns_pointing: str | None = None  # where the name pointed when asked
    incident: int | None = None  # the incident it runs for, when there is one
    # A drill's: why its failing preconditions would refuse a real run, "; " between them (flat for the audit).
    preconditions_failed: str | None = None
    requested_by: str

    @property
    def params_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"requested_by"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


StepStatus = Literal["pending", "running", "waiting", "done", "failed", "skipped", "undoing", "undone"]
RunState = Literal["running", "paused", "waiting_human", "aborting", "aborted", "succeeded", "failed"]
RUN_FINISHED: frozenset[str] = frozenset({"aborted", "succeeded", "failed"})


class StepRun(Frozen):
    status: StepStatus = "pending"
    started_at: float | None = None
    finished_at: float | None = None
    by: str | None = None  # who ticked a human step
    detail: str = ""  # one line: "web-dr 12/12 healthy", "DNS INSYNC after 31 s", "HTTP 200 in 84 ms"
    # What the step remembers between ticks and for its undo (check-then-act): "dns_change", "dns_before",
    # "size_before" ...; strings only, so the record stays plain JSON.
    memo: dict[str, str] = Field(default_factory=dict)


class RunbookRun(Frozen):
    id: int = Field(ge=1)  # the number people use ("failover 4")
    request: RunbookRequest
    state: RunState = "running"
    step: int = Field(default=0, ge=0)  # the step being run (== len(steps) once all ran)
    steps: tuple[StepRun, ...]
    ref: ConversationRef  # where it was asked: its checklist message lives there
    reply_key: str  # the checklist message, edited as steps start and finish
    channels: tuple[ConversationRef, ...] = ()  # the incident channels that get the status broadcasts
    approved_by: str | None = None
    created_at: float
    finished_at: float | None = None
    failure: str | None = None  # why it failed or was aborted, one line
    paused_by: str | None = None
    aborted_by: str | None = None
    last_broadcast: float | None = None
    milestones: tuple[str, ...] = ()  # broadcasts and replies already sent ("start", "step 3 failed", "end")

    @property
    def finished(self) -> bool:
        return self.state in RUN_FINISHED


class StepOutcome(Frozen):
    """What one look at the current step found (workers.runbook_steps)."""

    status: Literal["done", "waiting", "failed"]
    detail: str = ""
    memo: dict[str, str] = Field(default_factory=dict)  # merged into the step's memo
