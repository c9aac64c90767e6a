"""Asking for a deploy or a rollback: "deploy web v2.4 to prod", "rollback web-prod", "roll back web to v2.3".

The same road as every change, with the checks a release needs on it: the service, environment and version
named from the release manifest; the plan (what each group runs now, from the inventory, else from the finished
deploys); the policy (a prod deploy needs a second admin); a freeze (an admin may override it with a reason; a
rollback is never frozen: it is how a bad deploy is undone); another deploy or a failover of the same groups; then
every cloud's checks at once (2 s at most). Only a request that passes all of them is shown for confirmation."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import NoReturn

from actions.deploy.freeze import frozen
from actions.deploy.manifest import find_service, version_named
from actions.deploy.model import DeployKind, DeployRecord, DeployRequest, Service
from actions.deploy.plan import changes_between, plan_deploy
from actions.deploy.running import with_running
from actions.deploy.validate import validate
from audit.log import AuditEvent
from conversation.confirmations import request_params
from conversation.deploy_text import asked, preview
from conversation.outcome import recorded
from conversation.replies import echo, new_key, reply, where
from conversation.services import Services
from conversation.targets import Picker
from core.durations import span
from core.errors import OpsbotError
from core.models import ActionName, Button, Intent, IntentName, Message, Reply
from policies.engine import Decision, PolicyRequest
from workers.deploy_jobs import failover_running

VALIDATE_SECONDS = 2.0  # every cloud's checks together; a cloud slower than this is one line, not a wait
ROLLBACK_READ_SECONDS = 5.0  # what the groups run, read from the clouds for a rollback with no deploy recorded yet


class NotAsked(OpsbotError):
    """One line that ends the asking: `kind` "refusal" (policy, freeze, busy) or "error" (a name, a check)."""

    def __init__(self, line: str, kind: str = "error") -> None:
        super().__init__(line)
        self.kind = kind


class DeployFlow:
    def __init__(self, services: Services, picker: Picker) -> None:
        self._s = services
        self._picker = picker

    def ask(self, msg: Message, user: str, intent: Intent, source: DeployRecord | None = None) -> list[Reply]:
        """The preview to confirm, a question (which environment), or the one line why not. `source`: the deploy
        a Rollback button undoes."""
        try:
            return [self._ask(msg, user, intent, source)]
        except NotAsked as exc:
            return [reply(msg.ref, str(exc), kind=exc.kind)]
        except OpsbotError as exc:  # a plan that cannot be made, a manifest that does not read
            return [reply(msg.ref, str(exc), kind="error")]

    def _ask(self, msg: Message, user: str, intent: Intent, source: DeployRecord | None) -> Reply:
        rollback = intent.name is IntentName.ROLLBACK
        manifest = self._s.manifest
        said = intent.slots.target
        if said is None:
            example = "rollback web-prod" if rollback else "deploy web v2.4 to prod"
            raise NotAsked(f"Which service? For example: {example}")
        # Spoken, a group's name comes in words ("roll back web edge prod"): its hyphens are the spaces.
        found = find_service(manifest, said) or find_service(manifest, "-".join(said.split()))
        if found is None:
            known = ", ".join(sorted(manifest.services)) or "none"
            raise NotAsked(f"No service or group {echo(said)} in the release manifest (services: {known}).")
        name, group_env = found
        service = manifest.services[name]
        env = intent.slots.environment or group_env
        if group_env is not None and env != group_env:
            raise NotAsked(f"{echo(said)} is in {group_env}, not {env}.")
        if env is None and rollback:
            env = self._rolling_environment(name)
        if env is None and len(service.environments) == 1:
            env = next(iter(service.environments))
        if env is None:
            return self._which_environment(msg, user, intent, service)
        if env not in service.environments:
            raise NotAsked(f"{name} has no environment {echo(env, 30)}: {' or '.join(service.environments)}.")
        self._permitted(msg, user, intent, env, 0)  # a viewer hears the policy's line first, whatever else is wrong
        if rollback:
            source = source or self._rollback_source(name, env)
            version = self._rollback_version(intent, name, env, service, source)
        else:
            version = self._version(intent, name, service)
        kind: DeployKind = "rollback" if rollback else "deploy"
        request = self._plan(kind, name, env, version, user, source if rollback else None)
        decision = self._permitted(msg, user, intent, env, sum(g.size for g in request.groups), request)
        if not rollback:
            request = self._freeze(msg, user, intent, request)
        self._not_busy(msg, user, request)
        started = time.perf_counter()
        problems = validate(request, self._s.rollouts, deadline=VALIDATE_SECONDS)
        took = time.perf_counter() - started
        if problems:
            many = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
            line = f"{asked(request)} not asked, {many}:\n" + "\n".join(problems)
            self._deny(msg, user, request, line, AuditEvent.REFUSED, kind="error")
        limited = self._s.policy.count_change(user, msg.ref)
        if limited is not None:
            self._deny(msg, user, request, limited, AuditEvent.DENIED)
        changes, compare = changes_between(service, _from_version(request), version)
        body = preview(request, changes, compare, took, undoing=source.request.version if rollback and source else None)
        return self._confirmation(msg, user, request, body, decision)

    # -- naming what is asked ----------------------------------------------------------------------------------

    def _which_environment(self, msg: Message, user: str, intent: Intent, service: Service) -> Reply:
        """The environments this user may deploy to, as buttons (none: the policy's line for the first)."""
        envs = [env for env in service.environments if self._may(msg, user, intent, env)]
        if not envs:
            self._permitted(msg, user, intent, next(iter(service.environments)), 0)
        buttons = tuple(
            self._picker.bind(msg.ref, user, intent.model_copy(update={"slots": intent.slots.model_copy(
                update={"environment": env})}), env)
            for env in envs[:4]
        )  # fmt: skip
        return reply(msg.ref, f"Which environment? {' or '.join(envs)}", buttons=buttons)

    def _version(self, intent: Intent, name: str, service: Service) -> str:
        typed = intent.slots.version
        known = ", ".join(service.versions)
        if typed is None:
            raise NotAsked(f"Which version? {name} has {known}. For example: deploy {name} {_last(service)} to prod")
        version = version_named(service, typed)
        if version is None:
            raise NotAsked(f"{name} has no version {echo(typed, 30)}. Known: {known}")
        return version

    def _rolling_environment(self, name: str) -> str | None:
        """ "roll back web": where a deploy of it runs, else where the newest one went."""
        book = self._s.deploys
        running = sorted({r.request.environment for r in book.running() if r.request.service == name})
        if len(running) == 1:
            return running[0]
        if running:
            return None  # several: ask
        newest = book.history(name, limit=1)
        return newest[0].request.environment if newest else None

    def _rollback_source(self, name: str, env: str) -> DeployRecord | None:
        """The deploy a rollback undoes: the one running, else the newest of that service in that environment."""
        book = self._s.deploys
        current = book.current(name, env)
        if current is not None:
            return current
        return next((r for r in book.history(name, limit=20) if r.request.environment == env), None)

    def _rollback_version(
        self, intent: Intent, name: str, env: str, service: Service, source: DeployRecord | None
    ) -> str:  # fmt: skip
        """The version named, else the last good one before what runs now, else what the undone deploy's groups ran
        before it, else (no deploy recorded) the manifest's version before the one every group runs now."""
        if intent.slots.version is not None:
            return self._version(intent, name, service)
        now = source.request.version if source is not None else None
        good = self._s.deploys.last_good(name, env, before=now)
        if good is not None:
            return good
        before = {g.from_version for g in source.request.groups} if source is not None else set()
        if len(before) == 1 and (was := before.pop()) is not None and was != now:
            return was
        # No deploy recorded (opsbot is new here): the manifest's version before the one every group runs.
        runs = set(versions_now(self._s, name, env).values())
        if None in runs:
            runs = self._read_from_clouds(name, env, service)
        names = list(service.versions)
        if len(runs) == 1 and (current := runs.pop()) in names and names.index(current) > 0:
            return names[names.index(current) - 1]
        raise NotAsked(f"No earlier good version of {name} in {env} is known: say which (rollback {name} to "
                      f"{_last(service, before=now)})")  # fmt: skip

    def _read_from_clouds(self, name: str, env: str, service: Service) -> set[str | None]:
        """What each group runs by its cloud's model (the real clouds' inventories do not say), read at once."""
        newest = list(service.versions)[-1]
        index = self._s.index(self._s.provider.snapshot())
        groups = [index.by_name.get(ref.group) for ref in service.environments[env].groups]
        if any(g is None or service.versions[newest].spec_for(g.cloud) is None for g in groups):
            return {None}  # cannot be read this way: the plan says why, once a version is named
        try:
            probe = plan_deploy(
                self._s.manifest, kind="rollback", service=name, environment=env, version=newest,
                groups=index.by_name, running={}, requested_by="opsbot",
            )  # fmt: skip
            # Longer than a preview's read: without it the answer is "no earlier version known", not a slower one
            # (a process's first read builds its SDK clients, which took over a second on a busy machine).
            probe = with_running(probe, service, self._s.rollouts, deadline=ROLLBACK_READ_SECONDS)
        except OpsbotError:  # the only refusal left: every group already runs the newest
            return {newest}
        runs = {g.from_version for g in probe.groups}
        return runs | {newest} if len(probe.groups) < len(groups) else runs  # the groups left out run the newest

    def _plan(
        self, kind: DeployKind, name: str, env: str, version: str, user: str, undoing: DeployRecord | None
    ) -> DeployRequest:  # fmt: skip
        index = self._s.index(self._s.provider.snapshot())
        running = versions_now(self._s, name, env, undoing)
        rollback_of = undoing.id if undoing is not None else None
        request = plan_deploy(
            self._s.manifest, kind=kind, service=name, environment=env, version=version, groups=index.by_name,
            running=running, requested_by=user, rollback_of=rollback_of, backends=self._s.rollouts,
        )  # fmt: skip
        return with_running(request, self._s.manifest.services[name], self._s.rollouts)

    # -- the checks --------------------------------------------------------------------------------------------

    def _may(self, msg: Message, user: str, intent: Intent, env: str) -> bool:
        action = ActionName.ROLLBACK if intent.name is IntentName.ROLLBACK else ActionName.DEPLOY
        request = PolicyRequest(user=user, intent=intent.name, action=action, environment=env, ref=msg.ref)
        return self._s.policy.evaluate(request).allowed

    def _permitted(
        self, msg: Message, user: str, intent: Intent, env: str | None, instances: int,
        request: DeployRequest | None = None,
    ) -> Decision:  # fmt: skip
        action = ActionName.ROLLBACK if intent.name is IntentName.ROLLBACK else ActionName.DEPLOY
        decision = self._s.policy.evaluate(
            PolicyRequest(user=user, intent=intent.name, action=action, environment=env, ref=msg.ref,
                          instances_affected=instances)
        )  # fmt: skip
        if not decision.allowed:
            self._deny(msg, user, request, decision.reason, AuditEvent.DENIED, what=intent.text)
        return decision

    def _freeze(self, msg: Message, user: str, intent: Intent, request: DeployRequest) -> DeployRequest:
        """A deploy in a freeze is refused, unless an admin gave a reason: then it goes on, the reason kept."""
        now = datetime.fromtimestamp(self._s.clock(), tz=UTC)
        line = frozen(self._s.freezes, now, service=request.service, environment=request.environment)
        if line is None:
            return request
        reason = (intent.slots.reason or "").strip()
        if reason and self._s.policy.holds(user, "admin", msg.ref):
            return request.model_copy(update={"freeze_override": reason[:200]})
        if reason:
            line += f". Only an admin can override a freeze: {user} is not one"
        else:
            line += (f". An admin can override it with a reason: deploy {request.service} {request.version} to "
                     f"{request.environment} because ...")  # fmt: skip
        return self._deny(msg, user, request, line, AuditEvent.DENIED)

    def _not_busy(self, msg: Message, user: str, request: DeployRequest) -> None:
        """Another deploy of the service there (a rollback takes over from the deploy it undoes), or a failover of
        one of its groups."""
        book = self._s.deploys
        if request.kind == "deploy":
            busy = book.busy(request.service, request.environment)
        else:
            current = book.current(request.service, request.environment)
            busy = None
            if current is not None and current.id != request.rollback_of:
                busy = book.busy(request.service, request.environment)
        busy = busy or failover_running(self._s.connection, [g.group for g in request.groups])
        if busy is not None:
            self._deny(msg, user, request, busy, AuditEvent.DENIED)

    def _deny(
        self, msg: Message, user: str, request: DeployRequest | None, line: str, event: AuditEvent,
        kind: str = "refusal", what: str = "",
    ) -> NoReturn:  # fmt: skip
        params = request_params(request) if request is not None else None
        what = asked(request) if request is not None else what[:200]
        self._s.audit.note(event, actor=user, where=where(msg.ref), what=what, params=params, outcome=line)
        recorded()
        raise NotAsked(line, kind)

    # -- the confirmation --------------------------------------------------------------------------------------

    def _confirmation(self, msg: Message, user: str, request: DeployRequest, body: str, decision: Decision) -> Reply:
        key, risk, approver_role = new_key(), decision.risk.value, decision.approver_role
        pending = self._s.confirmations.create(
            request=request, plan_summary=body, ref=msg.ref, risk=decision.risk, approver_role=approver_role,
            reply_key=key,
        )  # fmt: skip
        event = AuditEvent.APPROVAL_ASKED if approver_role is not None else AuditEvent.CONFIRMATION_ASKED
        self._s.audit.append(
            event, actor=user, where=where(msg.ref), what=asked(request),
            params={**request_params(request), "code": pending.code, "risk": risk},
        )  # fmt: skip
        recorded()
        lasts = span(self._s.confirmations.ttl_seconds)
        if approver_role is not None:
            text = (f"{body}\n{risk.capitalize()}: needs approval by an {approver_role} other than {user}. "
                    f"Expires in {lasts}. Code {pending.code}")  # fmt: skip
            confirm = Button(id=f"confirm:{pending.code}", label=f"Approve ({approver_role})", style="danger")
        else:
            text = f"{body}\nConfirm within {lasts}. Code {pending.code}"
            confirm = Button(id=f"confirm:{pending.code}", label="Confirm", style="primary")
        buttons = (confirm, Button(id=f"cancel:{pending.code}", label="Cancel"))
        return Reply(ref=msg.ref, key=key, text=text, buttons=buttons, kind="confirm")


def versions_now(
    services: Services, name: str, env: str, undoing: DeployRecord | None = None
) -> dict[str, str | None]:  # fmt: skip
    """What each group of `name` in `env` runs now: the inventory's word for it, else the finished deploys'. A group
    the deploy being rolled back (`undoing`) began to roll counts as on its version: some of its instances are; while
    that deploy is unfinished, all of its groups do."""
    index = services.index(services.provider.snapshot())
    finished = services.deploys.running_versions(name, env)
    running: dict[str, str | None] = {}
    for ref in services.manifest.services[name].environments[env].groups:
        found = index.by_name.get(ref.group)
        running[ref.group] = (found.version if found is not None else None) or finished.get(ref.group)
    if undoing is not None:
        for rollout in undoing.groups:
            # Unfinished, every group of it may be rolling (its start job may be starting one right now).
            began = not undoing.finished or rollout.handle is not None or rollout.state.updated > 0
            if rollout.change.group in running and began:
                running[rollout.change.group] = undoing.request.version
    return running


def _from_version(request: DeployRequest) -> str | None:
    """What the groups run now, when they agree (the changes shown are those after it)."""
    froms = {g.from_version for g in request.groups if g.size > 0} or {g.from_version for g in request.groups}
    return froms.pop() if len(froms) == 1 else None


def _last(service: Service, before: str | None = None) -> str:
    """A version to put in an example: the newest one, or the one before `before`."""
    names = list(service.versions)
    if before in names and names.index(before) > 0:
        return names[names.index(before) - 1]
    return names[-1]
