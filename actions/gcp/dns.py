"""`DnsSwitch` for Google Cloud DNS: a name's record set in a managed zone, replaced by one place's data.

`target.zone` is "<project>/<managed zone>"; `target.places` maps each place to its rrdatas (e.g. its IP address).
Pointing is one change of the zone: the current record set of `target.name`/`record_type` deleted and the place's
rrdatas added with `target.ttl` - Cloud DNS applies both or neither, so resolvers never see the name missing. The
deletion names the record set exactly as read, so a record someone changed meanwhile fails the change (412) rather
than being overwritten blind. A name that already has the place's data (and TTL) gets no change: `point` returns
`UNCHANGED`, which is settled.

A change is "pending" until Cloud DNS's name servers serve it, then "done"; `settled` reads it. Reading which place
takes traffic compares the record set's rrdatas with each place's (order does not matter).

The google-cloud-dns client does its own HTTP with no per-request timeout of ours, so its session is an authorized
session whose every request uses `timeout`. It does not retry; the layer above retries and runs the breaker."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import google.auth
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud.dns import Client as DnsClient  # type: ignore[import-untyped]
from pydantic import HttpUrl

from actions.backend import NoThrottle, Throttle
from actions.dns.model import DnsState, DnsTarget
from actions.gcp.errors import gcp_errors
from core.cloud_config import GcpProject
from core.errors import ProviderError, ResourceNotFound, TransientProviderError
from core.models import Cloud

T = TypeVar("T")
UNCHANGED = "unchanged"  # `point`'s answer when the name already has the place's data: nothing to wait for
DONE = "done"
_CONFLICT = "someone changed the record set meanwhile; read it and try again"


class _TimedSession(AuthorizedSession):
    """Every request with our timeout (the client passes its own 60 s default)."""

    def __init__(self, credentials: Credentials, timeout: float) -> None:
        super().__init__(credentials)  # type: ignore[no-untyped-call]
        self._timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)  # type: ignore[no-untyped-call]


class GcpDns:
    cloud = Cloud.GCP

    def __init__(self, projects: Sequence[GcpProject], *, dns_url: HttpUrl | str | None = None,
                 throttle: Throttle | None = None, timeout: float = 10.0,
                 credentials: Credentials | None = None) -> None:  # fmt: skip
        """`dns_url`: the API's base URL override (the settings' HttpUrl or a str; None: Google's own)."""
        self._projects = {p.id for p in projects}
        self._url = str(dns_url).rstrip("/") if dns_url else None
        self._throttle, self._timeout, self._credentials = throttle or NoThrottle(), timeout, credentials
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    # -- the DnsSwitch -------------------------------------------------------------------------------------------
    def read(self, target: DnsTarget) -> DnsState:
        current = self._current(target)
        if current is None:
            weights = dict.fromkeys(target.places, 0)
            return DnsState(pointing=(), weights=weights, detail=f"no {target.record_type} record {target.name}")
        place = _place_of(target, current.rrdatas)
        weights = {name: 100 if name == place else 0 for name in target.places}
        data = ", ".join(current.rrdatas)
        detail = f"record {current.name} {current.record_type} {current.ttl} s: {data}"
        return DnsState(pointing=(place,) if place else (), weights=weights, ttl=current.ttl, detail=detail[:200])

    def point(self, target: DnsTarget, place: str) -> str:
        if place not in target.places:
            raise ProviderError(f"GCP {target.zone} {target.name}: no place {place}; it has {_places(target)}")
        wanted = list(target.places[place])
        current = self._current(target)
        if current is not None and current.ttl == target.ttl and sorted(current.rrdatas) == sorted(wanted):
            return UNCHANGED
        zone = self._zone(target)
        change = zone.changes()
        if current is not None:
            change.delete_record_set(current)
        change.add_record_set(zone.resource_record_set(target.name, target.record_type, target.ttl, wanted))
        self._call(target, "change", change.create)
        return str(change.name)

    def settled(self, target: DnsTarget, change: str) -> bool:
        if change == UNCHANGED:
            return True
        found = self._zone(target).changes()
        found.name = change
        self._call(target, f"change {change}", found.reload)
        return bool(found.status == DONE)

    # -- helpers -------------------------------------------------------------------------------------------------
    def _current(self, target: DnsTarget) -> Any:
        """The record set of the target's name and type, or None. The list asks for that name and type only (the
        API's `name`/`type` filters, which the client's method has no argument for); each page is a request."""
        listing = self._zone(target).list_resource_record_sets()
        listing.extra_params = {"name": target.name, "type": target.record_type}
        pages = listing.pages
        while (page := self._call(target, "records", lambda: next(pages, None))) is not None:
            for record in page:
                if record.name == target.name and record.record_type == target.record_type:
                    return record
        return None

    def _zone(self, target: DnsTarget) -> Any:
        project, zone = _split(target)
        if project not in self._projects:
            raise ResourceNotFound(f"GCP {target.zone}: project {project} is not one opsbot manages; add it.")
        return self._client(project).zone(zone, dns_name=None)

    def _client(self, project: str) -> Any:
        with self._lock:
            client = self._clients.get(project)
            if client is None:
                with gcp_errors(project, "Cloud DNS"):
                    credentials = self._credentials or google.auth.default()[0]
                session = _TimedSession(credentials, self._timeout)
                options = {"api_endpoint": self._url} if self._url else None
                client = DnsClient(project=project, credentials=credentials, _http=session, client_options=options)
                self._clients[project] = client
            return client

    def _call(self, target: DnsTarget, what: str, fn: Callable[[], T]) -> T:
        """One request: the project's throttle, then the call, every failure one line naming zone and name."""
        project, _ = _split(target)
        self._throttle.wait(f"{Cloud.GCP.value}:{project}:dns")
        with _about(target, what), gcp_errors(project, f"{target.zone} {what}"):
            return fn()


def _split(target: DnsTarget) -> tuple[str, str]:
    project, _, zone = target.zone.partition("/")
    if not project or not zone or "/" in zone:
        raise ProviderError(f"GCP {target.zone}: a Cloud DNS zone is '<project>/<managed zone>'; fix the target.")
    return project, zone


def _place_of(target: DnsTarget, rrdatas: list[str]) -> str | None:
    return next((name for name, data in target.places.items() if sorted(data) == sorted(rrdatas)), None)


def _places(target: DnsTarget) -> str:
    return ", ".join(target.places) or "none"


@contextmanager
def _about(target: DnsTarget, what: str) -> Iterator[None]:
    """The mapped error's line, said for the zone and the name (the mapping only knows the project)."""
    try:
        yield
    except ProviderError as exc:
        where = f"GCP {target.zone} {target.name}"
        cause: Any = exc.__cause__
        code, said = getattr(cause, "code", None), str(getattr(cause, "message", ""))
        if code in (409, 412) or (code == 404 and "entity.change" in said):  # the deletion no longer matches
            raise ProviderError(f"{where}: {_CONFLICT}.") from exc
        if code == 404 and "'parameters.managedZone'" in said:
            raise ResourceNotFound(f"{where}: no managed zone {_split(target)[1]}; check the target's zone.") from exc
        if code == 404:
            raise ResourceNotFound(f"{where}: Cloud DNS has no {what}; point again.") from exc
        text = f"{where}: {str(exc).removeprefix('GCP: ')}"
        if isinstance(exc, TransientProviderError):
            raise TransientProviderError(text, exc.retry_after) from exc
        raise type(exc)(text) from exc
