"""A fake Azure Resource Manager (the Microsoft.Compute paths opsbot uses) on 127.0.0.1 over HTTPS.

Serves what azure-mgmt-compute calls, shaped as ARM answers it: VM and scale-set lists paged with `nextLink`
($skiptoken), `statusOnly=true` / `$expand=instanceView` power states, VM GET and `/instanceView`, the
`start` / `deallocate` / `restart` / `powerOff` POSTs (202 + `Azure-AsyncOperation` + `Location` +
`Retry-After: 0`), scale-set PATCH/PUT (200 + the same headers, as ARM answers an update) and the operation
URLs, which answer InProgress until the operation's steps are done. The world moves only when an operation is
polled (one step per poll), so tests are deterministic and never sleep. The certificate comes from a `trustme`
CA the caller makes; `StaticToken` is the credential that hands out the token the fake expects. Controls: seed
VMs and scale sets, `fail` a path (status, Retry-After, N times), `hang` a path longer than the client's timeout,
`stall` a resource's operations, `fail_next_operation`; `requests` logs method, path, query and the bearer
token that arrived. Azure Monitor metrics of a VM or scale set (`add_metric`: one-minute samples) are served on
`{resource}/providers/Microsoft.Insights/metrics` as Azure answers them: every interval of the timespan, with the
asked aggregations where it has samples, and a 400 for a metric name or time grain Azure would refuse.
Azure Cost Management (`add_costs`: cost records of a subscription; `add_forecast`: forecast days) is served on
`{scope}/providers/Microsoft.CostManagement/query` and `/forecast` as Azure answers them: rows summed by day (a
number like 20261201) and the asked groupings, columns named, `nextLink` pages ($skiptoken), a Daily range cut to
one month as Azure cuts it, a 400 for an unknown or a third grouping, the QPU headers on every answer, and
(`limit_costs`) a 429 with the retry-after headers after N queries per scope per minute on the fake's `clock`.
`routes` answers more paths before these (`fakes.azure_rollouts.RollingUpgrades(arm)`: scale-set rolling upgrades)."""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from azure.core.credentials import AccessToken

from fakes.loopback import LoopbackHandler, LoopbackServer

if TYPE_CHECKING:  # trustme comes with the `bench` extra; only the caller, who makes the CA, needs it
    import trustme

PROVIDER = "/providers/Microsoft.Compute"
AUTOSCALE_ROUTE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+))?/providers/Microsoft\.Insights/autoscalesettings/?$",
    re.IGNORECASE,
)
ROUTE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+))?/providers/Microsoft\.Compute"
    r"/(?P<kind>virtualMachines|virtualMachineScaleSets|locations)(?:/(?P<name>[^/]+))?(?P<rest>/.*)?$",
    re.IGNORECASE,
)
COST_ROUTE = re.compile(
    r"^/+subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.CostManagement/(?P<what>query|forecast)/?$", re.IGNORECASE
)
# Cost Management's dimensions a subscription-scope query may group by, and the cost record field of each
COST_DIMENSIONS = {"ResourceId": "resource_id", "ResourceGroupName": "resource_group", "ServiceName": "service",
                   "ResourceLocation": "location", "ChargeType": "charge_type", "MeterCategory": "service",
                   "ResourceType": "resource_type", "SubscriptionId": "sub"}  # fmt: skip
COST_RETRY_HEADERS = ("x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after",
                      "x-ms-ratelimit-microsoft.costmanagement-entity-retry-after")  # fmt: skip
METRICS_ROUTE = re.compile(r"^(?P<resource>/subscriptions/.+?)/providers/Microsoft\.Insights/metrics/?$", re.IGNORECASE)
TIME_GRAINS = {"PT1M": 60, "PT5M": 300, "PT15M": 900, "PT30M": 1800, "PT1H": 3600, "PT6H": 21600, "PT12H": 43200,
               "P1D": 86400}  # fmt: skip
GRAIN_TEXT = "00:01:00,00:05:00,00:15:00,00:30:00,01:00:00,06:00:00,12:00:00,1.00:00:00"  # as Azure lists them
# the platform metrics of a VM (and of a scale set) Azure Monitor knows, with their unit
COMPUTE_METRICS = {"Percentage CPU": "Percent", "Network In": "Bytes", "Network Out": "Bytes",
                   "Network In Total": "Bytes", "Network Out Total": "Bytes", "Disk Read Bytes": "Bytes",
                   "Disk Write Bytes": "Bytes", "Available Memory Bytes": "Bytes",
                   "Available Memory Percentage": "Percent", "CPU Credits Remaining": "Count"}  # fmt: skip
POWER_TEXT = {"running": "VM running", "deallocated": "VM deallocated", "stopped": "VM stopped",
              "starting": "VM starting", "stopping": "VM stopping", "deallocating": "VM deallocating"}  # fmt: skip
# action -> (power while the operation runs, power when it is done)
POWER_ACTIONS = {"start": ("starting", "running"), "deallocate": ("deallocating", "deallocated"),
                 "restart": ("starting", "running"), "poweroff": ("stopping", "stopped")}  # fmt: skip


@dataclass
class _Compute:
    """What a VM and a scale set both have: where it is, its name, its size and its tags."""

    sub: str
    rg: str
    name: str
    location: str
    size: str
    tags: dict[str, str]


@dataclass
class Vm(_Compute):
    power: str


@dataclass
class ScaleSet(_Compute):
    capacity: int
    members: dict[str, str] = field(default_factory=dict)  # instance id -> power
    next_id: int = 0
    updating: bool = False
    single_placement_group: bool = False  # True: at most 100 instances, else 1,000
    autoscale: Autoscale | None = None


@dataclass
class Autoscale:
    """A Microsoft.Insights autoscale setting targeting one scale set (its default profile's capacity)."""

    name: str
    minimum: int
    maximum: int
    default: int
    enabled: bool = True

    def bounded(self, capacity: int) -> int:
        """What autoscale sets a capacity to on its next run."""
        return min(max(capacity, self.minimum), self.maximum) if self.enabled else capacity


@dataclass
class Operation:
    key: str  # the resource it moves, for `stall`
    step: Callable[[], bool]  # one step of the world; True when the operation is done
    error: tuple[str, str] | None = None  # (code, message): ends Failed instead of Succeeded
    status: str = "InProgress"


@dataclass
class Fault:
    pattern: re.Pattern[str]
    method: str | None
    status: int
    times: int | None  # None: until cleared
    retry_after: str | None = None
    hang: float = 0.0
    code: str = "Error"
    message: str = ""


@dataclass(frozen=True)
class CostRecord:
    """One day's cost of a resource (resource_id "" for a charge of the subscription itself, e.g. a purchase)."""

    day: date
    cost: float
    resource_id: str = ""
    service: str = "Virtual Machines"
    charge_type: str = "Usage"
    location: str = "westeurope"
    tags: dict[str, str] = field(default_factory=dict)
    currency: str = "USD"

    @property
    def resource_group(self) -> str:
        parts = self.resource_id.split("/")
        return parts[4] if len(parts) > 4 else ""

    @property
    def resource_type(self) -> str:
        parts = self.resource_id.split("/")
        return f"{parts[6]}/{parts[7]}" if len(parts) > 7 else ""


# more routes: (handler, method, path, query, body) -> True when it answered the request
Route = Callable[["_Handler", str, str, dict[str, str], Any], bool]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    token: str | None  # the bearer token, if an Authorization header came


class StaticToken:
    """azure-core's TokenCredential protocol (get_token), handing out a fixed token."""

    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        return AccessToken(self.token, int(time.time()) + 3600)


def trusted_ca(directory: Path) -> tuple[trustme.CA, str]:
    """A certificate authority for a FakeArm, and the file of its certificate that the clients trust."""
    import trustme  # the `bench` extra: only a caller that starts a fake needs it

    ca, path = trustme.CA(), directory / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


def _key(*parts: str) -> tuple[str, ...]:
    return tuple(p.lower() for p in parts)


class FakeArm(LoopbackServer):
    def __init__(self, ca: trustme.CA, *, page_size: int = 100, token: str = "test-token", op_steps: int = 2,
                 status_only_models: bool = False) -> None:  # fmt: skip
        """`status_only_models`: `statusOnly=true` items carry the whole VM model too, not just the status."""
        self.page_size, self.token, self.op_steps = page_size, token, op_steps
        self.status_only_models = status_only_models
        self.vms: dict[tuple[str, ...], Vm] = {}
        self.scale_sets: dict[tuple[str, ...], ScaleSet] = {}
        self.operations: dict[str, Operation] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.metrics: dict[tuple[str, str], list[tuple[float, float]]] = {}  # (ARM id, metric) -> samples
        self.stalled: set[str] = set()
        self.costs: dict[str, list[CostRecord]] = {}  # subscription id (lower) -> records
        self.forecasts: dict[str, dict[date, float]] = {}  # subscription id (lower) -> forecast cost per day
        self.cost_page_size = 1000
        self.cost_limit: tuple[int, int] | None = None  # (queries per scope per minute, ...) see `limit_costs`
        self.cost_calls: dict[str, deque[float]] = {}
        self.clock: Callable[[], float] = time.monotonic
        self._next_error: tuple[str, str] | None = None
        self.lock = threading.RLock()
        self.routes: list[Route] = []  # more paths, answered first (fakes.azure_rollouts adds its own)
        self._closing = threading.Event()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        super().__init__(_handler(self), "fake-arm", tls=context)
        self.start()

    def close(self) -> None:
        self._closing.set()
        self.stop()

    # --- controls -------------------------------------------------------------------------------------------
    def add_vm(self, sub: str, rg: str, name: str, *, location: str = "westeurope", size: str = "Standard_D2s_v5",
               tags: dict[str, str] | None = None, power: str = "running") -> Vm:  # fmt: skip
        vm = Vm(sub, rg, name, location, size, dict(tags or {}), power)
        with self.lock:
            self.vms[_key(sub, rg, name)] = vm
        return vm

    def add_scale_set(self, sub: str, rg: str, name: str, capacity: int, *, location: str = "westeurope",
                      size: str = "Standard_D4s_v5", tags: dict[str, str] | None = None,
                      power: str = "running") -> ScaleSet:  # fmt: skip
        scale_set = ScaleSet(sub, rg, name, location, size, dict(tags or {}), capacity)
        for _ in range(capacity):
            scale_set.members[str(scale_set.next_id)] = power
            scale_set.next_id += 1
        with self.lock:
            self.scale_sets[_key(sub, rg, name)] = scale_set
        return scale_set

    def add_autoscale(self, sub: str, rg: str, scale_set: str, minimum: int, maximum: int, *,
                      default: int | None = None, enabled: bool = True) -> Autoscale:  # fmt: skip
        """An autoscale setting for a scale set. Like Azure, a manual capacity outside its bounds is accepted and
        then put back inside them by autoscale's next run (here: when the scale operation is done)."""
        with self.lock:
            target = self.scale_sets[_key(sub, rg, scale_set)]
            target.autoscale = Autoscale(f"{scale_set}-autoscale", minimum, maximum,
                                         minimum if default is None else default, enabled)  # fmt: skip
            return target.autoscale

    def add_metric(self, resource_id: str, name: str, points: Iterable[tuple[float, float]]) -> None:
        """One-minute samples (unix seconds, value) of a metric of the VM or scale set with this ARM id."""
        with self.lock:
            self.metrics.setdefault((resource_id.lower(), name), []).extend(points)

    def fail(self, path_regex: str, status: int, *, times: int | None = 1, method: str | None = None,
             retry_after: str | None = None, code: str = "Error", message: str = "") -> None:  # fmt: skip
        """Answer matching requests with `status` and an ARM error body, `times` times (None: until cleared)."""
        fault = Fault(re.compile(path_regex, re.IGNORECASE), method, status, times, retry_after, 0.0, code, message)
        with self.lock:
            self.faults.append(fault)

    def hang(self, path_regex: str, seconds: float, *, times: int | None = 1) -> None:
        with self.lock:
            self.faults.append(Fault(re.compile(path_regex, re.IGNORECASE), None, 0, times, hang=seconds))

    def stall(self, name: str) -> None:
        """Operations on the VM or scale set `name` stay InProgress (its state frozen) until `unstall`."""
        with self.lock:
            self.stalled.add(name.lower())

    def unstall(self, name: str) -> None:
        with self.lock:
            self.stalled.discard(name.lower())

    def fail_next_operation(self, code: str, message: str) -> None:
        with self.lock:
            self._next_error = (code, message)

    def power(self, sub: str, rg: str, name: str) -> str:
        with self.lock:
            return self.vms[_key(sub, rg, name)].power

    def add_costs(self, sub: str, records: Iterable[CostRecord]) -> None:
        with self.lock:
            self.costs.setdefault(sub.lower(), []).extend(records)

    def add_forecast(self, sub: str, days: dict[date, float]) -> None:
        """Azure's forecast cost of days to come (rows with CostStatus "Forecast")."""
        with self.lock:
            self.forecasts.setdefault(sub.lower(), {}).update(days)

    def limit_costs(self, per_minute: int | None) -> None:
        """Answer 429 (with the retry-after headers) to a scope's Cost Management query or forecast beyond
        `per_minute` in the last 60 s of `clock`, as users report Azure does; None: no limit."""
        with self.lock:
            self.cost_limit = None if per_minute is None else (per_minute, 60)
            self.cost_calls.clear()

    def cost_wait(self, sub: str) -> int:
        """0 (and the call counted) when the scope may query now, else the whole seconds until it may."""
        with self.lock:
            now, calls = self.clock(), self.cost_calls.setdefault(sub.lower(), deque())
            while calls and calls[0] <= now - 60.0:
                calls.popleft()
            if self.cost_limit is not None and len(calls) >= self.cost_limit[0]:
                return max(1, int(calls[0] + 60.0 - now + 0.999))
            calls.append(now)
            return 0

    def requests_to(self, fragment: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if fragment.lower() in r.path.lower()]

    # --- the world ------------------------------------------------------------------------------------------
    def start_operation(self, key: str, step: Callable[[], bool]) -> str:
        with self.lock:
            op_id = f"op-{len(self.operations) + 1:06d}"
            self.operations[op_id] = Operation(key.lower(), step, self._next_error)
            self._next_error = None
            return op_id

    def poll_operation(self, op_id: str) -> Operation | None:
        with self.lock:
            op = self.operations.get(op_id)
            if op is None or op.status != "InProgress" or op.key in self.stalled:
                return op
            if op.step():
                op.status = "Failed" if op.error else "Succeeded"
            return op

    def vm_steps(self, vm: Vm, action: str) -> Callable[[], bool]:
        during, done = POWER_ACTIONS[action]
        vm.power = during
        left = [self.op_steps]

        def step() -> bool:
            left[0] -= 1
            if left[0] > 0:
                return False
            vm.power = done
            return True

        return step

    @staticmethod
    def scale_step(scale_set: ScaleSet) -> Callable[[], bool]:
        """One instance moves per poll: a starting one comes up, else one is added or removed."""

        def step() -> bool:
            members = scale_set.members
            starting = [i for i, p in members.items() if p == "starting"]
            if starting:
                members[starting[0]] = "running"
            elif len(members) < scale_set.capacity:
                members[str(scale_set.next_id)] = "starting"
                scale_set.next_id += 1
            elif len(members) > scale_set.capacity:
                del members[max(members, key=int)]
            elif scale_set.autoscale and scale_set.autoscale.bounded(scale_set.capacity) != scale_set.capacity:
                scale_set.capacity = scale_set.autoscale.bounded(scale_set.capacity)  # autoscale's next run
            else:
                scale_set.updating = False
                return True
            return False

        return step

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.pattern.search(path) and fault.method in (None, method):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def wait_closing(self, seconds: float) -> None:
        self._closing.wait(seconds)


def _handler(fake: FakeArm) -> type[BaseHTTPRequestHandler]:
    return type("BoundHandler", (_Handler,), {"fake": fake})


def _statuses(power: str) -> list[dict[str, str]]:
    return [
        {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
        {"code": f"PowerState/{power}", "level": "Info", "displayStatus": POWER_TEXT.get(power, power)},
    ]


def _arm_id(sub: str, rg: str, tail: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}{PROVIDER}/{tail}"


def vm_json(vm: Vm, *, model: bool = True, view: bool = False) -> dict[str, Any]:
    """`model=False` is a `statusOnly=true` item: id, name and the instance view only."""
    props: dict[str, Any] = {}
    if model:
        props = {"hardwareProfile": {"vmSize": vm.size}, "provisioningState": "Succeeded"}
    if view:
        props["instanceView"] = {"computerName": vm.name, "statuses": _statuses(vm.power)}
    out = {"id": _arm_id(vm.sub, vm.rg, f"virtualMachines/{vm.name}"), "name": vm.name,
           "type": "Microsoft.Compute/virtualMachines", "location": vm.location, "properties": props}  # fmt: skip
    if model:
        out["tags"] = vm.tags
    return out


def scale_set_json(ss: ScaleSet) -> dict[str, Any]:
    return {"id": _arm_id(ss.sub, ss.rg, f"virtualMachineScaleSets/{ss.name}"), "name": ss.name,
            "type": "Microsoft.Compute/virtualMachineScaleSets", "location": ss.location, "tags": ss.tags,
            "sku": {"name": ss.size, "tier": "Standard", "capacity": ss.capacity},
            "properties": {"provisioningState": "Updating" if ss.updating else "Succeeded",
                           "orchestrationMode": "Uniform", "upgradePolicy": {"mode": "Manual"},
                           "singlePlacementGroup": ss.single_placement_group}}  # fmt: skip


def autoscale_json(ss: ScaleSet) -> dict[str, Any]:
    scale = ss.autoscale
    assert scale is not None
    capacity = {"minimum": str(scale.minimum), "maximum": str(scale.maximum), "default": str(scale.default)}
    return {"id": f"/subscriptions/{ss.sub}/resourceGroups/{ss.rg}/providers/microsoft.insights/autoscalesettings/"
                  f"{scale.name}", "name": scale.name, "type": "Microsoft.Insights/autoscaleSettings",
            "location": ss.location, "tags": {},
            "properties": {"name": scale.name, "enabled": scale.enabled,
                           "targetResourceUri": _arm_id(ss.sub, ss.rg, f"virtualMachineScaleSets/{ss.name}"),
                           "profiles": [{"name": "default", "capacity": capacity, "rules": []}],
                           "notifications": []}}  # fmt: skip


def member_json(ss: ScaleSet, instance_id: str, power: str, view: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"latestModelApplied": True, "provisioningState": "Succeeded"}
    if view:
        props["instanceView"] = {"statuses": _statuses(power)}
    return {"id": _arm_id(ss.sub, ss.rg, f"virtualMachineScaleSets/{ss.name}/virtualMachines/{instance_id}"),
            "name": f"{ss.name}_{instance_id}", "instanceId": instance_id, "location": ss.location,
            "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
            "sku": {"name": ss.size, "tier": "Standard"}, "properties": props}  # fmt: skip


class _Handler(LoopbackHandler):
    fake: FakeArm
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave as separate writes: no 40 ms delayed-ACK stall
    wbufsize = 1 << 16  # ... and as one segment: the handler flushes after each request

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    # --- plumbing -------------------------------------------------------------------------------------------
    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        if body is None:
            self.reply(status, b"", headers or {})
        else:
            self.reply(
                status,
                json.dumps(body).encode(),
                {**(headers or {}), "Content-Type": "application/json; charset=utf-8"},
            )

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"code": code, "message": message}}, headers)

    def _serve(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null") if length else None
        auth = self.headers.get("Authorization")
        token = auth.removeprefix("Bearer ") if auth and auth.startswith("Bearer ") else None
        with fake.lock:
            fake.requests.append(Request(method, path, query, token))
        if token != fake.token:
            message = "The access token is missing or invalid."
            self._error(401, "InvalidAuthenticationToken", message)
            return
        fault = fake.take_fault(method, path)
        if fault is not None and fault.hang:
            fake.wait_closing(fault.hang)  # then drop the connection without an answer
            self.close_connection = True
            return
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._error(fault.status, fault.code, fault.message or f"Injected failure {fault.status}.", headers)
            return
        autoscale = AUTOSCALE_ROUTE.match(path)
        if autoscale is not None and method == "GET":
            with fake.lock:
                sets = [s for s in fake.scale_sets.values() if s.autoscale is not None
                        and s.sub.lower() == autoscale["sub"].lower()
                        and (autoscale["rg"] is None or s.rg.lower() == autoscale["rg"].lower())]  # fmt: skip
                self._page([autoscale_json(s) for s in sets], path, query)
            return
        cost = COST_ROUTE.match(path)
        if cost is not None and method == "POST":
            self._costs(cost["sub"], cost["what"].lower(), path, query, body or {})
            return
        metrics = METRICS_ROUTE.match(path)
        if metrics is not None and method == "GET":
            with fake.lock:
                self._metrics(metrics["resource"], query)
            return
        with fake.lock:
            if any(route(self, method, path, query, body) for route in fake.routes):
                return
        match = ROUTE.match(path)
        if match is None:
            self._error(404, "NotFound", f"No route for {path}.")
            return
        with fake.lock:
            self._route(method, path, query, match, body)

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, str]) -> None:
        skip = int(query.get("$skiptoken", "0"))
        page = items[skip : skip + self.fake.page_size]
        out: dict[str, Any] = {"value": page}
        if skip + self.fake.page_size < len(items):
            host = self.headers.get("Host", "127.0.0.1")
            out["nextLink"] = f"https://{host}{path}?{urlencode({**query, '$skiptoken': skip + len(page)})}"
        self._send(200, out)

    def _accepted(self, sub: str, location: str, op_id: str, status: int = 202, body: Any = None) -> None:
        base = f"https://{self.headers.get('Host', '127.0.0.1')}/subscriptions/{sub}{PROVIDER}/locations/{location}"
        version = "api-version=2024-07-01"
        headers = {"Azure-AsyncOperation": f"{base}/operations/{op_id}?{version}",
                   "Location": f"{base}/operationResults/{op_id}?{version}", "Retry-After": "0"}  # fmt: skip
        self._send(status, body, headers)

    # --- routes ---------------------------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], m: re.Match[str], body: Any) -> None:
        sub, rg, kind, name, rest = m["sub"], m["rg"], m["kind"].lower(), m["name"], m["rest"] or ""
        if kind == "locations":
            self._operation(rest)
        elif kind == "virtualmachines" and name is None:
            vms = [v for v in self.fake.vms.values() if v.sub.lower() == sub.lower()
                   and (rg is None or v.rg.lower() == rg.lower())]  # fmt: skip
            status_only = query.get("statusOnly", "").lower() == "true"
            view = status_only or query.get("$expand", "").lower() == "instanceview"
            model = not status_only or self.fake.status_only_models
            self._page([vm_json(v, model=model, view=view) for v in vms], path, query)
        elif kind == "virtualmachines":
            self._vm(method, sub, rg or "", name, rest, query)
        elif name is None:
            sets = [s for s in self.fake.scale_sets.values() if s.sub.lower() == sub.lower()
                    and (rg is None or s.rg.lower() == rg.lower())]  # fmt: skip
            self._page([scale_set_json(s) for s in sets], path, query)
        else:
            self._scale_set(method, sub, rg or "", name, rest, query, body)

    def _vm(self, method: str, sub: str, rg: str, name: str, rest: str, query: dict[str, str]) -> None:
        vm = self.fake.vms.get(_key(sub, rg, name))
        if vm is None:
            what = f"Microsoft.Compute/virtualMachines/{name}"
            self._error(404, "ResourceNotFound", f"The Resource '{what}' under resource group '{rg}' was not found.")
        elif method == "GET" and rest == "":
            self._send(200, vm_json(vm, view=query.get("$expand", "").lower() == "instanceview"))
        elif method == "GET" and rest.lower() == "/instanceview":
            self._send(200, {"computerName": vm.name, "statuses": _statuses(vm.power)})
        elif method == "POST" and rest.lstrip("/").lower() in POWER_ACTIONS:
            op_id = self.fake.start_operation(vm.name, self.fake.vm_steps(vm, rest.lstrip("/").lower()))
            self._accepted(sub, vm.location, op_id)
        else:
            self._error(405, "MethodNotAllowed", f"{method} {rest or '/'} is not supported here.")

    def _scale_set(self, method: str, sub: str, rg: str, name: str, rest: str, query: dict[str, str],
                   body: Any) -> None:  # fmt: skip
        ss = self.fake.scale_sets.get(_key(sub, rg, name))
        view = query.get("$expand", "").lower() == "instanceview"
        if ss is None:
            what = f"Microsoft.Compute/virtualMachineScaleSets/{name}"
            self._error(404, "ResourceNotFound", f"The Resource '{what}' under resource group '{rg}' was not found.")
        elif method == "GET" and rest == "":
            self._send(200, scale_set_json(ss))
        elif method in ("PATCH", "PUT") and rest == "":
            capacity = ((body or {}).get("sku") or {}).get("capacity")
            if not isinstance(capacity, int) or capacity < 0:
                self._error(400, "InvalidParameter", "The value of parameter sku.capacity is invalid.")
                return
            most = 100 if ss.single_placement_group else 1000
            if capacity > most:
                message = (
                    f"The value {capacity} of parameter 'sku.capacity' is out of range. "
                    f"The value must be between 0 and {most}, inclusive."
                )
                self._error(400, "InvalidParameter", message)
                return
            ss.capacity, ss.updating = capacity, True
            op_id = self.fake.start_operation(ss.name, self.fake.scale_step(ss))
            self._accepted(sub, ss.location, op_id, 200, scale_set_json(ss))
        elif method == "GET" and rest.lower() == "/virtualmachines":
            items = [member_json(ss, i, p, view) for i, p in sorted(ss.members.items(), key=lambda kv: int(kv[0]))]
            self._page(items, urlsplit(self.path).path, query)
        elif method == "GET" and rest.lower().startswith("/virtualmachines/"):
            instance_id = rest.rsplit("/", 1)[1]
            if instance_id not in ss.members:
                self._error(404, "NotFound", f"Instance {instance_id} of {name} was not found.")
            else:
                self._send(200, member_json(ss, instance_id, ss.members[instance_id], view))
        else:
            self._error(405, "MethodNotAllowed", f"{method} {rest or '/'} is not supported here.")

    def _operation(self, rest: str) -> None:
        found = re.match(r"^/(operations|operationResults)/([^/]+)$", rest, re.IGNORECASE)
        op = self.fake.poll_operation(found[2]) if found else None
        if found is None or op is None:
            self._error(404, "NotFound", "No such operation.")
        elif found[1].lower() == "operationresults":
            self._send(202 if op.status == "InProgress" else 200, None, {"Retry-After": "0"})
        else:
            out: dict[str, Any] = {"name": found[2], "status": op.status, "startTime": "2026-11-28T17:00:00Z"}
            if op.status == "Failed" and op.error:
                out["error"] = {"code": op.error[0], "message": op.error[1]}
            self._send(200, out, {"Retry-After": "0"})

    def _costs(self, sub: str, what: str, path: str, query: dict[str, str], body: dict[str, Any]) -> None:
        """A Cost Management query or forecast of one subscription (the fake's lock is not held: `cost_wait` and
        the reads below take it)."""
        fake, first, last = self.fake, *_cost_period(body)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        headers = {
            "x-ms-ratelimit-microsoft.costmanagement-qpu-consumed": str(months),
            "x-ms-ratelimit-microsoft.costmanagement-qpu-remaining": "QueriesPerHour:595,QueriesPerMin:55",
        }
        wait = fake.cost_wait(sub)
        if wait:
            retry = {name: str(wait) for name in COST_RETRY_HEADERS}
            self._error(429, "429", "Too many requests. Please retry.", {**headers, **retry})
            return
        dataset = body.get("dataset") or {}
        daily = what == "forecast" or str(dataset.get("granularity") or "").lower() == "daily"
        if daily and (last - first).days > 30:  # Azure answers a month at most, cutting the start silently
            first = max(first, _month_back(last) + timedelta(days=1))
        grouping = dataset.get("grouping") or [] if what == "query" else []
        columns, refusal = _cost_groups(grouping)
        if refusal is not None:
            self._error(400, "BadRequest", refusal, headers)
            return
        with fake.lock:
            records = [r for r in fake.costs.get(sub.lower(), []) if first <= r.day <= last]
            forecast = dict(fake.forecasts.get(sub.lower(), {}))
        sums: dict[tuple[Any, ...], float] = {}
        for record in records:
            when = (int(record.day.strftime("%Y%m%d")),) if daily else ()
            key = (*when, *_cost_keys(record, grouping), record.currency)
            sums[key] = sums.get(key, 0.0) + record.cost
        columns = [{"name": "Cost", "type": "Number"}, *([{"name": "UsageDate", "type": "Number"}] if daily else []),
                   *columns, {"name": "Currency", "type": "String"}]  # fmt: skip
        rows = [[cost, *key] for key, cost in sorted(sums.items())]
        if what == "forecast":  # Daily: (cost, day, status, currency); the actual cost only when asked for
            columns.insert(2, {"name": "CostStatus", "type": "String"})
            rows = [[cost, day, "Actual", cur] for cost, day, cur in rows] if body.get("includeActualCost") else []
            rows += [[cost, int(day.strftime("%Y%m%d")), "Forecast", "USD"] for day, cost in sorted(forecast.items())
                     if first <= day <= last]  # fmt: skip
        skip = int(query.get("$skiptoken", "0"))
        page = rows[skip : skip + fake.cost_page_size]
        next_link = None
        if skip + fake.cost_page_size < len(rows):
            params = urlencode({**query, "$skiptoken": skip + len(page)})
            next_link = f"https://{self.headers.get('Host', '127.0.0.1')}{path}?{params}"
        self._send(
            200,
            {
                "id": f"subscriptions/{sub}/providers/Microsoft.CostManagement/{what}/fake",
                "name": "fake",
                "type": f"Microsoft.CostManagement/{what}",
                "properties": {"nextLink": next_link, "columns": columns, "rows": page},
            },
            headers,
        )

    def _metrics(self, resource: str, query: dict[str, str]) -> None:
        """Azure Monitor's answer for one resource; its errors are a bare {code, message}, not ARM's {error: ...}."""
        target = ROUTE.match(resource)
        kind = (target["kind"] if target else "").lower()
        known = self.fake.vms if kind == "virtualmachines" else self.fake.scale_sets
        if target is None or target["rest"] or _key(target["sub"], target["rg"] or "", target["name"]) not in known:
            self._error(404, "ResourceNotFound", f"The Resource '{resource}' was not found.")
            return
        grain, names = query.get("interval", "PT1M"), query.get("metricnames", "").split(",")
        unknown = [name for name in names if name not in COMPUTE_METRICS]
        if grain.upper() not in TIME_GRAINS:
            message = f"Invalid time grain duration: {grain}, supported ones are: {GRAIN_TEXT}"
            self._send(400, {"code": "BadRequest", "message": message})
            return
        if unknown:
            valid = ",".join(COMPUTE_METRICS)
            message = (f"Failed to find metric configuration for provider: Microsoft.Compute, resource Type: "
                       f"{target['kind']}, metric: {unknown[0]}, Valid metrics: {valid}")  # fmt: skip
            self._send(400, {"code": "BadRequest", "message": message})
            return
        start, end = (datetime.fromisoformat(part).timestamp() for part in query["timespan"].split("/"))
        seconds, wanted = TIME_GRAINS[grain.upper()], query.get("aggregation", "average").lower().split(",")
        value = []
        for name in names:
            samples = self.fake.metrics.get((resource.lower(), name), [])
            data = [_aggregated(at, [v for t, v in samples if at <= t < at + seconds], wanted)
                    for at in range(int(start), int(end), seconds)]  # fmt: skip
            value.append({"id": f"{resource}/providers/Microsoft.Insights/metrics/{name}",
                          "type": "Microsoft.Insights/metrics", "name": {"value": name, "localizedValue": name},
                          "unit": COMPUTE_METRICS[name], "timeseries": [{"metadatavalues": [], "data": data}],
                          "errorCode": "Success"})  # fmt: skip
        self._send(200, {"cost": len(names), "timespan": query["timespan"], "interval": grain.upper(),
                         "namespace": f"Microsoft.Compute/{target['kind']}", "resourceregion": "westeurope",
                         "value": value})  # fmt: skip


def _cost_period(body: dict[str, Any]) -> tuple[date, date]:
    period = body.get("timePeriod") or {}
    first, last = (datetime.fromisoformat(period[k]).date() for k in ("from", "to"))
    return first, last


def _cost_groups(grouping: list[dict[str, str]]) -> tuple[list[dict[str, str]], str | None]:
    """The response's columns of the groupings, or Azure's refusal."""
    if len(grouping) > 2:
        return [], "Invalid query definition: a query can group by at most 2 dimensions or tags."
    columns = []
    for group in grouping:
        kind, name = group.get("type", ""), group.get("name", "")
        if kind.lower() == "tagkey":
            columns += [{"name": "TagKey", "type": "String"}, {"name": "TagValue", "type": "String"}]
        elif kind.lower() == "dimension" and name in COST_DIMENSIONS:
            columns.append({"name": name, "type": "String"})
        else:
            valid = ", ".join(COST_DIMENSIONS)
            return [], f"Invalid query definition: Invalid dimension name '{name}'. Valid dimensions are: {valid}."
    return columns, None


def _cost_keys(record: CostRecord, grouping: list[dict[str, str]]) -> tuple[str, ...]:
    keys: list[str] = []
    for group in grouping:
        if group["type"].lower() == "tagkey":
            value = record.tags.get(group["name"])
            keys += [group["name"], value] if value is not None else ["", ""]
        else:
            value = getattr(record, COST_DIMENSIONS[group["name"]])
            keys.append(value.lower() if group["name"] == "ResourceId" else value)
    return tuple(keys)


def _aggregated(at: int, values: list[float], wanted: list[str]) -> dict[str, Any]:
    """One interval's point: its start, and the asked aggregations where it has samples (else only the time)."""
    point: dict[str, Any] = {"timeStamp": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if values:
        every = {"average": sum(values) / len(values), "total": sum(values), "maximum": max(values),
                 "minimum": min(values), "count": len(values)}  # fmt: skip
        point.update({key: every[key] for key in wanted if key in every})
    return point


def _month_back(day: date) -> date:
    """The same day a month earlier (the month's last day when it has fewer days)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))
