"""Which label names the thing an alert is about. Operators label it themselves (`resource: web-prod` in a
Prometheus rule); every scraped series also carries `instance` (host:port of the scrape target), which names
the exporter, not what the operator meant. So an explicit label outranks `instance`, and the order is
configurable per source in the alerting file (`sources: alertmanager: resource_labels: [...]`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from alerts.model import Incoming
from alerts.sources import fields

# Alertmanager's default: the operator's own label first, the scrape job (often only "node") last.
DEFAULT_ORDER = ("resource", "service", "instance", "host", "hostname", "pod", "job")
ADDRESS_LABELS = frozenset({"instance"})  # host:port or a URL: the host is what a person calls it


def resource_from(labels: Mapping[str, str], order: Sequence[str]) -> str | None:
    """The value of the first label in `order` that has one; for `instance`, its host without the port."""
    for label in order:
        value = fields.text(labels.get(label))
        if value:
            return fields.name(host_of(value) if label in ADDRESS_LABELS else value)
    return None


def relabelled(incoming: Incoming, order: Sequence[str]) -> Incoming:
    """`incoming` with its resource taken from its labels in `order`; unchanged when none of them is set."""
    found = resource_from(incoming.labels, order)
    if found is None or found == incoming.resource:
        return incoming
    return incoming.model_copy(update={"resource": found})


def host_of(instance: str) -> str:
    """ "web-1:9100" -> "web-1", "https://shop.example.com/health" -> "shop.example.com", "[::1]:9100" -> "::1"."""
    instance = instance.strip()
    if not instance:
        return ""
    try:
        host = urlsplit(instance if "://" in instance else f"//{instance}").hostname
    except ValueError:  # an unbalanced "["
        host = None
    return host or instance
