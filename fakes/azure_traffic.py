"""Traffic Manager profiles on the fake ARM (`fakes.azure_arm.FakeArm` routes these paths here).

What azure-mgmt-trafficmanager 2 (api-version 2026-09-01) calls to move a name's traffic, answered as ARM does:
- `GET .../providers/Microsoft.Network/trafficmanagerprofiles/{profile}`: the profile with its routing method,
  `dnsConfig` (relativeName, fqdn, ttl) and its endpoints, each with `endpointStatus`, `endpointMonitorStatus`,
  weight and priority; ARM's ResourceNotFound body for a profile that is not there.
- `GET`, `PATCH` (merge) and `PUT` (replace) of `.../{profile}/{azureEndpoints|externalEndpoints|nestedEndpoints}/
  {endpoint}`: a 404 NotFound for an endpoint the profile does not have.

A newly enabled endpoint is probed: its monitor status says CheckingEndpoint for `probe_reads` reads of the profile,
then Online (Disabled while disabled). `enabled_history` keeps the enabled endpoints after each change, so a test
sees whether traffic ever had nowhere to go. Errors (403, 409, 429, 5xx) come from `FakeArm.fail`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakes.azure_arm import FakeArm, _Handler

PROFILE_ROUTE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network"
    r"/trafficmanagerprofiles/(?P<profile>[^/]+)(?:/(?P<kind>[^/]+)/(?P<endpoint>[^/]+))?$",
    re.IGNORECASE,
)
KINDS = {
    "azureendpoints": "azureEndpoints",
    "externalendpoints": "externalEndpoints",
    "nestedendpoints": "nestedEndpoints",
}
ENABLED = "Enabled"
WRITABLE = ("endpointStatus", "weight", "priority", "target", "targetResourceId", "endpointLocation")


@dataclass
class TmEndpoint:
    name: str
    kind: str = "azureEndpoints"
    status: str = "Enabled"
    weight: int = 1
    priority: int = 1
    target: str = ""
    checking: int = 0  # profile reads left before a newly enabled endpoint is Online

    def monitor_status(self) -> str:
        if self.status != "Enabled":
            return "Disabled"
        return "CheckingEndpoint" if self.checking > 0 else "Online"


@dataclass
class TmProfile:
    sub: str
    rg: str
    name: str
    routing: str = "Priority"
    ttl: int = 60
    endpoints: list[TmEndpoint] = field(default_factory=list)

    @property
    def arm_id(self) -> str:
        return (f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers/Microsoft.Network"
                f"/trafficManagerProfiles/{self.name}")  # fmt: skip

    def endpoint(self, kind: str, name: str) -> TmEndpoint | None:
        return next((e for e in self.endpoints if e.kind.lower() == kind.lower() and e.name.lower() == name.lower()),
                    None)  # fmt: skip


class TrafficProfiles:
    """`TrafficProfiles(arm)` adds these routes to a FakeArm; the fake's lock guards everything here."""

    def __init__(self, arm: FakeArm, *, probe_reads: int = 2) -> None:
        self.arm = arm
        self.probe_reads = probe_reads
        self.profiles: dict[tuple[str, str, str], TmProfile] = {}
        self.enabled_history: list[tuple[str, ...]] = []  # the enabled endpoints after each change
        arm.routes.append(self.serve)

    # --- controls -------------------------------------------------------------------------------------------
    def add_profile(self, sub: str, rg: str, name: str, endpoints: dict[str, str], *, routing: str = "Priority",
                    ttl: int = 60, weights: dict[str, int] | None = None) -> TmProfile:  # fmt: skip
        """A profile whose endpoints are `endpoints` (name -> Enabled/Disabled), priorities in that order."""
        profile = TmProfile(sub, rg, name, routing, ttl)
        for priority, (endpoint, status) in enumerate(endpoints.items(), start=1):
            weight = (weights or {}).get(endpoint, 1)
            target = f"{endpoint}.westeurope.cloudapp.azure.com"
            profile.endpoints.append(
                TmEndpoint(endpoint, status=status, weight=weight, priority=priority, target=target)
            )
        with self.arm.lock:
            self.profiles[(sub.lower(), rg.lower(), name.lower())] = profile
        return profile

    def enabled(self, sub: str, rg: str, name: str) -> list[str]:
        with self.arm.lock:
            profile = self.profiles[(sub.lower(), rg.lower(), name.lower())]
            return [e.name for e in profile.endpoints if e.status == "Enabled"]

    # --- routes ---------------------------------------------------------------------------------------------
    def serve(self, handler: _Handler, method: str, path: str, query: dict[str, str], body: Any) -> bool:
        """Answer the request if it is one of ours (the caller holds the fake's lock); False: not ours."""
        found = PROFILE_ROUTE.match(path)
        if found is None:
            return False
        profile = self.profiles.get((found["sub"].lower(), found["rg"].lower(), found["profile"].lower()))
        if profile is None:
            message = (f"The Resource 'Microsoft.Network/trafficmanagerprofiles/{found['profile']}' under resource "
                       f"group '{found['rg']}' was not found. For more details please go to "
                       "https://aka.ms/ARMResourceNotFoundFix")  # fmt: skip
            handler._error(404, "ResourceNotFound", message)
        elif found["endpoint"] is None and method == "GET":
            handler._send(200, self._profile_json(profile, probe=True))
        elif found["endpoint"] is None:
            handler._error(405, "MethodNotAllowed", f"The method {method} is not allowed here.")
        else:
            self._endpoint(handler, method, profile, found["kind"], found["endpoint"], body or {})
        return True

    def _endpoint(self, handler: _Handler, method: str, profile: TmProfile, kind: str, name: str,
                  body: dict[str, Any]) -> None:  # fmt: skip
        endpoint = profile.endpoint(kind, name)
        if kind.lower() not in KINDS:
            handler._error(400, "BadRequest", f"The endpoint type '{kind}' is not valid.")
            return
        if endpoint is None and method == "PUT":
            endpoint = TmEndpoint(name, kind=KINDS[kind.lower()])
            profile.endpoints.append(endpoint)
        if endpoint is None:
            handler._error(404, "NotFound", f"Endpoint '{name}' of type '{kind}' does not exist in profile "
                                            f"'{profile.name}'.")  # fmt: skip
            return
        if method in ("PATCH", "PUT"):
            self._write(endpoint, body.get("properties") or {}, replace=method == "PUT")
            self.enabled_history.append(tuple(e.name for e in profile.endpoints if e.status == "Enabled"))
        elif method != "GET":
            handler._error(405, "MethodNotAllowed", f"The method {method} is not allowed here.")
            return
        handler._send(200, self._endpoint_json(profile, endpoint))

    def _write(self, endpoint: TmEndpoint, properties: dict[str, Any], *, replace: bool) -> None:
        was = endpoint.status
        if replace:  # a PUT's missing properties take ARM's defaults
            endpoint.status, endpoint.weight = ENABLED, 1
        known = {k: v for k, v in properties.items() if k in WRITABLE}
        endpoint.status = str(known.get("endpointStatus", endpoint.status))
        endpoint.weight = int(known.get("weight", endpoint.weight))
        endpoint.priority = int(known.get("priority", endpoint.priority))
        endpoint.target = str(known.get("target", endpoint.target))
        if endpoint.status == ENABLED and was != ENABLED:
            endpoint.checking = self.probe_reads

    def _profile_json(self, profile: TmProfile, *, probe: bool) -> dict[str, Any]:
        endpoints = [self._endpoint_json(profile, e) for e in profile.endpoints]
        if probe:
            for endpoint in profile.endpoints:
                endpoint.checking = max(0, endpoint.checking - 1)
        return {
            "id": profile.arm_id, "name": profile.name, "type": "Microsoft.Network/trafficManagerProfiles",
            "location": "global", "tags": {},
            "properties": {
                "profileStatus": "Enabled", "trafficRoutingMethod": profile.routing,
                "dnsConfig": {"relativeName": profile.name, "fqdn": f"{profile.name}.trafficmanager.net",
                              "ttl": profile.ttl},
                "monitorConfig": {"profileMonitorStatus": "Online", "protocol": "HTTPS", "port": 443,
                                  "path": "/healthz", "intervalInSeconds": 30, "timeoutInSeconds": 10,
                                  "toleratedNumberOfFailures": 3},
                "endpoints": endpoints, "trafficViewEnrollmentStatus": "Disabled",
            },
        }  # fmt: skip

    @staticmethod
    def _endpoint_json(profile: TmProfile, endpoint: TmEndpoint) -> dict[str, Any]:
        return {
            "id": f"{profile.arm_id}/{endpoint.kind}/{endpoint.name}", "name": endpoint.name,
            "type": f"Microsoft.Network/trafficManagerProfiles/{endpoint.kind}",
            "properties": {
                "endpointStatus": endpoint.status, "endpointMonitorStatus": endpoint.monitor_status(),
                "target": endpoint.target, "weight": endpoint.weight, "priority": endpoint.priority,
                "endpointLocation": "West Europe", "alwaysServe": "Disabled",
            },
        }  # fmt: skip
