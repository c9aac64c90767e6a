"""Where a service's traffic goes, as data, and the one interface every DNS switch implements.

A `DnsTarget` is the name people reach a service by and the places it can point at, in the terms of the cloud that
serves that name:
- AWS Route 53: a hosted zone and a record name with weighted record sets, one per place (`SetIdentifier` =
  the place, e.g. "web-prod" and "web-dr"); pointing at a place gives it weight 100 and the others 0
  (`ChangeResourceRecordSets` UPSERT), settled when `GetChange` says INSYNC.
- Azure Traffic Manager: a profile (`zone` = "<subscription>/<resource group>/<profile>") whose endpoints are the
  places; pointing enables that endpoint and disables the others.
- Google Cloud DNS: a managed zone (`zone` = "<project>/<managed zone>") and a record name whose record set is
  replaced by the place's own data (`places` maps each place to its rrdatas, e.g. an IP address); settled when the
  change's status is "done".
- The simulated world: any zone and name; a place is a group's name."""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from core.models import Cloud, Frozen


class DnsTarget(Frozen):
    cloud: Cloud | None  # None: the simulated world
    # AWS "<account>/<hosted zone id>", Azure "<subscription>/<resource group>/<profile>", Google "<project>/<zone>"
    zone: str = Field(min_length=1, max_length=512)
    name: str = Field(min_length=1, max_length=253)  # "www.example.com." (Traffic Manager: the profile's DNS name)
    # Each place's record data where the cloud needs it (Google: the rrdatas of the record set, and its type and
    # TTL below); Route 53 and Traffic Manager keep their own (weighted record sets, endpoints).
    places: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    record_type: str = "A"
    ttl: int = Field(default=60, ge=1, le=86400)


class DnsState(Frozen):
    """Where the name points now, as its cloud says."""

    pointing: tuple[str, ...]  # the places taking traffic now (normally one)
    weights: dict[str, int] = Field(default_factory=dict)  # every place the cloud knows, with its share (0-100)
    ttl: int | None = None  # seconds resolvers may keep the old answer
    detail: str = ""  # the cloud's own words, one line ("record web.example.com. A 60 s")


class DnsSwitch(Protocol):
    """Moves one name's traffic. Methods raise the `core.errors` tree (ProviderError with one plain line naming
    the cloud, the zone or profile and the fix; TransientProviderError for 429/5xx), never an SDK error. `point`
    is idempotent: pointing where it already points changes nothing and returns a change that is settled."""

    def read(self, target: DnsTarget) -> DnsState:
        """Where `target` points now."""
        ...

    def point(self, target: DnsTarget, place: str) -> str:
        """Send all of `target`'s traffic to `place` (one of its places); returns the change's id to wait on.
        Raises ProviderError naming the places it has when `place` is not one of them."""
        ...

    def settled(self, target: DnsTarget, change: str) -> bool:
        """Whether the change is live at the cloud's name servers (Route 53 INSYNC, Cloud DNS done; Traffic
        Manager: at once)."""
        ...
