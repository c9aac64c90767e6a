"""`RolloutBackend` for Google Cloud: a zonal managed instance group (MIG) rolled to a new instance template.

A MIG update is declared, not run: instanceGroupManagers.patch sets the group's `versions` and `updatePolicy`,
and Compute Engine converges on them by itself. So the rollout's whole state is in the group, and the handle only
says what was asked: "<kind>:<template name>", kind "deploy", "canary" or "rollback". A worker that died can call
`start` again (it finds the group already on its way and returns the same handle) and any worker reads `state`.

Strategy -> update policy: type PROACTIVE, minimalAction REPLACE, replacementMethod SUBSTITUTE, maxSurge fixed
`surge`, maxUnavailable fixed from `min_healthy_percent` (at most one `batch_percent` batch). `warmup_seconds` has
no v1 field (minReadySec is in the beta API only): a new instance is ready when the group's autohealing health
check says so (its initialDelaySec is the warm-up).

Canary (`canary_percent`): `start` declares two versions - the running template, and the new one with targetSize
`canary_percent`% - and returns a "canary:" handle. Once the canary instances are up, `state` says "paused" with
"canary 10% healthy: resume to go on" (or "failed" when they fail their health checks). `resume` then declares the
new template alone, which rolls the rest: a person (or the watcher) decides to go on, as with any paused deploy.

Pause = updatePolicy OPPORTUNISTIC (nothing more is replaced; instances already on the new template stay), resume =
PROACTIVE. Cancel = OPPORTUNISTIC with the versions left as they are (the version renamed "<version>-cancelled" so
`state` can tell a cancel from a pause): the instances not yet replaced keep the old template until something
recreates them. Roll back = the previous template alone, PROACTIVE.

Compute Engine never fails an update: an instance whose new template fails its health check reports UNHEALTHY and
the update stalls. `state` says "failed" once more than `max_unhealthy_percent` of the new instances are unhealthy
(naming them); stopping it (cancel, roll back) is the caller's."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from google.auth.credentials import Credentials
from google.cloud import compute_v1
from pydantic import HttpUrl

from actions.backend import NoThrottle, Scope, Throttle
from actions.deploy.model import GroupChange, RolloutState, VersionSpec
from actions.gcp.api import GcpApi
from actions.gcp.groups import managed_instances
from actions.gcp.ids import GcpRef, last_part, parse_id
from actions.gcp.operations import wait_operation
from actions.gcp.rollout_checks import FAILING, CheckClients, check_change, healthy, named, template_path, unavailable
from actions.waiting import SYSTEM_CLOCK, Clock, Wait
from core.cloud_config import GcpProject
from core.errors import ProviderError, ResourceNotFound, TransientProviderError
from core.models import Cloud

CANCELLED = "-cancelled"
Mig = compute_v1.InstanceGroupManager


class GcpRollouts:
    cloud = Cloud.GCP

    def __init__(self, projects: Sequence[GcpProject], *, compute_url: HttpUrl | str | None = None,
                 throttle: Throttle | None = None, timeout: float = 10.0, credentials: Credentials | None = None,
                 poll_seconds: float = 0.5, page_size: int = 500, clock: Clock = SYSTEM_CLOCK) -> None:  # fmt: skip
        """`compute_url`: the settings' HttpUrl (or a str); `poll_seconds`: between reads of a patch operation."""
        url = str(compute_url).rstrip("/") if compute_url else None
        self._projects = {p.id: p for p in projects}
        self._api = GcpApi(url, credentials, timeout, throttle or NoThrottle())
        self._checks = CheckClients(url, credentials)
        self._poll, self._clock, self._page_size = poll_seconds, clock, page_size

    # -- reads ---------------------------------------------------------------------------------------------------
    def running(self, change: GroupChange) -> VersionSpec | None:
        ref, endpoint = self._where(change)
        with _about(change):
            base = _base(self._mig(endpoint, ref))
        return VersionSpec(instance_template=_short(base.instance_template)) if base else None

    def check(self, change: GroupChange) -> list[str]:
        try:
            ref, endpoint = self._where(change)
        except ProviderError as exc:
            return [str(exc)]
        return check_change(self._api, self._checks, endpoint, ref, change, self._page_size)

    def state(self, change: GroupChange, handle: str) -> RolloutState:
        ref, endpoint = self._where(change)
        kind, target = _parse(handle)
        with _about(change):
            mig = self._mig(endpoint, ref)
            members = managed_instances(self._api, endpoint, ref, self._page_size)
        on_target = [m for m in members if last_part(m.version.instance_template) == target]
        updated = sum(1 for m in on_target if m.current_action == "NONE")
        bad = tuple(m.name for m in on_target if {h.detailed_health_state for h in m.instance_health} & FAILING)
        total = mig.target_size
        counts = {"percent": min(100, round(100 * updated / total)) if total else 100, "updated": updated,
                  "healthy": sum(1 for m in members if healthy(m)), "total": total, "unhealthy": bad}  # fmt: skip
        mine = next((v for v in mig.versions if last_part(v.instance_template) == target), None)
        limit = change.strategy.max_unhealthy_percent
        if mine is None:
            base = _base(mig)
            now = _short(base.instance_template) if base else "another template"
            return RolloutState(status="cancelled", detail=f"another update replaced it: {now}", **counts)
        if bad and 100 * len(bad) > limit * max(1, len(on_target)):
            detail = f"{len(bad)} of {len(on_target)} new instances fail their health checks: {', '.join(bad)}"
            return RolloutState(status="failed", detail=detail[:200], **counts)
        reached = mig.status.version_target.is_reached and mig.status.is_stable
        if mine.name.endswith(CANCELLED):
            return RolloutState(status="cancelled", detail="cancelled: the rest keep the old template", **counts)
        if reached and len(mig.versions) == 1:
            return RolloutState(status="rolled_back" if kind == "rollback" else "succeeded", **counts)
        if reached and mine.target_size.percent:
            return RolloutState(status="paused", detail=f"canary {mine.target_size.percent}% healthy: resume to go on",
                                **counts)  # fmt: skip
        if mig.update_policy.type_ == "OPPORTUNISTIC":
            return RolloutState(status="paused", detail="paused: no more instances are replaced", **counts)
        busy = sum(1 for m in members if m.current_action != "NONE")
        detail = f"replacing {busy} instance{'s' * (busy != 1)}" if busy else "waiting for the group to settle"
        return RolloutState(status="rolling_back" if kind == "rollback" else "rolling", detail=detail, **counts)

    # -- changes -------------------------------------------------------------------------------------------------
    def start(self, change: GroupChange) -> str:
        return self._roll(change, "canary" if change.strategy.canary_percent else "deploy")

    def roll_back(self, change: GroupChange, handle: str | None) -> str:
        """The previous template alone, PROACTIVE: this also stops an update in flight (`handle` is not needed)."""
        return self._roll(change, "rollback")

    def pause(self, change: GroupChange, handle: str) -> str:
        ref, endpoint = self._where(change)
        with _about(change):
            self._set_type(endpoint, ref, self._mig(endpoint, ref), "OPPORTUNISTIC", "pause the update of")
        return handle

    def resume(self, change: GroupChange, handle: str) -> str:
        """At a canary: the new template alone (the rest roll). Else PROACTIVE again; replaced instances stay."""
        ref, endpoint = self._where(change)
        kind, target = _parse(handle)
        with _about(change):
            mig = self._mig(endpoint, ref)
            if len(mig.versions) > 1:
                body = Mig(versions=[_version(change, target, ref)], update_policy=self._full_policy(change, mig))
                self._patch(endpoint, ref, body, "resume the update of")
                return f"{'deploy' if kind == 'canary' else kind}:{target}"
            self._set_type(endpoint, ref, mig, "PROACTIVE", "resume the update of")
        return handle

    def cancel(self, change: GroupChange, handle: str) -> None:
        ref, endpoint = self._where(change)
        _, target = _parse(handle)
        with _about(change):
            mig = self._mig(endpoint, ref)
            versions = [compute_v1.InstanceGroupManagerVersion(v) for v in mig.versions]
            mine = next((v for v in versions if last_part(v.instance_template) == target), None)
            if mine is None or (mine.name.endswith(CANCELLED) and mig.update_policy.type_ == "OPPORTUNISTIC"):
                return
            mine.name = (mine.name or change.to_version).removesuffix(CANCELLED) + CANCELLED
            self._patch(endpoint, ref, Mig(versions=versions, update_policy=_policy("OPPORTUNISTIC")),
                        "cancel the update of")  # fmt: skip

    def _roll(self, change: GroupChange, kind: str) -> str:
        """Check-then-act: a group already declared on the template (or at its canary) gets no second patch."""
        ref, endpoint = self._where(change)
        target = template_path(change.to.instance_template or "", ref.project)[1]
        if not change.to.instance_template:
            raise ProviderError(f"GCP: {change.to_version} names no instance template for {change.group}.")
        with _about(change):
            mig = self._mig(endpoint, ref)
            base, names = _base(mig), [last_part(v.instance_template) for v in mig.versions]
            cancelled = any(v.name.endswith(CANCELLED) for v in mig.versions)
            if names == [target] and not cancelled:
                return f"{kind if kind != 'canary' else 'deploy'}:{target}"
            if kind == "canary" and len(names) == 2 and names[1] == target and not cancelled:
                return f"canary:{target}"
            versions = [_version(change, target, ref)]
            if kind == "canary" and base is not None and mig.target_size > 0:
                versions[0].target_size = compute_v1.FixedOrPercent(percent=change.strategy.canary_percent)
                old = compute_v1.InstanceGroupManagerVersion(name=base.name, instance_template=base.instance_template)
                versions.insert(0, old)
            else:
                kind = "rollback" if kind == "rollback" else "deploy"
            body = Mig(versions=versions, update_policy=self._full_policy(change, mig))
            what = f"{ref.name} or its instance template {target}"
            self._patch(endpoint, ref, body, "roll back" if kind == "rollback" else "update", what)
        return f"{kind}:{target}"

    def _full_policy(self, change: GroupChange, mig: Mig) -> compute_v1.InstanceGroupManagerUpdatePolicy:
        strategy = change.strategy
        policy = _policy("PROACTIVE")
        policy.minimal_action, policy.replacement_method = "REPLACE", "SUBSTITUTE"
        policy.max_surge = compute_v1.FixedOrPercent(fixed=strategy.surge)
        policy.max_unavailable = compute_v1.FixedOrPercent(fixed=unavailable(mig.target_size, strategy))
        return policy

    def _set_type(self, endpoint: str, ref: GcpRef, mig: Mig, kind: str, action: str) -> None:
        """The update policy's type alone (PATCH merges it), unless the group already has it."""
        if mig.update_policy.type_ != kind:
            self._patch(endpoint, ref, Mig(update_policy=_policy(kind)), action)

    def _patch(self, endpoint: str, ref: GcpRef, body: Mig, action: str, what: str = "") -> None:
        def patch() -> compute_v1.Operation:
            return self._api.clients.migs.patch_unary(
                project=ref.project, zone=ref.zone, instance_group_manager=ref.name,
                instance_group_manager_resource=body, retry=None, timeout=self._api.timeout,
            )  # fmt: skip

        operation = self._api.call(endpoint, ref.project, what or ref.name, patch)
        wait_operation(self._api, endpoint, ref, operation, action, Wait(self._api.timeout, self._poll,
                                                                           clock=self._clock))  # fmt: skip

    def _mig(self, endpoint: str, ref: GcpRef) -> Mig:
        def get() -> Mig:
            return self._api.clients.migs.get(project=ref.project, zone=ref.zone, instance_group_manager=ref.name,
                                              retry=None, timeout=self._api.timeout)  # fmt: skip

        return self._api.call(endpoint, ref.project, ref.name, get)

    def _where(self, change: GroupChange) -> tuple[GcpRef, str]:
        """The group's ref and its throttle key (the inventory scope's key: the zone, or '*' for a whole project)."""
        ref = parse_id(change.group_id)
        project = self._projects.get(ref.project)
        if ref.kind != "mig":
            raise ProviderError(f"GCP: {change.group} is a single instance, not a managed instance group.")
        if project is None or (project.zones and ref.zone not in project.zones):
            raise ResourceNotFound(f"GCP: {change.group} is in a project or zone opsbot does not manage.")
        region = ref.zone if project.zones else "*"
        return ref, Scope(cloud=Cloud.GCP, account=ref.project, region=region, label=ref.project).key


def _policy(kind: str) -> compute_v1.InstanceGroupManagerUpdatePolicy:
    return compute_v1.InstanceGroupManagerUpdatePolicy(type_=kind)


def _version(change: GroupChange, target: str, ref: GcpRef) -> compute_v1.InstanceGroupManagerVersion:
    """The new version: a template given by name is the project's global one."""
    given = change.to.instance_template or target
    template = given if "/" in given else f"projects/{ref.project}/global/instanceTemplates/{given}"
    return compute_v1.InstanceGroupManagerVersion(name=change.to_version, instance_template=template)


def _base(mig: Mig) -> compute_v1.InstanceGroupManagerVersion | None:
    """The version without a targetSize: what the group runs apart from a canary."""
    base = next((v for v in mig.versions if not v.target_size.percent and not v.target_size.fixed), None)
    if base is None and mig.instance_template:
        return compute_v1.InstanceGroupManagerVersion(instance_template=mig.instance_template)
    return base


def _short(template: str) -> str:
    """A global template by its name; a regional one by its path from 'projects/'."""
    if "/regions/" in template and "projects/" in template:
        return "projects/" + template.split("projects/", 1)[1]
    return last_part(template)


def _parse(handle: str) -> tuple[str, str]:
    kind, _, target = handle.partition(":")
    if kind not in ("deploy", "canary", "rollback") or not target:
        raise ProviderError(f"GCP: '{handle[:60]}' is not a rollout handle of a managed instance group.")
    return kind, target


@contextmanager
def _about(change: GroupChange) -> Iterator[None]:
    """Every error names the group (Compute Engine's own message names the project)."""
    try:
        yield
    except ProviderError as exc:
        if change.group in str(exc):
            raise
        text = named(change.group, exc)
        if isinstance(exc, TransientProviderError):
            raise type(exc)(text, exc.retry_after) from exc
        raise type(exc)(text) from exc
