"""GCP resource ids: "gcp:<project>:<zone>:instance/<name>" and "gcp:<project>:<zone>:mig/<name>"."""

from __future__ import annotations

from typing import NamedTuple

from core.errors import ResourceNotFound

KINDS = ("instance", "mig")


class GcpRef(NamedTuple):
    project: str
    zone: str
    kind: str  # "instance" or "mig"
    name: str

    @property
    def id(self) -> str:
        return f"gcp:{self.project}:{self.zone}:{self.kind}/{self.name}"


def parse_id(resource_id: str) -> GcpRef:
    """The parts of a GCP resource id; ResourceNotFound for anything else (never echoing a long input)."""
    parts = resource_id.split(":", 3)
    kind, _, name = parts[3].partition("/") if len(parts) == 4 else ("", "", "")
    if parts[0] != "gcp" or not all(parts[1:3]) or kind not in KINDS or not name:
        raise ResourceNotFound(f"{resource_id[:60]} is not a Google Cloud resource id.")
    return GcpRef(parts[1], parts[2], kind, name)


def last_part(url: str) -> str:
    """'https://.../zones/europe-west1-b/machineTypes/e2-medium' -> 'e2-medium'."""
    return url.rstrip("/").rsplit("/", 1)[-1]
