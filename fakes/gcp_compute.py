"""A fake Compute Engine v1 REST API on 127.0.0.1, for the real google-cloud-compute clients (transport="rest").

It answers the paths opsbot's GCP backend calls, in the shapes the real API uses: camelCase JSON, opaque
`nextPageToken` paging (page size = `maxResults`, else `page_size`), aggregated lists keyed "zones/<zone>" with a
NO_RESULTS_ON_PAGE warning for zones without items on a page, Google's error body, and zone Operations for
start/stop/reset/resize.

State moves on only when a client looks, so tests are deterministic without sleeping: an operation answers
RUNNING to its first `op_polls` GETs (or waits) and DONE after that, when its effect applies; an instance on its
way somewhere (STAGING -> RUNNING, STOPPING -> TERMINATED) gets there after `status_reads` GETs of it (MIG
members: reads of the group's managed-instance list; new members come up one read apart). Controls: seed
instances and MIGs, fail requests whose path contains a string (any status, N times, Retry-After), hang, end the
next operation with an error, stall an instance or a group's new members, and a log of every request.

Rolling updates (instance templates, machine types, region quotas, a MIG's versions and update policy, patch, and
the update's progress per listManagedInstances read) live in fakes/gcp_rollouts.py: `rollouts` here."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.gcp_rollouts import FakeRollouts, MigUpdate
from fakes.gcp_rollouts import HttpError as _HttpError
from fakes.loopback import LoopbackHandler, LoopbackServer

Json = dict[str, Any]
PROJECT_NUMBER = "123456789012"
_V1 = "/compute/v1/projects/"
_ERRORS: dict[int, tuple[str, str, str]] = {  # status -> (message, reason, status word), as Google sends them
    401: ("Request is missing required authentication credential.", "required", "UNAUTHENTICATED"),
    403: ("Required 'compute.instances.list' permission for the project.", "forbidden", "PERMISSION_DENIED"),
    409: ("The resource is not ready: another operation is changing it.", "resourceNotReady", "ABORTED"),
    429: ("Rate Limit Exceeded", "rateLimitExceeded", "RESOURCE_EXHAUSTED"),
    500: ("Internal error. Please try again or contact Google Support.", "backendError", "INTERNAL"),
    503: ("The service is currently unavailable.", "backendError", "UNAVAILABLE"),
}
_WORDS = {
    400: ("invalid", "INVALID_ARGUMENT"),
    404: ("notFound", "NOT_FOUND"),
    412: ("conditionNotMet", "FAILED_PRECONDITION"),
}
# What Compute Engine answers (412 conditionNotMet) to a resize of a MIG that an autoscaler (mode not OFF) sizes.
AUTOSCALED_RESIZE = (
    "Resizing of autoscaled managed instance groups is not allowed. If you want to manually adjust target size "
    "remove the autoscaler or set autoscaling policy mode to OFF."
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]


@dataclass
class FakeInstance:
    name: str
    zone: str
    machine_type: str
    status: str
    labels: dict[str, str]
    group: str | None = None  # the MIG that created it
    id: int = 0
    target: str | None = None  # the status it is moving to
    reads_left: int = 0
    stalled: bool = False
    deleting: bool = False  # a MIG member being removed: gone once TERMINATED
    template: str = ""  # a MIG member's instance template URL
    recreating: bool = False  # a MIG member being replaced by a rolling update
    health: str | None = None  # a test's override of its instanceHealth (HEALTHY, UNHEALTHY, TIMEOUT)


@dataclass
class FakeAutoscaler:
    """A zonal autoscaler attached to one MIG: while its mode is not OFF, the MIG takes no manual resize."""

    name: str
    zone: str
    target: str  # the MIG's name
    min_replicas: int
    max_replicas: int
    mode: str = "ON"  # ON, ONLY_SCALE_OUT, OFF
    id: int = 0


@dataclass
class FakeMig:
    name: str
    zone: str
    target_size: int
    machine_type: str
    labels: dict[str, str]
    id: int = 0
    stall_new: bool = False
    autoscaler: FakeAutoscaler | None = None
    update: MigUpdate = field(default_factory=lambda: MigUpdate([]))


@dataclass
class _Operation:
    name: str
    zone: str
    kind: str
    target_link: str
    polls_left: int
    effect: Callable[[], None]
    rollback: Callable[[], None]
    error: tuple[str, str] | None  # (code, message) it ends with
    done: bool = False


@dataclass
class _Fault:
    contains: str
    status: int
    remaining: int
    retry_after: float | None
    method: str | None
    hang: float = 0.0


@dataclass
class _Zone:
    instances: dict[str, FakeInstance] = field(default_factory=dict)
    migs: dict[str, FakeMig] = field(default_factory=dict)

    def listed(self, kind: str) -> list[FakeInstance | FakeMig | FakeAutoscaler]:
        if kind == "autoscalers":
            return [m.autoscaler for _, m in sorted(self.migs.items()) if m.autoscaler is not None]
        found: dict[str, FakeInstance] | dict[str, FakeMig] = self.instances if kind == "instances" else self.migs
        return [found[name] for name in sorted(found)]


class FakeComputeApi(LoopbackServer):
    def __init__(self, *, page_size: int = 500, op_polls: int = 1, status_reads: int = 1) -> None:
        self.page_size, self.op_polls, self.status_reads = page_size, op_polls, status_reads
        self.stall_operations = False
        self.requests: list[Request] = []
        self._projects: dict[str, dict[str, _Zone]] = {}
        self._ops: dict[str, _Operation] = {}
        self._faults: list[_Fault] = []
        self._next_error: tuple[str, str] | None = None
        self._ids = itertools.count(4_000_000_000_001)
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self.rollouts = FakeRollouts(self)
        super().__init__(_handler_for(self), "fake-gcp", poll=0.02)

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    # -- seeding ---------------------------------------------------------------------------------------------
    def add_zone(self, project: str, zone: str) -> _Zone:
        with self._lock:
            return self._projects.setdefault(project, {}).setdefault(zone, _Zone())

    def add_instance(self, project: str, zone: str, name: str, *, machine_type: str = "e2-medium",
                     status: str = "RUNNING", labels: dict[str, str] | None = None,
                     group: str | None = None) -> FakeInstance:  # fmt: skip
        instance = FakeInstance(name, zone, machine_type, status, dict(labels or {}), group, next(self._ids))
        with self._lock:
            self.add_zone(project, zone).instances[name] = instance
        return instance

    def seed_instances(self, project: str, zone: str, count: int, *, prefix: str = "vm", **kwargs: Any) -> None:
        for i in range(count):
            self.add_instance(project, zone, f"{prefix}-{i:04d}", **kwargs)

    def add_mig(self, project: str, zone: str, name: str, size: int, *, running: int | None = None,
                machine_type: str = "e2-standard-2", labels: dict[str, str] | None = None,
                template: str | None = None) -> FakeMig:  # fmt: skip
        """A zonal MIG with `size` members: the first `running` (default all) RUNNING, the rest stuck in STAGING;
        all on instance template `template` (default '<name>-template', made when missing)."""
        mig = FakeMig(name, zone, size, machine_type, dict(labels or {}), next(self._ids))
        with self._lock:
            self.add_zone(project, zone).migs[name] = mig
            mig.update = self.rollouts.first_update(project, mig, template)
            for i in range(size):
                member = self.add_instance(project, zone, f"{name}-{i:04d}", machine_type=machine_type,
                                           labels=mig.labels, group=name)  # fmt: skip
                member.template = mig.update.versions[0]["instanceTemplate"]
                if running is not None and i >= running:
                    member.status, member.target, member.stalled = "STAGING", "RUNNING", True
        return mig

    def add_autoscaler(self, project: str, zone: str, mig: str, minimum: int, maximum: int, *,
                       mode: str = "ON") -> FakeAutoscaler:  # fmt: skip
        """Attach an autoscaler to a MIG; change its fields later to change the limits the cloud enforces."""
        with self._lock:
            group = self._projects[project][zone].migs[mig]
            group.autoscaler = FakeAutoscaler(f"{mig}-autoscaler", zone, mig, minimum, maximum, mode, next(self._ids))
            return group.autoscaler

    # -- controls and reads ----------------------------------------------------------------------------------
    def fail(self, contains: str, status: int, *, times: int = 1, retry_after: float | None = None,
             method: str | None = None) -> None:  # fmt: skip
        """Answer the next `times` requests whose path contains `contains` with `status` and Google's body."""
        with self._lock:
            self._faults.append(_Fault(contains, status, times, retry_after, method))

    def hang(self, contains: str, seconds: float, *, times: int = 1) -> None:
        with self._lock:
            self._faults.append(_Fault(contains, 200, times, None, None, hang=seconds))

    def fail_next_operation(self, code: str, message: str) -> None:
        with self._lock:
            self._next_error = (code, message)

    def stall(self, project: str, zone: str, name: str) -> None:
        """The instance (or every new member of the MIG) never reaches the status it is moving to."""
        with self._lock:
            place = self._projects[project][zone]
            if name in place.migs:
                place.migs[name].stall_new = True
            else:
                place.instances[name].stalled = True

    def instance(self, project: str, zone: str, name: str) -> FakeInstance:
        with self._lock:
            return self._projects[project][zone].instances[name]

    def members(self, project: str, zone: str, mig: str) -> list[FakeInstance]:
        with self._lock:
            return sorted((i for i in self._projects[project][zone].instances.values() if i.group == mig),
                          key=lambda i: i.name)  # fmt: skip

    def seen(self, contains: str, method: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if contains in r.path and method in (None, r.method)]

    # -- answering -------------------------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str],
               body: Json | None = None) -> tuple[int, Json, dict[str, str]]:  # fmt: skip
        with self._lock:
            self.requests.append(Request(method, path, query))
            fault = next((f for f in self._faults if f.remaining > 0 and f.contains in path
                          and f.method in (None, method)), None)  # fmt: skip
            if fault is not None:
                fault.remaining -= 1
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        elif fault is not None:
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return fault.status, _error(fault.status, _ERRORS.get(fault.status, ("Bad request.",))[0]), headers
        with self._lock:
            try:
                return 200, self._route(method, path, query, body or {}), {}
            except _HttpError as exc:
                return exc.status, _error(exc.status, exc.message), {}

    def _route(self, method: str, path: str, query: dict[str, str], body: Json) -> Json:
        project, _, rest = path.removeprefix(_V1).partition("/")
        zones = self._projects.get(project)
        if not path.startswith(_V1) or zones is None:
            raise _HttpError(404, f"The resource 'projects/{project}' was not found")
        if method == "GET" and rest in ("aggregated/instances", "aggregated/instanceGroupManagers",
                                        "aggregated/autoscalers"):  # fmt: skip
            kind = rest.split("/")[1]
            return self._aggregated(project, kind, query)
        if method == "GET" and (served := self._rollout_read(project, rest)) is not None:
            return served
        found = re.fullmatch(
            r"zones/([^/]+)/(instances|instanceGroupManagers|autoscalers|operations)(?:/([^/]+))?(?:/(\w+))?", rest
        )
        if found is None:
            raise _HttpError(404, "Not Found")
        zone, collection, name, verb = found.groups()
        if zone not in zones:
            raise _HttpError(400, f"Invalid value for field 'zone': '{zone}'. Unknown zone.")
        place = zones[zone]
        if collection == "operations":
            return self._operation_answer(project, zone, name or "")
        if name is None:  # a zonal list
            return self._page([self._json(project, x) for x in place.listed(collection)], query, "items")
        if collection == "autoscalers":
            scaler = next((a for a in place.listed("autoscalers") if a.name == name), None)
            if scaler is None or method != "GET" or verb is not None:
                raise _HttpError(404, f"The resource 'projects/{project}/zones/{zone}/autoscalers/{name}' "
                                      "was not found")  # fmt: skip
            return self._json(project, scaler)
        if collection == "instances":
            target = place.instances.get(name)
            if target is None:
                raise _HttpError(404, f"The resource 'projects/{project}/zones/{zone}/instances/{name}' was not found")
            return self._instance_call(project, target, method, verb)
        mig = place.migs.get(name)
        if mig is None:
            raise _HttpError(404, f"The resource 'projects/{project}/zones/{zone}/instanceGroupManagers/{name}' "
                                  "was not found")  # fmt: skip
        return self._mig_call(project, mig, method, verb, query, body)

    def _rollout_read(self, project: str, rest: str) -> Json | None:
        """instanceTemplates.get, machineTypes.get and regions.get (fakes/gcp_rollouts.py), or None."""
        if found := re.fullmatch(r"global/instanceTemplates/([^/]+)", rest):
            return self.rollouts.template_json(project, found[1])
        if found := re.fullmatch(r"zones/([^/]+)/machineTypes/([^/]+)", rest):
            return self.rollouts.machine_type_json(project, found[1], found[2])
        if found := re.fullmatch(r"regions/([^/]+)", rest):
            return self.rollouts.region_json(project, list(self._projects[project]), found[1])
        return None

    def _instance_call(self, project: str, target: FakeInstance, method: str, verb: str | None) -> Json:
        if method == "GET" and verb is None:
            _read(target)
            return self._json(project, target)
        before = target.status

        def restore() -> None:
            target.status, target.target = before, None

        def moving(status: str) -> Callable[[], None]:
            def effect() -> None:
                target.target, target.reads_left = status, self.status_reads

            return effect

        if verb == "start" and before != "RUNNING":
            target.status = "PROVISIONING"

            def staged() -> None:
                target.status = "STAGING"
                moving("RUNNING")()

            return self._operation(project, target, "start", staged, restore)
        if verb == "stop" and before != "TERMINATED":
            target.status = "STOPPING"
            return self._operation(project, target, "stop", moving("TERMINATED"), restore)
        if verb == "reset" and before != "RUNNING":
            raise _HttpError(400, f"The resource 'projects/{project}/zones/{target.zone}/instances/{target.name}' "
                                  "is not ready")  # fmt: skip
        if verb in ("start", "stop", "reset"):
            return self._operation(project, target, verb, lambda: None, lambda: None)
        raise _HttpError(404, "Not Found")

    def _mig_call(self, project: str, mig: FakeMig, method: str, verb: str | None, query: dict[str, str],
                  body: Json) -> Json:  # fmt: skip
        if method == "GET" and verb is None:
            return self._json(project, mig)
        if method == "PATCH" and verb is None:
            replaced = self.rollouts.patch(project, mig, body)

            def restore() -> None:
                mig.update = replaced

            return self._operation(project, mig, "compute.instanceGroupManagers.patch", lambda: None, restore)
        if verb == "listManagedInstances":
            members = self._members_read(project, mig)
            return self._page([self._managed(project, mig, m) for m in members], query, "managedInstances")
        if verb != "resize":
            raise _HttpError(404, "Not Found")
        before, size = mig.target_size, int(query.get("size", "-1"))
        if size < 0:
            raise _HttpError(400, "Invalid value for field 'size'.")
        if mig.autoscaler is not None and mig.autoscaler.mode != "OFF":
            raise _HttpError(412, AUTOSCALED_RESIZE)
        mig.target_size = size

        def reconcile() -> None:
            live = [m for m in self.members(project, mig.zone, mig.name) if not m.deleting]
            taken = self._projects[project][mig.zone].instances
            names = (f"{mig.name}-{k:04d}" for k in itertools.count() if f"{mig.name}-{k:04d}" not in taken)
            for k in range(size - len(live)):
                member = self.add_instance(project, mig.zone, next(names), machine_type=mig.machine_type,
                                           labels=mig.labels, status="STAGING", group=mig.name)  # fmt: skip
                member.target, member.reads_left, member.stalled = "RUNNING", self.status_reads + k, mig.stall_new
                member.template = next(v for v in mig.update.versions if "targetSize" not in v)["instanceTemplate"]
            for member in live[size:]:
                member.status, member.target, member.reads_left, member.deleting = "STOPPING", "TERMINATED", 1, True

        def rollback() -> None:
            mig.target_size = before

        return self._operation(project, mig, "compute.instanceGroupManagers.resize", reconcile, rollback)

    # -- operations ------------------------------------------------------------------------------------------
    def _operation(self, project: str, target: FakeInstance | FakeMig, kind: str, effect: Callable[[], None],
                   rollback: Callable[[], None]) -> Json:  # fmt: skip
        name = f"operation-1767000000000-{next(self._ids):x}"
        link = self._json(project, target)["selfLink"]
        op = _Operation(name, target.zone, kind, link, self.op_polls, effect, rollback, self._next_error)
        self._next_error = None
        self._ops[name] = op
        return self._op_json(project, op)

    def _operation_answer(self, project: str, zone: str, name: str) -> Json:
        op = self._ops.get(name)
        if op is None or op.zone != zone:
            raise _HttpError(404, f"The resource 'projects/{project}/zones/{zone}/operations/{name}' was not found")
        if not op.done and not self.stall_operations:
            if op.polls_left > 0:
                op.polls_left -= 1
            else:
                op.done = True
                (op.rollback if op.error else op.effect)()
        return self._op_json(project, op)

    def _op_json(self, project: str, op: _Operation) -> Json:
        zone_url = f"{self.url}{_V1}{project}/zones/{op.zone}"
        out: Json = {"kind": "compute#operation", "id": str(abs(hash(op.name)) % 10**18), "name": op.name,
                     "zone": zone_url, "operationType": op.kind, "targetLink": op.target_link,
                     "status": "DONE" if op.done else "RUNNING", "progress": 100 if op.done else 0,
                     "insertTime": "2026-11-20T09:00:00.000-08:00",
                     "selfLink": f"{zone_url}/operations/{op.name}"}  # fmt: skip
        if op.done and op.error:
            out["error"] = {"errors": [{"code": op.error[0], "message": op.error[1]}]}
            out["httpErrorStatusCode"], out["httpErrorMessage"] = 400, "BAD REQUEST"
        return out

    # -- JSON shapes -----------------------------------------------------------------------------------------
    def _aggregated(self, project: str, kind: str, query: dict[str, str]) -> Json:
        zones = self._projects[project]
        flat = [(z, x) for z in sorted(zones) for x in zones[z].listed(kind)]
        start, end, token = self._window(len(flat), query)
        items: Json = {}
        for zone in sorted(zones):
            on_page = [self._json(project, x) for z, x in flat[start:end] if z == zone]
            items[f"zones/{zone}"] = {kind: on_page} if on_page else {"warning": {
                "code": "NO_RESULTS_ON_PAGE", "message": f"There are no results for scope 'zones/{zone}' on this page.",
                "data": [{"key": "scope", "value": f"zones/{zone}"}]}}  # fmt: skip
        out: Json = {"kind": f"compute#{kind[:-1]}AggregatedList", "id": f"projects/{project}/aggregated/{kind}",
                     "items": items, "selfLink": f"{self.url}{_V1}{project}/aggregated/{kind}"}  # fmt: skip
        return out | ({"nextPageToken": token} if token else {})

    def _page(self, items: list[Json], query: dict[str, str], key: str) -> Json:
        start, end, token = self._window(len(items), query)
        return {key: items[start:end]} | ({"nextPageToken": token} if token else {})

    def _window(self, total: int, query: dict[str, str]) -> tuple[int, int, str | None]:
        size = min(int(query.get("maxResults") or self.page_size), 500)
        start = int(query.get("pageToken") or "0", 16)
        end = min(total, start + size)
        return start, end, (f"{end:x}" if end < total else None)

    def _json(self, project: str, x: FakeInstance | FakeMig | FakeAutoscaler) -> Json:
        zone_url = f"{self.url}{_V1}{project}/zones/{x.zone}"
        if isinstance(x, FakeAutoscaler):
            policy = {"minNumReplicas": x.min_replicas, "maxNumReplicas": x.max_replicas, "mode": x.mode,
                      "coolDownPeriodSec": 60, "cpuUtilization": {"utilizationTarget": 0.6}}  # fmt: skip
            return {"kind": "compute#autoscaler", "id": str(x.id), "name": x.name, "zone": zone_url,
                    "target": f"{zone_url}/instanceGroupManagers/{x.target}", "autoscalingPolicy": policy,
                    "status": "ACTIVE", "selfLink": f"{zone_url}/autoscalers/{x.name}"}  # fmt: skip
        if isinstance(x, FakeMig):
            members = self.members(project, x.zone, x.name)
            creating = sum(1 for m in members if m.target == "RUNNING" and not m.deleting and not m.recreating)
            deleting = sum(1 for m in members if m.deleting)
            recreating = sum(1 for m in members if m.recreating)
            update = self.rollouts.mig_fields(x, members)
            out: Json = {
                "kind": "compute#instanceGroupManager", "id": str(x.id), "name": x.name, "zone": zone_url,
                "baseInstanceName": x.name, "targetSize": x.target_size,
                "instanceTemplate": update["instanceTemplate"], "versions": update["versions"],
                "updatePolicy": update["updatePolicy"],
                "instanceGroup": f"{zone_url}/instanceGroups/{x.name}",
                "selfLink": f"{zone_url}/instanceGroupManagers/{x.name}",
                "currentActions": {"none": len(members) - creating - deleting - recreating, "creating": creating,
                                   "deleting": deleting, "recreating": recreating, "restarting": 0, "abandoning": 0},
                "status": {"isStable": creating == deleting == recreating == 0 and len(members) == x.target_size}
                | update["status"]
                | ({"autoscaler": f"{zone_url}/autoscalers/{x.autoscaler.name}"} if x.autoscaler else {}),
            }  # fmt: skip
            return out | ({"allInstancesConfig": {"properties": {"labels": x.labels}}} if x.labels else {})
        metadata: Json = {"kind": "compute#metadata", "fingerprint": "zRtCZ0GPSlE="}
        if x.group:
            created_by = f"projects/{PROJECT_NUMBER}/zones/{x.zone}/instanceGroupManagers/{x.group}"
            metadata["items"] = [{"key": "created-by", "value": created_by}]
        return {"kind": "compute#instance", "id": str(x.id), "name": x.name, "zone": zone_url, "status": x.status,
                "machineType": f"{zone_url}/machineTypes/{x.machine_type}", "labels": x.labels, "metadata": metadata,
                "creationTimestamp": "2026-11-02T08:00:00.000-08:00",
                "selfLink": f"{zone_url}/instances/{x.name}"}  # fmt: skip

    def _managed(self, project: str, mig: FakeMig, member: FakeInstance) -> Json:
        action = "DELETING" if member.deleting else ("CREATING" if member.target == "RUNNING" else "NONE")
        action = "RECREATING" if member.recreating else action
        own = {"instance": self._json(project, member)["selfLink"], "id": str(member.id), "name": member.name,
               "instanceStatus": member.status, "currentAction": action}  # fmt: skip
        return own | self.rollouts.managed_fields(project, mig, member)

    def _members_read(self, project: str, mig: FakeMig) -> list[FakeInstance]:
        place = self._projects[project][mig.zone]
        for member in self.members(project, mig.zone, mig.name):
            _read(member)
            if member.deleting and member.status == "TERMINATED":
                del place.instances[member.name]
        self.rollouts.step(mig, self.members(project, mig.zone, mig.name))
        return self.members(project, mig.zone, mig.name)


def _read(instance: FakeInstance) -> None:
    if instance.target is None or instance.stalled:
        return
    instance.reads_left -= 1
    if instance.reads_left <= 0:
        instance.status, instance.target = instance.target, None


def _error(status: int, message: str) -> Json:
    reason, word = _ERRORS[status][1:] if status in _ERRORS else _WORDS.get(status, ("invalid", "INVALID_ARGUMENT"))
    return {"error": {"code": status, "message": message, "status": word,
                      "errors": [{"message": message, "domain": "global", "reason": reason}]}}  # fmt: skip


def _handler_for(api: FakeComputeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            sent = self.rfile.read(length) if length else b""
            try:
                request = json.loads(sent) if sent else {}
            except ValueError:
                request = None
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if not isinstance(request, dict):
                self.reply(400, json.dumps(_error(400, "Invalid JSON payload received.")).encode())
                return
            status, body, headers = api.answer(method, url.path, query, request)
            self.reply(
                status, json.dumps(body).encode(), {"Content-Type": "application/json; charset=UTF-8", **headers}
            )

    return Handler
