"""A fake Cloud DNS v1 REST API on 127.0.0.1, for the real google-cloud-dns client (`api_endpoint` = `url`).

It answers the paths the client builds ("/dns/v1/projects/<project>/managedZones/<zone>/..."): a zone's record
sets (rrsets, paged by `maxResults`/`pageToken`), changes create and changes get, in the real API's shapes
(camelCase JSON, `ttl` a number, a change's `id`, `startTime` and `status`) and with its checks: a deletion must
match the record set exactly (absent -> 404 notFound, different data or TTL -> 412 conditionNotMet), an addition
of a record set that exists and is not deleted in the same change -> 409 alreadyExists, an unknown zone or change
-> 404, all in Google's error body.

A change applies to the record sets at once (a list sees it) and answers "pending" to its first `pending_reads`
GETs, "done" after, as Cloud DNS does while its name servers catch up; nothing moves on a clock, so tests are
deterministic without sleeping. Controls: seed zones and record sets, fail requests whose path contains a string
(any status, N times, Retry-After), another writer's change racing the next one, and a log of every request."""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.gcp_compute import Request
from fakes.gcp_rollouts import HttpError
from fakes.loopback import LoopbackHandler, LoopbackServer

Json = dict[str, Any]
_PATH = re.compile(r"^/dns/v1/projects/([^/]+)/managedZones/([^/]+)(?:/(rrsets|changes)(?:/([^/]+))?)?$")
_ERRORS: dict[int, tuple[str, str, str]] = {  # status -> (message, reason, status word), as Google sends them
    403: ("Forbidden", "forbidden", "PERMISSION_DENIED"),
    429: ("Rate Limit Exceeded", "rateLimitExceeded", "RESOURCE_EXHAUSTED"),
    500: ("Internal Error", "internalError", "INTERNAL"),
    503: ("The service is currently unavailable.", "backendError", "UNAVAILABLE"),
}
_WORDS = {400: ("invalid", "INVALID_ARGUMENT"), 404: ("notFound", "NOT_FOUND"),
          409: ("alreadyExists", "ALREADY_EXISTS"), 412: ("conditionNotMet", "FAILED_PRECONDITION")}  # fmt: skip


@dataclass
class FakeChange:
    id: str
    additions: list[Json]
    deletions: list[Json]
    started: str
    reads_left: int

    def body(self) -> Json:
        status = "pending" if self.reads_left > 0 else "done"
        return {"kind": "dns#change", "id": self.id, "startTime": self.started, "status": status,
                "additions": self.additions, "deletions": self.deletions}  # fmt: skip


@dataclass
class FakeZone:
    rrsets: dict[tuple[str, str], Json] = field(default_factory=dict)  # (name, type) -> the record set
    changes: dict[str, FakeChange] = field(default_factory=dict)


@dataclass
class _Fault:
    path_part: str
    status: int
    times: int
    retry_after: str | None


class FakeCloudDns:
    """State and controls; `start()` serves it. `pending_reads`: GETs of a new change that answer "pending"."""

    def __init__(self, *, pending_reads: int = 2, page_size: int = 50) -> None:
        self.pending_reads, self.page_size = pending_reads, page_size
        self.zones: dict[tuple[str, str], FakeZone] = {}
        self.requests: list[Request] = []
        self._faults: list[_Fault] = []
        self._races: list[Json] = []  # record sets someone else writes just before the next change is checked
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = LoopbackServer(_handler(self), "fake-cloud-dns")
        self.url = self._server.url

    # -- controls ------------------------------------------------------------------------------------------------
    def add_zone(self, project: str, zone: str) -> FakeZone:
        return self.zones.setdefault((project, zone), FakeZone())

    def set_record(self, project: str, zone: str, name: str, rrdatas: list[str], *, record_type: str = "A",
                   ttl: int = 60) -> None:  # fmt: skip
        record = {"kind": "dns#resourceRecordSet", "name": name, "type": record_type, "ttl": ttl, "rrdatas": rrdatas}
        with self._lock:
            self.add_zone(project, zone).rrsets[(name, record_type)] = record

    def record(self, project: str, zone: str, name: str, record_type: str = "A") -> Json | None:
        with self._lock:
            return self.zones[(project, zone)].rrsets.get((name, record_type))

    def race(self, project: str, zone: str, name: str, rrdatas: list[str] | None, *, record_type: str = "A") -> None:
        """Someone else's change lands between a client's read and its next change (which then no longer matches):
        the record set gets `rrdatas` (TTL 30), or is deleted (None)."""
        with self._lock:
            self._races.append({"key": (project, zone), "name": name, "type": record_type, "rrdatas": rrdatas})

    def fail(self, path_part: str, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """The next `times` requests whose path contains `path_part` answer `status` with Google's error body."""
        with self._lock:
            self._faults.append(_Fault(path_part, status, times, retry_after))

    def posts(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def start(self) -> FakeCloudDns:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    # -- the API -------------------------------------------------------------------------------------------------
    def fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path_part in path and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def answer(self, method: str, path: str, query: dict[str, str], body: Json) -> Json:
        match = _PATH.match(path)
        if match is None:
            raise HttpError(404, f"Not Found: {path}")
        project, zone_name, kind, item = match.groups()
        with self._lock:
            zone = self.zones.get((project, zone_name))
            if zone is None:
                raise HttpError(404, f"The 'parameters.managedZone' resource named '{zone_name}' does not exist.")
            if method == "GET" and kind == "rrsets" and item is None:
                return self._list(zone, query)
            if method == "POST" and kind == "changes" and item is None:
                for race in self._races:
                    rrsets, key = self.zones[race["key"]].rrsets, (race["name"], race["type"])
                    if race["rrdatas"] is None:
                        rrsets.pop(key, None)
                    else:
                        rrsets[key] = _record({"name": key[0], "type": key[1], "ttl": 30, "rrdatas": race["rrdatas"]})
                self._races.clear()
                return self._create(zone, body).body()
            if method == "GET" and kind == "changes" and item is not None:
                change = zone.changes.get(item)
                if change is None:
                    raise HttpError(404, f"The 'parameters.changeId' resource named '{item}' does not exist.")
                answer = change.body()
                change.reads_left -= 1
                return answer
        raise HttpError(400, f"Invalid request: {method} {path}")

    def _list(self, zone: FakeZone, query: dict[str, str]) -> Json:
        records = sorted(zone.rrsets.values(), key=lambda r: (r["name"], r["type"]))
        if "name" in query:
            records = [r for r in records if r["name"] == query["name"] and r["type"] == query.get("type", r["type"])]
        start = int(query.get("pageToken") or 0)
        size = int(query.get("maxResults") or self.page_size)
        page: Json = {"kind": "dns#resourceRecordSetsListResponse", "rrsets": records[start : start + size]}
        if start + size < len(records):
            page["nextPageToken"] = str(start + size)
        return page

    def _create(self, zone: FakeZone, body: Json) -> FakeChange:
        deletions, additions = [_record(r) for r in body.get("deletions", [])], [_record(r) for r in body.get(
            "additions", [])]  # fmt: skip
        if not deletions and not additions:
            raise HttpError(400, "The 'entity.change' resource is missing required additions or deletions.")
        for index, record in enumerate(deletions):
            current = zone.rrsets.get((record["name"], record["type"]))
            named = f"named '{record['name']} ({record['type']})'"
            if current is None:
                raise HttpError(404, f"The 'entity.change.deletions[{index}]' resource {named} does not exist.")
            if (current["ttl"], current["rrdatas"]) != (record["ttl"], record["rrdatas"]):
                raise HttpError(412, f"Precondition not met for 'entity.change.deletions[{index}]'")
        deleted = {(r["name"], r["type"]) for r in deletions}
        for index, record in enumerate(additions):
            key = (record["name"], record["type"])
            if key in zone.rrsets and key not in deleted:
                named = f"named '{record['name']} ({record['type']})'"
                raise HttpError(409, f"The resource 'entity.change.additions[{index}]' {named} already exists")
        for key in deleted:
            del zone.rrsets[key]
        for record in additions:
            zone.rrsets[(record["name"], record["type"])] = record
        started = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        change = FakeChange(str(next(self._ids)), additions, deletions, started, self.pending_reads)
        zone.changes[change.id] = change
        return change


def _record(raw: Json) -> Json:
    return {"kind": "dns#resourceRecordSet", "name": raw["name"], "type": raw["type"], "ttl": int(raw["ttl"]),
            "rrdatas": list(raw["rrdatas"])}  # fmt: skip


def _error_body(status: int, message: str, reason: str) -> bytes:
    word = _ERRORS.get(status, ("", "", _WORDS.get(status, ("", "UNKNOWN"))[1]))[2]
    error = {"code": status, "message": message, "status": word,
             "errors": [{"message": message, "domain": "global", "reason": reason}]}  # fmt: skip
    return json.dumps({"error": error}).encode()


def _handler(api: FakeCloudDns) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        def _serve(self) -> None:
            split = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(split.query).items()}
            api.requests.append(Request(self.command, split.path, query))
            length = int(self.headers.get("Content-Length") or 0)
            body: Json = json.loads(self.rfile.read(length) or b"{}") if length else {}
            headers = {"Content-Type": "application/json; charset=UTF-8"}
            fault = api.fault(split.path)
            if fault is not None:
                message, reason, _ = _ERRORS.get(fault.status, (f"HTTP {fault.status}", "error", ""))
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self.reply(fault.status, _error_body(fault.status, message, reason), headers | extra)
                return
            try:
                answer = api.answer(self.command, split.path, query, body)
            except HttpError as exc:
                reason = _WORDS.get(exc.status, ("error", ""))[0]
                self.reply(exc.status, _error_body(exc.status, exc.message, reason), headers)
                return
            self.reply(200, json.dumps(answer).encode(), headers)

        do_GET = do_POST = _serve

    return Handler
