"""Where a simulated rollout is, as a pure function of what was recorded when it started and the clock, so every
process that reads the record from Redis tells the same story at the same moment.

A rollout replaces the group's instances that are not on the version yet (`todo`), in batches of
ceil(size x batch_percent / 100), each batch taking `batch_seconds`. A good version may have one hiccup: in one
batch late enough that a single instance stays within max_unhealthy_percent, one new instance fails its health
checks for a batch's time, then is replaced and the roll goes on. A version that fails on purpose
(`unhealthy=True`) launches its first batch and stops there with those instances unhealthy, status "rolling",
the way a Google MIG or an Azure rolling upgrade waits on health; after FAIL_AFTER_BATCHES batches' time the cloud
gives up and says "failed", as an AWS instance refresh does. The simulated world's time runs fast (a batch in about
a second), so the watcher's own judgement - which waits the strategy's warm-up, 60 s in the shipped manifest - does
not keep the demo waiting on a version that obviously fails."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from actions.deploy.model import RolloutState, RolloutStatus, Strategy

RolloutKind = Literal["deploy", "rollback"]
FAIL_AFTER_BATCHES = 3  # a version failing on purpose: launched, then two batches' time of failed health checks


class Rollout(BaseModel):
    """One group's rollout as stored in Redis (JSON): what started when, and when it was paused or stopped."""

    model_config = ConfigDict(frozen=True)

    handle: str
    kind: RolloutKind
    group: str
    from_version: str | None
    to_version: str
    strategy: Strategy
    size: int  # the group's instances when it started
    todo: tuple[str, ...]  # members to replace, in order (the others already run `to_version`)
    started_at: float
    paused_at: float | None = None  # set while paused
    paused_for: float = 0.0  # seconds spent paused before, not counted as rolling
    stopped_at: float | None = None  # cancelled (or superseded by a rollback) at
    applied: bool = False  # the world's group and members carry the outcome


@dataclass(frozen=True)
class Progress:
    state: RolloutState
    replaced: tuple[str, ...]  # members now on `to_version`, of `todo`
    done: bool  # every member of `todo` replaced


def batches(rollout: Rollout) -> list[tuple[str, ...]]:
    per = max(1, math.ceil(rollout.size * rollout.strategy.batch_percent / 100))
    return [rollout.todo[i : i + per] for i in range(0, len(rollout.todo), per)]


def hiccup_batch(seed: int, rollout: Rollout) -> int | None:
    """The batch in which one new instance is unhealthy for a while (deterministic from the seed), or None. Only
    a batch after enough replaced instances that one failing one stays within max_unhealthy_percent."""
    chunks = batches(rollout)
    limit = rollout.strategy.max_unhealthy_percent
    done_before = [sum(len(c) for c in chunks[:j]) for j in range(len(chunks))]
    eligible = [j for j, done in enumerate(done_before) if done * limit >= 100]
    digest = int(hashlib.sha256(f"{seed}:{rollout.group}:{rollout.to_version}".encode()).hexdigest()[:8], 16)
    if not eligible or digest % 3 == 0:  # two rollouts in three have one
        return None
    return eligible[(digest // 3) % len(eligible)]


def _active_seconds(rollout: Rollout, now: float) -> float:
    """Seconds the rollout has been rolling: paused time and time after a stop do not count."""
    end = min(t for t in (now, rollout.paused_at, rollout.stopped_at) if t is not None)
    return max(0.0, end - rollout.started_at - rollout.paused_for)


def progress(rollout: Rollout, now: float, *, batch_seconds: float, unhealthy: bool, hiccup: int | None) -> Progress:
    chunks, elapsed = batches(rollout), _active_seconds(rollout, now)
    replaced: list[str] = []
    failing: tuple[str, ...] = ()
    out_of_service = 0
    detail = ""
    begin = 0.0
    for index, chunk in enumerate(chunks):
        if unhealthy:
            if elapsed >= batch_seconds:  # launched: they never pass their health checks
                replaced.extend(chunk)
                failing = chunk
                detail = f"{_instances(len(chunk), 'new instance')} on {rollout.to_version} failing health checks"
            else:
                detail = f"batch 1 of {len(chunks)}: {_instances(len(chunk))} launching"
            out_of_service = _draining(rollout, len(chunk))
            break
        length = batch_seconds * (2 if index == hiccup else 1)
        if elapsed >= begin + length:
            replaced.extend(chunk)
            begin += length
            continue
        phase = elapsed - begin
        if index == hiccup and phase >= batch_seconds:
            failing = chunk[:1]
            detail = f"{chunk[0]} failing health checks on {rollout.to_version}: replacing it"
            out_of_service = 1  # the batch's others already serve; the failing one does not
        else:
            word = "launching" if phase < batch_seconds / 2 else "warming up"
            detail = f"batch {index + 1} of {len(chunks)}: {_instances(len(chunk))} {word}"
            out_of_service = _draining(rollout, len(chunk))
        break
    done = (not unhealthy or not rollout.todo) and len(replaced) == len(rollout.todo)
    updated = rollout.size - len(rollout.todo) + len(replaced)
    status = _status(rollout, done)
    if status == "rolling" and failing and unhealthy and elapsed >= FAIL_AFTER_BATCHES * batch_seconds:
        status = "failed"
        shown = ", ".join(failing[:3]) + (", ..." if len(failing) > 3 else "")
        detail = f"{_instances(len(failing), 'new instance')} failing health checks ({shown})"
    if done:
        detail = f"{rollout.size} of {rollout.size} instances on {rollout.to_version}"
        if rollout.size == 0:
            detail = f"no instances: the group's model now says {rollout.to_version}"
    elif status == "paused":
        detail = f"paused at {updated} of {rollout.size} instances on {rollout.to_version}"
    elif status == "cancelled":  # the batch in flight is abandoned; instances failing on the version stay so
        detail = f"stopped at {updated} of {rollout.size} instances on {rollout.to_version}"
        failing = failing if unhealthy else ()
        out_of_service = len(failing)
    state = RolloutState(
        status=status,
        percent=100 if rollout.size == 0 else updated * 100 // rollout.size,
        updated=updated,
        healthy=max(0, rollout.size - out_of_service),
        total=rollout.size,
        unhealthy=failing,
        detail=detail,
    )
    return Progress(state=state, replaced=tuple(replaced), done=done)


def _instances(count: int, noun: str = "instance") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _draining(rollout: Rollout, batch: int) -> int:
    """Old instances out of service while a batch replaces them: the surge launches first, and the cloud never
    goes below min_healthy_percent (it makes the batch wait instead)."""
    floor = math.ceil(rollout.size * rollout.strategy.min_healthy_percent / 100)
    return max(0, min(batch - rollout.strategy.surge, rollout.size - floor))


def _status(rollout: Rollout, done: bool) -> RolloutStatus:
    if done:
        return "rolled_back" if rollout.kind == "rollback" else "succeeded"
    if rollout.stopped_at is not None:
        return "cancelled"
    if rollout.paused_at is not None:
        return "paused"
    return "rolling_back" if rollout.kind == "rollback" else "rolling"
