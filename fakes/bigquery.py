"""A fake BigQuery v2 REST API on 127.0.0.1 holding one Cloud Billing export table, for the real
google-cloud-bigquery client (`Client(client_options={"api_endpoint": url}, credentials=AnonymousCredentials())`).

It answers what the client library sends for a dry run and a query: `POST .../projects/{p}/jobs` (jobs.insert:
a dry run answers `statistics.totalBytesProcessed`, a real query a DONE job), `POST .../projects/{p}/queries`
(jobs.query, what `query_and_wait` uses), `GET .../queries/{jobId}` (getQueryResults: schema, rows as
{"f": [{"v": ...}]}, `pageToken` paging by `maxResults`, jobComplete) and `GET .../jobs/{jobId}`.

It does not parse SQL. It mirrors the SQL shape of `actions.gcp.cost_history.billing_sql`: it answers a query
by its parameters (@first/@last usage days, @partition_first/@partition_last partitions) with the held export
lines grouped by day, service, project, region, team and environment labels (and resource, when the SQL selects
resource.name), in the columns that SQL names. What it does check is what BigQuery enforces: the SQL must name
the held table (else 404 notFound), filter on `DATE(_PARTITIONTIME) BETWEEN @.. AND @..` (else 400, as a table
with require_partition_filter answers) and read labels through UNNEST; `maximumBytesBilled` below the bytes the
query would process fails as BigQuery fails it. Bytes processed: `bytes_per_line` x the lines in the partitions
read. Controls: `fail_status` (403 answers every request), `dry_run_shortfall` (a dry run under-counts),
`hang()` / `release()`, and a log of every request."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.loopback import LoopbackHandler, LoopbackServer

Json = dict[str, Any]
_PATH = re.compile(r"^/bigquery/v2/projects/(?P<project>[^/]+)/(?P<kind>jobs|queries)(?:/(?P<job>[^/]+))?$")
_PARTITION_FILTER = re.compile(r"DATE\(_PARTITIONTIME\)\s+BETWEEN\s+@\w+\s+AND\s+@\w+")
_ERRORS: dict[int, tuple[str, str]] = {  # status -> (reason, status word), as BigQuery sends them
    400: ("invalidQuery", "INVALID_ARGUMENT"),
    403: ("accessDenied", "PERMISSION_DENIED"),
    404: ("notFound", "NOT_FOUND"),
}
_TEXT = ("service", "project", "region", "team", "environment")


@dataclass(frozen=True)
class ExportLine:
    """One line of the billing export: a SKU's usage in an hour, in the account's currency."""

    usage_start: datetime
    service: str
    project: str
    cost: float
    region: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    credits: tuple[tuple[str, float], ...] = ()  # (name, amount <= 0)
    resource: str | None = None
    partition: date | None = None  # the day it was exported (default: its usage day)
    currency_conversion_rate: float = 1.0

    def group_values(self) -> dict[str, str]:
        """Its values of the columns the source's SQL groups by."""
        labels = {key: self.labels.get(key, "") for key in ("team", "environment")}
        return {"day": self.usage_start.date().isoformat(), "service": self.service, "project": self.project,
                "region": self.region or "", "resource": self.resource or ""} | labels  # fmt: skip

    @property
    def partition_day(self) -> date:
        return self.partition or self.usage_start.date()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Json


class _Refusal(Exception):
    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.reason = reason or _ERRORS.get(status, ("backendError", ""))[0]


class FakeBigQuery:
    def __init__(self, table: str, lines: list[ExportLine] | None = None, *, bytes_per_line: int = 1000) -> None:
        """`table`: the held table, `project.dataset.table` as the SQL names it."""
        self.table, self.lines, self.bytes_per_line = table, list(lines or []), bytes_per_line
        self.fail_status: int | None = None
        self.dry_run_shortfall = 0  # bytes a dry run under-counts (lines that arrive between dry run and query)
        self.requests: list[Request] = []
        self._results: dict[str, tuple[list[Json], list[list[Any]]]] = {}  # jobId -> (schema, rows)
        self._scanned: dict[str, int] = {}  # jobId -> bytes processed
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self._server = LoopbackServer(self._handler(), "fake-bigquery")
        self.url = self._server.url

    def start(self) -> FakeBigQuery:
        self._server.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.stop()

    def hang(self) -> None:
        """Every request waits (unanswered) until `release()`."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def queries(self) -> list[str]:
        """The SQL of every query received (dry runs included), in order."""
        return [_sql(r.body) for r in self.requests if r.method == "POST"]

    # --- answering ---------------------------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], body: Json) -> tuple[int, Json]:
        with self._lock:
            self.requests.append(Request(method, path, body))
        self._released.wait()
        found = _PATH.match(path)
        try:
            if self.fail_status is not None:
                raise _Refusal(self.fail_status, _denied(self.table))
            if found is None:
                raise _Refusal(404, f"Not found: {path}")
            project, kind, job = found["project"], found["kind"], found["job"]
            if method == "POST" and kind == "jobs" and job is None:
                return 200, self._insert(project, body)
            if method == "POST" and kind == "queries" and job is None:
                return 200, self._query(project, body)
            if method == "GET" and kind == "queries" and job is not None:
                return 200, self._page(project, job, query)
            if method == "GET" and kind == "jobs" and job is not None:
                return 200, self._job(project, job, {"query": {"query": ""}}, self._done_statistics(job))
            raise _Refusal(404, f"Not found: {method} {path}")
        except _Refusal as refusal:
            return refusal.status, _error(refusal)

    def _insert(self, project: str, body: Json) -> Json:
        configuration = body.get("configuration", {})
        query = configuration.get("query", {})
        job_id = body.get("jobReference", {}).get("jobId") or f"job_{next(self._ids)}"
        scanned = self._check(query.get("query", ""), _parameters(query), query.get("maximumBytesBilled"))
        if configuration.get("dryRun"):
            scanned = max(scanned - self.dry_run_shortfall, 0)
            statistics = {"totalBytesProcessed": str(scanned), "query": {"totalBytesProcessed": str(scanned),
                                                                          "statementType": "SELECT"}}  # fmt: skip
            return self._job(project, job_id, configuration, statistics)
        self._run(job_id, query.get("query", ""), _parameters(query), scanned)
        return self._job(project, job_id, configuration, self._done_statistics(job_id))

    def _query(self, project: str, body: Json) -> Json:
        sql, parameters = body.get("query", ""), _parameters(body)
        scanned = self._check(sql, parameters, body.get("maximumBytesBilled"))
        job_id = f"job_{next(self._ids)}"
        if body.get("dryRun"):
            return {"kind": "bigquery#queryResponse", "jobComplete": True, "totalBytesProcessed": str(scanned),
                    "schema": {"fields": []}, "jobReference": {"projectId": project, "location": "US"}}  # fmt: skip
        self._run(job_id, sql, parameters, scanned)
        page = self._page(project, job_id, {"maxResults": str(body.get("maxResults", ""))})
        return page | {"kind": "bigquery#queryResponse", "totalBytesProcessed": str(scanned)}

    def _check(self, sql: str, parameters: dict[str, str], limit: str | None) -> int:
        """The bytes the query would process, after BigQuery's own refusals."""
        if f"`{self.table}`" not in sql:
            named = re.search(r"FROM\s+`([^`]+)`", sql)
            raise _Refusal(404, f"Not found: Table {_colon(named[1] if named else '?')} was not found in location US")
        if not _PARTITION_FILTER.search(sql):
            raise _Refusal(400, f"Cannot query over table '{self.table}' without a filter over column(s) "
                                "'_PARTITION_LOAD_TIME', '_PARTITIONDATE', '_PARTITIONTIME' that can be used for "
                                "partition elimination")  # fmt: skip
        if "UNNEST(labels)" not in sql:
            raise _Refusal(400, "Unrecognized name: team")
        first, last = _day(parameters, "partition_first"), _day(parameters, "partition_last")
        scanned = self.bytes_per_line * sum(first <= line.partition_day <= last for line in self.lines)
        if limit is not None and scanned > int(limit):
            raise _Refusal(400, f"Query exceeded limit for bytes billed: {limit}. {scanned} or higher required.",
                           "bytesBilledLimitExceeded")  # fmt: skip
        return scanned

    def _run(self, job_id: str, sql: str, parameters: dict[str, str], scanned: int) -> None:
        keys = ["day", *_TEXT] + (["resource"] if "resource.name" in sql else [])
        first_p, last_p = _day(parameters, "partition_first"), _day(parameters, "partition_last")
        first, last = _day(parameters, "first"), _day(parameters, "last")
        sums: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for line in self.lines:
            if first_p <= line.partition_day <= last_p and first <= line.usage_start.date() <= last:
                rate = line.currency_conversion_rate
                values = line.group_values()
                total = sums[tuple(values[k] for k in keys)]
                total[0] += line.cost / rate
                total[1] += sum(amount for _name, amount in line.credits) / rate
        schema = [{"name": "day", "type": "DATE", "mode": "NULLABLE"}]
        schema += [{"name": k, "type": "STRING", "mode": "NULLABLE"} for k in keys[1:]]
        schema += [{"name": k, "type": "FLOAT", "mode": "NULLABLE"} for k in ("amount", "credit")]
        rows = [[*key, repr(amount), repr(credit)] for key, (amount, credit) in sorted(sums.items())]
        with self._lock:
            self._results[job_id] = (schema, rows)
            self._scanned[job_id] = scanned

    def _page(self, project: str, job_id: str, query: dict[str, str]) -> Json:
        if job_id not in self._results:
            raise _Refusal(404, f"Not found: Job {project}:US.{job_id}")
        schema, rows = self._results[job_id]
        start = int(query.get("pageToken") or 0)
        size = int(query["maxResults"]) if query.get("maxResults") else len(rows)
        page: Json = {
            "kind": "bigquery#getQueryResultsResponse", "jobComplete": True, "schema": {"fields": schema},
            "jobReference": {"projectId": project, "jobId": job_id, "location": "US"},
            "totalRows": str(len(rows)), "totalBytesProcessed": str(self._scanned.get(job_id, 0)),
            "rows": [{"f": [{"v": v} for v in row]} for row in rows[start : start + size]],
        }  # fmt: skip
        if start + size < len(rows):
            page["pageToken"] = str(start + size)
        return page

    def _done_statistics(self, job_id: str) -> Json:
        scanned = str(self._scanned.get(job_id, 0))
        return {"totalBytesProcessed": scanned, "query": {"totalBytesProcessed": scanned, "totalBytesBilled": scanned,
                                                           "statementType": "SELECT"}}  # fmt: skip

    def _job(self, project: str, job_id: str, configuration: Json, statistics: Json) -> Json:
        return {"kind": "bigquery#job", "id": f"{project}:US.{job_id}", "status": {"state": "DONE"},
                "jobReference": {"projectId": project, "jobId": job_id, "location": "US"},
                "configuration": configuration, "statistics": statistics}  # fmt: skip

    def _handler(self) -> type[LoopbackHandler]:
        fake = self

        class Handler(LoopbackHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                status, answer = fake.answer(self.command, parts.path, query, body)
                self.reply(status, json.dumps(answer).encode(), {"Content-Type": "application/json"})

            do_GET = do_POST = _serve

        return Handler

    def __enter__(self) -> FakeBigQuery:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _sql(body: Json) -> str:
    return str(body.get("query") or body.get("configuration", {}).get("query", {}).get("query", ""))


def _parameters(query: Json) -> dict[str, str]:
    return {p["name"]: p["parameterValue"]["value"] for p in query.get("queryParameters", [])}


def _day(parameters: dict[str, str], name: str) -> date:
    if name not in parameters:
        raise _Refusal(400, f"Query parameter '{name}' not found")
    return date.fromisoformat(parameters[name])


def _colon(table: str) -> str:
    project, rest = table.rsplit(".", 2)[0], ".".join(table.rsplit(".", 2)[1:])
    return f"{project}:{rest}"


def _denied(table: str) -> str:
    return f"Access Denied: Table {_colon(table)}: User does not have permission to query table {_colon(table)}."


def _error(refusal: _Refusal) -> Json:
    status_word = _ERRORS.get(refusal.status, ("", "UNKNOWN"))[1]
    detail = {"message": refusal.message, "domain": "global", "reason": refusal.reason}
    return {"error": {"code": refusal.status, "message": refusal.message, "errors": [detail], "status": status_word}}
