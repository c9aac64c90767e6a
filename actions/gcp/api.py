"""The SDK clients of one backend and the one way to call them.

Every client is built once, lazily (application default credentials are looked up on first use, inside the
error mapping, so missing credentials read as a refused-credentials sentence), all with the same endpoint and
credentials - including the zone-operations client we poll with ourselves, because the SDK's own operation poller
builds a client without our endpoint. Every request waits for the throttle first and passes `retry=None`: the
layer above retries with backoff and runs the circuit breaker."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar

import google.auth
from google.auth.credentials import Credentials
from google.cloud import compute_v1

from actions.backend import Scope, Throttle
from actions.gcp.errors import gcp_errors

T = TypeVar("T")


class _Page(Protocol):
    @property
    def next_page_token(self) -> str: ...


P = TypeVar("P", bound=_Page)


class Listing(NamedTuple):
    """One kind of Compute Engine object as a scope lists it: a project's aggregated list (every zone), or a zone's."""

    client: Callable[[], Any]  # the compute_v1 client that lists it (InstancesClient...), built on first use
    aggregated: type[Any]  # its aggregated-list request (AggregatedListInstancesRequest...)
    zonal: type[Any]  # its zonal list request (ListInstancesRequest...)
    field: str  # its field in an aggregated page's entry for one zone ("instances")


class _Clients:
    def __init__(self, compute_url: str | None, credentials: Credentials | None) -> None:
        if credentials is None:
            credentials, _ = google.auth.default()
        options = {"api_endpoint": compute_url} if compute_url else None
        self.instances = compute_v1.InstancesClient(credentials=credentials, client_options=options, transport="rest")
        self.migs = compute_v1.InstanceGroupManagersClient(
            credentials=credentials, client_options=options, transport="rest"
        )
        self.zone_operations = compute_v1.ZoneOperationsClient(
            credentials=credentials, client_options=options, transport="rest"
        )


class GcpApi:
    def __init__(self, compute_url: str | None, credentials: Credentials | None, timeout: float,
                 throttle: Throttle) -> None:  # fmt: skip
        self.timeout = timeout
        self._compute_url = compute_url
        self._credentials = credentials
        self._throttle = throttle
        self._lock = threading.Lock()
        self._built: _Clients | None = None

    @property
    def clients(self) -> _Clients:
        with self._lock:
            if self._built is None:
                self._built = _Clients(self._compute_url, self._credentials)
            return self._built

    def call(self, endpoint: str, project: str, what: str, fn: Callable[[], T]) -> T:
        """One request: throttle, then the call with every SDK error mapped to `core.errors`."""
        self._throttle.wait(endpoint)
        with gcp_errors(project, what):
            return fn()

    def pages(self, endpoint: str, project: str, what: str, fetch: Callable[[str], P]) -> Iterator[P]:
        """Every page of a list; `fetch(page_token)` returns one page. Each page is its own throttled request."""
        token = ""
        while True:
            page = self.call(endpoint, project, what, partial(fetch, token))
            yield page
            token = page.next_page_token
            if not token:
                return

    def in_scope(self, scope: Scope, page_size: int, listing: Listing, what: str = "") -> Iterator[tuple[str, Any]]:
        """(zone, object) for every object of one kind in the scope, `page_size` a page; `what` names the kind in
        errors. Aggregated entries of regions ('regions/...') are not read (yet)."""
        project = scope.account
        if scope.region == "*":

            def aggregated(token: str) -> Any:
                request = listing.aggregated(project=project, max_results=page_size, page_token=token)
                pager = listing.client().aggregated_list(request=request, retry=None, timeout=self.timeout)
                return next(iter(pager.pages))

            for page in self.pages(scope.key, project, f"project {project}{what}", aggregated):
                for key, scoped in page.items.items():
                    if key.startswith("zones/"):
                        yield from ((key.removeprefix("zones/"), item) for item in getattr(scoped, listing.field))
            return

        def zonal(token: str) -> Any:
            request = listing.zonal(project=project, zone=scope.region, max_results=page_size, page_token=token)
            return next(iter(listing.client().list(request=request, retry=None, timeout=self.timeout).pages))

        for page in self.pages(scope.key, project, f"zone {scope.region}{what}", zonal):
            yield from ((scope.region, item) for item in page.items)
