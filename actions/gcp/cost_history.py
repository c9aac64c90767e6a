"""`BillingExportSource`: the daily Google Cloud bill from the Cloud Billing export to BigQuery - the standard usage
cost table (`gcp_billing_export_v1_*`) or the resource-level one (`gcp_billing_export_resource_v1_*`, which adds
`resource.name`; told apart by the table's name).

BigQuery bills by bytes scanned, and an export table holds every line of every day, so a read is careful:
  - the SQL always filters on the table's ingestion-time partition (`_PARTITIONTIME`) as well as on the usage day:
    without it a query scans the whole table (and a table created with require_partition_filter refuses it);
  - values travel as query parameters, never in the SQL text; the table's name is checked before it is quoted;
  - a dry run first learns what the query would read; over `max_bytes` it is refused with one line, never run;
  - the real query carries `maximum_bytes_billed`, so BigQuery itself stops it should the estimate be wrong;
  - rows are grouped in SQL (day, service, project, region, team and environment labels, resource), so few travel.
Costs are converted to USD (`cost / currency_conversion_rate`: the export's rate from USD to the account's
currency); credits (negative amounts) are summed into `credit`. BigQuery has no forecast of its own.

`BYTES_PROCESSED` counts what the real queries read. Imported lazily by whoever builds the sources: it loads the
BigQuery client library."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.auth.credentials import Credentials
from prometheus_client import Counter

from actions.costs.model import UNKNOWN, CloudForecast, Column, CostTable, CostUnavailable, day_of
from actions.gcp.errors import short_message

NAME = "BigQuery billing export"
CAP_SETTING = "OPSBOT_GCP_BILLING_MAX_GB"
GB = 1024**3  # the cap is set in GB of 2**30 bytes (actions.cost_sources), as BigQuery counts them
PAGE_ROWS = 20_000  # rows a page: grouped rows are ~100 bytes, well inside BigQuery's 10 MB response
# Usage of a day lands in that day's partition or a later one (late lines, corrections); the partition day may be
# Pacific time, a few hours behind UTC: so partitions from the day before to LATE_DAYS after the usage days are read.
LATE_DAYS = 3
BYTES_PROCESSED = Counter(
    "opsbot_bigquery_bytes_processed_total", "Bytes read by BigQuery billing export queries (BigQuery bills by them)"
)
# project (domain-scoped ones have "example.com:" before), dataset, table: nothing that could end the backticks
_TABLE = re.compile(r"^(?P<project>[a-z][a-z0-9.:-]*[a-z0-9])\.(?P<dataset>\w+)\.(?P<table>[\w-]+)$")
_TIMEOUTS = (requests.exceptions.Timeout, requests.exceptions.ConnectionError, TimeoutError, auth.TransportError)


def billing_sql(table: str, *, resource_level: bool) -> str:
    """The query of days @first..@last (DATE parameters), partitions @partition_first..@partition_last."""
    resource = ",\n  IFNULL(resource.name, '') AS resource" if resource_level else ""
    # The table is quoted only after _TABLE checked it; every value is a query parameter. Labels are joined as
    # Google's own export examples do: a key appears at most once in a line's labels, so no line is counted twice.
    # GROUP BY takes positions: the aliases service, project, resource are also the table's STRUCT columns.
    return f"""SELECT
  DATE(usage_start_time) AS day,
  IFNULL(service.description, '') AS service,
  IFNULL(project.id, '') AS project,
  IFNULL(location.region, '') AS region,
  IFNULL(team_label.value, '') AS team,
  IFNULL(environment_label.value, '') AS environment{resource},
  SUM(cost / IFNULL(currency_conversion_rate, 1)) AS amount,
  SUM(IFNULL((SELECT SUM(c.amount) FROM UNNEST(credits) AS c), 0) / IFNULL(currency_conversion_rate, 1)) AS credit
FROM `{table}`
LEFT JOIN UNNEST(labels) AS team_label ON team_label.key = 'team'
LEFT JOIN UNNEST(labels) AS environment_label ON environment_label.key = 'environment'
WHERE DATE(_PARTITIONTIME) BETWEEN @partition_first AND @partition_last
  AND DATE(usage_start_time) BETWEEN @first AND @last
GROUP BY {", ".join(str(n) for n in range(1, 8 if resource_level else 7))}
"""  # noqa: S608


class BillingExportSource:
    name = NAME
    provider = "gcp"

    def __init__(
        self,
        table: str,
        *,
        max_bytes: int,
        bigquery_url: str | None,
        credentials: Credentials | None = None,
        timeout: float,
        project: str | None = None,
        resource_level: bool | None = None,
        page_rows: int = PAGE_ROWS,
        wait_seconds: float = 300.0,
    ) -> None:
        """`table`: `project.dataset.table`; `max_bytes`: no query reads more; `credentials`: None for the application
        default credentials (looked up on first read); `timeout`: one request's limit; `project`: the project
        that runs (and pays for) the queries, by default the table's; `resource_level`: whether the table has
        `resource.name` (default: its name says so); `wait_seconds`: how long a running query is waited for."""
        found = _TABLE.match(table)
        if found is None:
            raise ValueError(f"BigQuery billing export: table {table!r} is not project.dataset.table")
        self.table, self.max_bytes, self.timeout = table, max_bytes, timeout
        self.resource_level = "_resource_" in found["table"] if resource_level is None else resource_level
        self._url, self._credentials = bigquery_url, credentials
        self._project = project or found["project"]
        self._page_rows, self._wait_seconds = page_rows, wait_seconds
        self._client: Any = None

    def history(self, first_day: int, last_day: int) -> CostTable:
        if last_day < first_day:
            return CostTable.empty()
        from google.cloud import bigquery

        first, last = day_of(first_day), day_of(last_day)
        parameters = [
            bigquery.ScalarQueryParameter("first", "DATE", first),
            bigquery.ScalarQueryParameter("last", "DATE", last),
            bigquery.ScalarQueryParameter("partition_first", "DATE", first - timedelta(days=1)),
            bigquery.ScalarQueryParameter("partition_last", "DATE", last + timedelta(days=LATE_DAYS)),
        ]
        sql = billing_sql(self.table, resource_level=self.resource_level)
        with self._errors():
            client = self._bigquery()
            dry = client.query(sql, job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False,
                                                                       query_parameters=parameters),
                               retry=None, job_retry=None, timeout=self.timeout)  # fmt: skip
            would_read = int(dry.total_bytes_processed or 0)
            if would_read > self.max_bytes:
                over = f"the query would read {_gb(would_read)}, over the {_gb(self.max_bytes)} cap ({CAP_SETTING})"
                raise CostUnavailable(f"{NAME}: {over}")
            config = bigquery.QueryJobConfig(query_parameters=parameters, maximum_bytes_billed=self.max_bytes)
            rows = client.query_and_wait(sql, job_config=config, retry=None, job_retry=None,
                                         api_timeout=self.timeout, wait_timeout=self._wait_seconds,
                                         page_size=self._page_rows)  # fmt: skip
            table = self._table(rows)
            BYTES_PROCESSED.inc(int(rows.total_bytes_processed or would_read))
        return table

    def forecast(self, today: int) -> CloudForecast | None:
        return None  # BigQuery holds what was billed, nothing ahead

    def _bigquery(self) -> Any:
        if self._client is None:
            from google.cloud import bigquery

            options = {"api_endpoint": self._url} if self._url else None
            self._client = bigquery.Client(project=self._project, credentials=self._credentials,
                                           client_options=options)  # fmt: skip
        return self._client

    def _table(self, rows: Any) -> CostTable:
        """The grouped rows, every page, column-wise."""
        days: list[int] = []
        amounts: list[float] = []
        credits: list[float] = []
        text: dict[str, list[str]] = {name: [] for name in ("service", "project", "region", "team", "environment")}
        resources: list[str] = []
        for row in rows:
            day: date = row["day"]
            days.append(day.toordinal() - date(1970, 1, 1).toordinal())
            amounts.append(float(row["amount"] or 0.0))
            credits.append(float(row["credit"] or 0.0))
            for name, values in text.items():
                values.append(row[name] or UNKNOWN)
            if self.resource_level:
                resources.append(row["resource"] or UNKNOWN)
        import numpy as np

        return CostTable(
            day=np.array(days, dtype=np.int32), amount=np.array(amounts, dtype=np.float64),
            credit=np.array(credits, dtype=np.float64), provider=Column.of(["gcp"] * len(days)),
            account=Column.of(text["project"]), service=Column.of(text["service"]),
            environment=Column.of(text["environment"]), team=Column.of(text["team"]),
            region=Column.of(text["region"]), resource=Column.of(resources or [UNKNOWN] * len(days)),
        )  # fmt: skip

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Every client failure as one CostUnavailable line naming the table (the cause kept as __cause__)."""
        try:
            yield
        except CostUnavailable:
            raise
        except auth.DefaultCredentialsError as exc:
            raise CostUnavailable(f"{NAME}: no Google Cloud credentials (GOOGLE_APPLICATION_CREDENTIALS)") from exc
        except api.Forbidden as exc:
            raise CostUnavailable(f"{NAME}: access denied to {self.table} - {short_message(exc)}") from exc
        except api.NotFound as exc:
            raise CostUnavailable(f"{NAME}: {self.table} not found - {short_message(exc)}") from exc
        except api.BadRequest as exc:
            raise CostUnavailable(f"{NAME}: BigQuery refused the query - {short_message(exc)}") from exc
        except api.GoogleAPICallError as exc:
            raise CostUnavailable(f"{NAME}: BigQuery answered {exc.code} - {short_message(exc)}") from exc
        except _TIMEOUTS as exc:
            raise CostUnavailable(f"{NAME}: BigQuery did not answer within {self.timeout:g} s") from exc


def _gb(size: int) -> str:
    return f"{size / GB:.1f}".removesuffix(".0") + " GB"
