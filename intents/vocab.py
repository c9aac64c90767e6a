"""Closed vocabularies of the command language, and readers for them that accept several-word and spoken
forms ("google cloud", "disaster recovery", "us east one", "last seven days")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from core.models import Cloud
from intents.numbers import UNITS, is_digits, read_number

# A reader looks at words[i:] and returns (value, index after it), or None.
Found = tuple[str, int] | None
V = TypeVar("V")

PROVIDERS: Mapping[str, Cloud] = {
    "aws": Cloud.AWS,
    "a.w.s": Cloud.AWS,
    "a w s": Cloud.AWS,
    "amazon": Cloud.AWS,
    "amazon web services": Cloud.AWS,
    "azure": Cloud.AZURE,
    "microsoft": Cloud.AZURE,
    "microsoft azure": Cloud.AZURE,
    "msft": Cloud.AZURE,
    "gcp": Cloud.GCP,
    "g.c.p": Cloud.GCP,
    "g c p": Cloud.GCP,
    "google": Cloud.GCP,
    "google cloud": Cloud.GCP,
    "google cloud platform": Cloud.GCP,
    "gce": Cloud.GCP,
}
ENVIRONMENTS: Mapping[str, str] = {
    "prod": "prod",
    "production": "prod",
    "prd": "prod",
    "live": "prod",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "dr": "dr",
    "disaster recovery": "dr",
    "disaster-recovery": "dr",
}
REGIONS = frozenset(
    {
        # AWS
        *("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1"),
        *("eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1"),
        *("ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-east-1"),
        *("me-south-1", "af-south-1"),
        # Azure
        *("eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus", "southcentralus"),
        *("westeurope", "northeurope", "uksouth", "ukwest", "francecentral", "germanywestcentral"),
        *("swedencentral", "switzerlandnorth", "eastasia", "southeastasia", "japaneast", "australiaeast"),
        *("canadacentral", "brazilsouth", "centralindia"),
        # Google Cloud
        *("us-central1", "us-east1", "us-east4", "us-west1", "us-west2", "northamerica-northeast1"),
        *("europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-north1", "europe-central2"),
        *("asia-east1", "asia-east2", "asia-northeast1", "asia-south1", "asia-southeast1", "australia-southeast1"),
        *("southamerica-east1",),
    }
)
KINDS: Mapping[str, str] = {
    **dict.fromkeys(("instance", "instances", "vm", "vms", "server", "servers", "machine", "machines"), "instance"),
    **dict.fromkeys(("host", "hosts", "box", "boxes", "virtual machine", "virtual machines"), "instance"),
    **dict.fromkeys(("database", "databases", "dbs", "db instances", "rds"), "database"),
    **dict.fromkeys(("disk", "disks", "volume", "volumes", "drive", "drives"), "disk"),
    **dict.fromkeys(("load balancer", "load balancers", "load-balancer", "load-balancers"), "load_balancer"),
    **dict.fromkeys(("loadbalancer", "loadbalancers", "lb", "lbs", "elb", "elbs", "alb", "albs"), "load_balancer"),
    **dict.fromkeys(("group", "groups", "asg", "asgs", "scale set", "scale sets", "scaleset", "scalesets"), "group"),
    **dict.fromkeys(("autoscaling group", "autoscaling groups", "auto scaling group", "auto scaling groups"), "group"),
    **dict.fromkeys(("instance group", "instance groups", "mig", "migs", "node pool", "node pools"), "group"),
    **dict.fromkeys(("autoscaling group", "auto scaling group", "auto-scaling group", "cluster", "clusters"), "group"),
}
STATES: Mapping[str, str] = {
    **dict.fromkeys(("running", "up", "started", "active", "online"), "running"),
    **dict.fromkeys(("stopped", "down", "off", "offline", "halted", "shut down", "deallocated"), "stopped"),
    **dict.fromkeys(("degraded", "unhealthy", "failing", "broken", "impaired", "sick"), "degraded"),
    **dict.fromkeys(("available", "unattached", "detached", "free", "unused"), "available"),
    **dict.fromkeys(("in-use", "in use", "attached", "used"), "in-use"),
}
PERIODS: Mapping[str, str] = {
    **dict.fromkeys(("today", "so far today", "daily"), "today"),
    **dict.fromkeys(("yesterday",), "yesterday"),
    **dict.fromkeys(("this month", "current month", "month to date", "mtd", "so far this month"), "this_month"),
    **dict.fromkeys(("the month", "month", "monthly", "this_month"), "this_month"),
    **dict.fromkeys(("last month", "previous month", "prior month", "last_month"), "last_month"),
    **dict.fromkeys(("this week", "the week", "week", "weekly", "week to date", "wtd"), "this_week"),
    # "last week" is the calendar week before this one; "the past week" the last seven days.
    **dict.fromkeys(("last week", "previous week", "the previous week", "last_week"), "last_week"),
    **dict.fromkeys(("past week", "the past week", "the last week"), "7d"),
    **dict.fromkeys(("past month", "the past month", "the last month"), "30d"),
    **dict.fromkeys(("next month", "next_month"), "next_month"),
    **dict.fromkeys(("end of month", "end of the month", "the end of the month", "month end", "eom"), "this_month"),
}
GROUP_BY: Mapping[str, str] = {
    **dict.fromkeys(("provider", "providers", "cloud", "clouds", "vendor", "vendors"), "provider"),
    **dict.fromkeys(("environment", "environments", "env", "envs", "stage", "stages"), "environment"),
    **dict.fromkeys(("region", "regions", "location", "locations"), "region"),
    **dict.fromkeys(("service", "services", "app", "apps", "application", "applications"), "service"),
    **dict.fromkeys(("team", "teams"), "team"),
    **dict.fromkeys(("resource", "resources"), "resource"),
    **dict.fromkeys(("account", "accounts", "subscription", "subscriptions", "project", "projects"), "account"),
    **dict.fromkeys(("owner", "owners"), "owner"),
    **dict.fromkeys(("kind", "kinds", "type", "types"), "kind"),
}
# What a metrics question asks for, by the names on-call engineers use; the values are the metrics the sources
# know (actions.metrics.model.Metric; a test checks the two agree). "load" is CPU: load average is what "how
# loaded" means on a box; requests are "traffic", "rps" or "throughput". Longer names first where one contains
# another ("inbound traffic" is network in, not requests).
METRIC_WORDS: Mapping[str, str] = {
    **dict.fromkeys(("network in", "net in", "network inbound", "inbound network", "network ingress"), "network_in"),
    **dict.fromkeys(("inbound traffic", "incoming traffic", "inbound", "ingress", "bytes in", "rx"), "network_in"),
    **dict.fromkeys(("inbound bandwidth", "incoming bandwidth", "network rx", "bandwidth in"), "network_in"),
    **dict.fromkeys(
        ("network out", "net out", "network outbound", "outbound network", "network egress"), "network_out"
    ),
    **dict.fromkeys(("outbound traffic", "outgoing traffic", "outbound", "egress", "bytes out"), "network_out"),
    **dict.fromkeys(("outbound bandwidth", "outgoing bandwidth", "bandwidth out"), "network_out"),
    **dict.fromkeys(("p50", "p50 latency", "latency p50", "median latency", "median response time"), "latency_p50"),
    **dict.fromkeys(("median", "average latency", "avg latency", "mean latency", "typical latency"), "latency_p50"),
    **dict.fromkeys(("average response time", "50th percentile", "50th percentile latency"), "latency_p50"),
    **dict.fromkeys(
        ("errors", "error", "error rate", "error rates", "error count", "5xx", "5xxs", "5xx errors"), "errors"
    ),
    **dict.fromkeys(("500s", "http errors", "failures", "failure rate", "failed requests", "server errors"), "errors"),
    **dict.fromkeys(("p99", "p99 latency", "latency p99", "latency", "latencies", "tail latency"), "latency_p99"),
    **dict.fromkeys(("response time", "response times", "p99 response time", "99th percentile"), "latency_p99"),
    **dict.fromkeys(("99th percentile latency",), "latency_p99"),
    **dict.fromkeys(("memory", "mem", "ram", "memory pressure"), "memory"),
    **dict.fromkeys(("cpu", "cpus", "processor", "load", "load average", "loadavg", "cpu load"), "cpu"),
    **dict.fromkeys(("utilisation", "utilization"), "cpu"),
    **dict.fromkeys(("requests", "request rate", "request count", "traffic", "rps", "qps", "throughput"), "requests"),
    **dict.fromkeys(("requests per second", "req/s", "hits", "http requests"), "requests"),
}
# Words that name what a machine does: part of resource names everywhere ("web-prod", "billing db two").
ROLES = frozenset(
    {"web", "www", "api", "db", "database", "worker", "workers", "cache", "redis", "postgres", "pg", "mysql", "sql"}
    | {"kafka", "queue", "mq", "rabbit", "rabbitmq", "frontend", "backend", "front", "auth", "billing", "payments"}
    | {"payment", "checkout", "search", "etl", "cron", "batch", "gateway", "gw", "proxy", "nginx", "edge", "cdn"}
    | {"media", "chat", "notify", "notifications", "report", "reports", "booking", "bookings", "vendor", "rsvp"}
    | {"guestlist", "gallery", "mail", "smtp", "dns", "vpn", "bastion", "jump", "grafana", "prometheus", "elastic"}
    | {"es", "mongo", "mongodb", "memcached", "storage", "bucket", "app", "ingest", "scheduler", "jenkins", "ci"}
    | {"runner", "admin", "internal", "canary", "preview", "stream", "streaming", "upload", "uploads", "images"}
    | {"static", "assets", "k8s", "kube", "cluster", "node", "nodes", "lb", "elb", "alb", "replica", "primary"}
    | {"vol", "volume", "disk", "vm", "ip", "nat", "vpc", "subnet", "host", "pool", "standby", "secondary"}
)
_GROUP_BY_LEAD = (("broken", "down", "by"), ("grouped", "by"), ("split", "by"), ("by",), ("per",))


def _first_words(*tables: Mapping[str, object]) -> frozenset[str]:
    return frozenset(key.split()[0] for table in tables for key in table)


# Most words start no phrase at all; looking the first word up first keeps bags of filters cheap.
_STARTS = _first_words(PROVIDERS, ENVIRONMENTS, KINDS, STATES, PERIODS)


def _reader(table: Mapping[str, V], longest: int) -> Callable[[Sequence[str], int], tuple[V, int] | None]:
    """A reader of `table`: the value of the longest key of at most `longest` words at words[i:], and the index
    after it."""

    def read(words: Sequence[str], i: int) -> tuple[V, int] | None:
        if i >= len(words) or words[i] not in _STARTS:
            return None
        for n in range(min(longest, len(words) - i), 0, -1):
            key = " ".join(words[i : i + n])
            if key in table:
                return table[key], i + n
        return None

    return read


read_provider = _reader(PROVIDERS, 3)
read_environment = _reader(ENVIRONMENTS, 2)
read_kind = _reader(KINDS, 3)
read_state = _reader(STATES, 2)
_read_period_phrase = _reader(PERIODS, 4)


def read_region(words: Sequence[str], i: int) -> Found:
    """A known region, typed ("eu-west-1") or spoken ("eu west one", "west europe")."""
    if i >= len(words) or words[i] not in _REGION_STARTS:
        return None
    if words[i] in REGIONS:
        return words[i], i + 1
    for n in range(min(4, len(words) - i), 1, -1):
        key = _compact(words[i : i + n])
        if key in _REGIONS_COMPACT:
            return _REGIONS_COMPACT[key], i + n
    return None


def read_period(words: Sequence[str], i: int) -> Found:
    """A reporting period: "this month", "last 7 days" (-> "7d"), "14d"."""
    found = _read_period_phrase(words, i)
    if found:
        return found
    j = i + 1 if i < len(words) and words[i] in ("last", "past", "previous") else i
    if j < len(words) and words[j].endswith("d") and is_digits(words[j][:-1]):
        return words[j], j + 1
    number = read_number(words, j)
    if number and number[1] < len(words) and words[number[1]] in ("days", "day") and 0 < number[0] <= 366:
        return f"{number[0]}d", number[1] + 1
    return None


def read_group_by(words: Sequence[str], i: int) -> Found:
    """ "by provider", "per environment", "broken down by region"."""
    for lead in _GROUP_BY_LEAD:
        j = i + len(lead)
        if tuple(words[i:j]) == lead and j < len(words) and words[j] in GROUP_BY:
            return GROUP_BY[words[j]], j + 1
    return None


def looks_like_name(phrase: str) -> bool:
    """Whether a phrase could name a resource: a word with a digit, hyphen or underscore, a role ("web"), an
    environment or a region - not any English word ("what is love"), a sum ("17 times 23") nor a metric ("p99")."""
    for word in phrase.lower().split():
        if word in METRIC_WORDS:  # "p99", "5xx", "req/s": a metric's name, however it is spelled
            continue
        if any(c.isalpha() for c in word) and any(c.isdigit() or c in "-_." for c in word):
            return True
        if word in ROLES or word in ENVIRONMENTS or word in REGIONS or word in PROVIDERS:
            return True
    return False


def _compact(words: Sequence[str]) -> str:
    """ "us east one" -> "useast1": separators dropped, single spoken digits as digits."""
    return "".join(str(UNITS[w]) if w in UNITS else w for w in words).replace("-", "")


def _spoken_regions() -> dict[str, str]:
    # "us east one" is AWS us-east-1 rather than Google's us-east1: the more hyphens, the later it is written.
    table = {region.replace("-", ""): region for region in sorted(REGIONS, key=lambda r: (r.count("-"), r))}
    # Azure names read naturally the other way round ("west europe" -> westeurope).
    for region in ("westeurope", "northeurope", "eastus", "westus", "centralus", "eastasia", "southeastasia"):
        for direction in ("west", "north", "east", "central", "southeast"):
            place = region.removeprefix(direction)
            if place != region:
                table[place + direction] = region
    return table


_REGIONS_COMPACT = _spoken_regions()
# A spoken region starts with a word that begins its compact form ("us" of "useast1", "west" of "westeurope").
_REGION_STARTS = REGIONS | {key[:n] for key in _REGIONS_COMPACT for n in range(1, len(key) + 1)}


def words() -> frozenset[str]:
    """Every word of the closed vocabularies."""
    tables: tuple[Mapping[str, object], ...] = (PROVIDERS, ENVIRONMENTS, KINDS, STATES, PERIODS, GROUP_BY, METRIC_WORDS)
    return frozenset(w for table in tables for key in table for w in key.split()) | REGIONS
