"""Pending confirmations in Redis: single-use (an atomic compare-and-set claims one), bound to the
requester (or the approver role), the conversation and a hash of the exact parameters, and expiring.

A record outlives its expiry by a day so a late press is told "expired" or "already used by X"
rather than a bare "unknown"."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Literal

import redis
from pydantic import Field, PrivateAttr

from actions.deploy.model import DeployRequest
from actions.dr.model import RunbookRequest
from audit.log import JsonScalar
from core.models import ActionRequest, ConversationRef, Frozen, Risk

KEY = "opsbot:confirm:"
LATEST = "opsbot:confirm:latest:"  # per conversation: the newest confirmation's code, until it is used
OPEN = "opsbot:confirm-open"  # sorted set: open codes by expiry time, for the sweeper
GRACE_SECONDS = 86_400
# Read off a phone and typed back: no 0/O or 1/I/L, and letters alternate with digits ("K7Q2M9") so a
# code never reads as a word.
_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"
_DIGITS = "23456789"

_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""


class BudgetChange(Frozen):
    """A change of opsbot's own configuration, a monthly budget set from chat, confirmed like a cloud change: its
    hash binds the confirmation to the scope, the amount and the budget it replaces (changed meanwhile: refused)."""

    budget_scope: str  # "all", "aws", "prod", "team:payments"
    monthly: float = Field(ge=0)
    previous: float | None  # the budget it replaces (None: there was none)
    requested_by: str

    @property
    def params_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"requested_by"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class RunbookAbort(Frozen):
    """Stopping a running runbook and undoing its completed steps: asked for with its own confirmation (an abort
    changes the infrastructure back), bound to the run and the step it was on when asked."""

    run: int = Field(ge=1)
    label: str  # "failover 4"
    service: str
    step: int = Field(ge=0)  # where the run was when the abort was asked
    requested_by: str

    @property
    def params_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"requested_by"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# A deploy or rollback: conversation.deploys; a runbook run (failover, failback, drill) or its abort: conversation.dr.
Confirmable = ActionRequest | BudgetChange | DeployRequest | RunbookRequest | RunbookAbort


def request_params(request: Confirmable) -> dict[str, JsonScalar]:
    """A request as the audit's flat parameters (a deploy's groups as one list of names, their versions too)."""
    if not isinstance(request, DeployRequest):
        return request.model_dump(mode="json")
    froms = sorted({g.from_version or "unknown" for g in request.groups})
    return {
        "action": request.kind,
        "service": request.service,
        "environment": request.environment,
        "version": request.version,
        "from_versions": ",".join(froms),
        "groups": ",".join(g.group for g in request.groups),
        "instances": sum(g.size for g in request.groups),
        "rollback_of": request.rollback_of,
        "freeze_override": request.freeze_override,
        "requested_by": request.requested_by,
    }


class Pending(Frozen):
    code: str
    request: Confirmable
    params_hash: str
    plan_summary: str
    ref: ConversationRef
    requester: str
    risk: Risk
    approver_role: str | None  # critical: a different person holding this role must confirm
    reply_key: str  # the message that shows the confirmation, edited when it is settled
    created_at: float
    expires_at: float
    status: Literal["open", "confirmed", "cancelled", "expired"] = "open"
    closed_by: str | None = None
    closed_at: float | None = None
    _stored: bytes | None = PrivateAttr(default=None)  # exactly as read: what the atomic claim compares

    def expired(self, now: float) -> bool:
        return self.status == "open" and now >= self.expires_at


class ConfirmationStore:
    def __init__(self, connection: redis.Redis, ttl_seconds: int) -> None:
        self._redis = connection
        self.ttl_seconds = ttl_seconds
        self._claim = connection.register_script(_CLAIM)

    def create(
        self,
        *,
        request: Confirmable,
        plan_summary: str,
        ref: ConversationRef,
        risk: Risk,
        approver_role: str | None,
        reply_key: str,
    ) -> Pending:
        now = time.time()
        for _ in range(8):
            code = "".join(secrets.choice(_LETTERS) + secrets.choice(_DIGITS) for _ in range(3))
            pending = Pending(
                code=code,
                request=request,
                params_hash=request.params_hash,
                plan_summary=plan_summary,
                ref=ref,
                requester=request.requested_by,
                risk=risk,
                approver_role=approver_role,
                reply_key=reply_key,
                created_at=now,
                expires_at=now + self.ttl_seconds,
            )
            if self._redis.set(KEY + code, pending.model_dump_json(), nx=True, ex=self.ttl_seconds + GRACE_SECONDS):
                # Kept past the expiry, like the record: a late "yes" is told "expired", not "nothing here".
                self._redis.set(_latest_key(ref), code, ex=self.ttl_seconds + GRACE_SECONDS)
                self._redis.zadd(OPEN, {code: pending.expires_at})
                return pending
        raise RuntimeError("could not allocate a confirmation code")  # 6 million codes: practically unreachable

    def get(self, code: str) -> Pending | None:
        raw = self._redis.get(KEY + code.strip().upper())
        if raw is None:
            return None
        pending = Pending.model_validate_json(raw)
        pending._stored = raw if isinstance(raw, bytes) else str(raw).encode()
        return pending

    def latest(self, ref: ConversationRef) -> Pending | None:
        """The newest confirmation of a conversation that was neither confirmed nor cancelled, for a plain "yes"
        (an expired one too: the answer then says it expired)."""
        code = self._redis.get(_latest_key(ref))
        if code is None:
            return None
        pending = self.get(code.decode() if isinstance(code, bytes) else str(code))
        return pending if pending is not None and pending.status in ("open", "expired") else None

    def close(self, pending: Pending, status: Literal["confirmed", "cancelled", "expired"], by: str) -> Pending | None:
        """Atomically move an open confirmation to `status`. Returns the closed record, or None when
        someone else closed it first (two presses at once: exactly one wins)."""
        closed = pending.model_copy(update={"status": status, "closed_by": by, "closed_at": time.time()})
        expected = pending._stored if pending._stored is not None else pending.model_dump_json().encode()
        won = self._claim(keys=[KEY + pending.code], args=[expected, closed.model_dump_json()])
        if int(won) != 1:
            return None
        self._redis.zrem(OPEN, pending.code)
        latest = _latest_key(pending.ref)
        if status != "expired" and self._redis.get(latest) == pending.code.encode():
            self._redis.delete(latest)
        return closed

    def overdue(self, now: float, limit: int = 100) -> list[Pending]:
        """Open confirmations past their expiry, oldest first (for the sweeper)."""
        codes = self._redis.zrangebyscore(OPEN, 0, now, start=0, num=limit)
        found = []
        for raw in codes:
            code = raw.decode() if isinstance(raw, bytes) else str(raw)
            pending = self.get(code)
            if pending is None or pending.status != "open":
                self._redis.zrem(OPEN, code)  # gone or settled elsewhere
            else:
                found.append(pending)
        return found


def _latest_key(ref: ConversationRef) -> str:
    return f"{LATEST}{ref.channel}:{ref.conversation_id}:{ref.thread_id or ''}"
