"""`AwsDns`: the `DnsSwitch` over Route 53 weighted record sets.

A target's `zone` is "<account label>/<hosted zone id>" ("prod/Z0123456789ABC"): the account whose credentials
reach the zone, then the zone. Its `name` and `record_type` pick the weighted record sets, one per place
(`SetIdentifier` = the place). Pointing at a place is one ChangeBatch that UPSERTs every place's record with weight
100 for the place and 0 for the others, each record otherwise as it was (its ResourceRecords or AliasTarget, TTL,
HealthCheckId), read just before with ListResourceRecordSets: a switch never rewrites where a place goes, only how
much traffic it gets. The change id is Route 53's ("C0123..."); it is settled when GetChange says INSYNC.

Route 53 is global: one client per account, in us-east-1. Every request waits for the throttle first (the
client's `before-call` hook, see `clients.py`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from actions.aws.api import Record
from actions.aws.clients import AwsClients, SessionFactory
from actions.aws.errors import auth_hint, translated
from actions.backend import Throttle
from actions.dns.model import DnsState, DnsTarget
from core.cloud_config import AwsAccount
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError

REGION = "us-east-1"  # Route 53's API lives there, whatever the account's regions
UNCHANGED = "unchanged"  # the id `point` returns when the name already pointed there: settled at once
_BUSY = frozenset({"PriorRequestNotComplete", "Throttling", "ThrottlingException", "ServiceUnavailable"})
_REFUSED = frozenset({"InvalidChangeBatch", "InvalidInput", "NoSuchHealthCheck", "InvalidArgument"})


def _canonical(name: str) -> str:
    """A record name to compare with Route 53's: lower case, absolute (trailing dot), a wildcard as "*" (Route 53
    lists it as its octal escape)."""
    return name.strip().lower().replace("\\052", "*").rstrip(".") + "."


def shares(weights: dict[str, int]) -> dict[str, int]:
    """Each place's share of the traffic in percent. All weights 0: Route 53 answers with each place equally."""
    total = sum(weights.values())
    if not weights:
        return {}
    if total == 0:
        return {place: round(100 / len(weights)) for place in weights}
    return {place: round(100 * weight / total) for place, weight in weights.items()}


class AwsDns:
    def __init__(
        self,
        accounts: Sequence[AwsAccount],
        *,
        throttle: Throttle,
        timeout: float,
        session_factory: SessionFactory | None = None,
    ) -> None:
        self._clients = AwsClients(accounts, timeout=timeout, session_factory=session_factory, throttle=throttle)

    def read(self, target: DnsTarget) -> DnsState:
        account, zone = self._where(target)
        records = self._records(account, zone, target)
        weights = {str(r["SetIdentifier"]): int(r["Weight"]) for r in records}
        share = shares(weights)
        ttls = [int(r["TTL"]) for r in records if "TTL" in r]
        listed = ", ".join(f"{place} {weight}" for place, weight in sorted(weights.items()))
        alias = " (alias)" if any("AliasTarget" in r for r in records) else ""
        return DnsState(
            pointing=tuple(sorted(place for place, part in share.items() if part > 0)),
            weights=share,
            ttl=max(ttls) if ttls else None,
            detail=f"record {_canonical(target.name)} {target.record_type}{alias} weighted: {listed}"[:200],
        )

    def point(self, target: DnsTarget, place: str) -> str:
        account, zone = self._where(target)
        records = self._records(account, zone, target)
        places = sorted(str(r["SetIdentifier"]) for r in records)
        if place not in places:
            raise ProviderError(f"AWS Route 53 {zone} {_canonical(target.name)}: no place {place}; it has "
                                f"{', '.join(places)}")  # fmt: skip
        if all((int(r["Weight"]) > 0) == (r["SetIdentifier"] == place) for r in records):
            return UNCHANGED
        changes = [
            {"Action": "UPSERT", "ResourceRecordSet": r | {"Weight": 100 if r["SetIdentifier"] == place else 0}}
            for r in records
        ]
        comment = f"opsbot: {_canonical(target.name)} to {place}"
        with self._calls(account, zone, target, "ChangeResourceRecordSets"):
            answer = self._client(account).change_resource_record_sets(
                HostedZoneId=zone, ChangeBatch={"Comment": comment, "Changes": changes}
            )
        return str(answer["ChangeInfo"]["Id"]).removeprefix("/change/")

    def settled(self, target: DnsTarget, change: str) -> bool:
        if change == UNCHANGED:
            return True
        account, zone = self._where(target)
        with self._calls(account, zone, target, "GetChange"):
            answer = self._client(account).get_change(Id=change)
        return str(answer["ChangeInfo"]["Status"]) == "INSYNC"

    def _where(self, target: DnsTarget) -> tuple[AwsAccount, str]:
        """The account and the hosted zone id a target names ("prod/Z0123", "prod//hostedzone/Z0123")."""
        label, _, zone = target.zone.partition("/")
        zone = zone.strip("/").removeprefix("hostedzone/")
        if not label or not zone:
            raise ProviderError(f"AWS Route 53 {target.zone}: give the zone as <account>/<hosted zone id>, "
                                "e.g. prod/Z0123456789ABC")  # fmt: skip
        try:
            return self._clients.account(label), zone
        except ResourceNotFound:
            raise ProviderError(f"AWS Route 53 {zone}: account {label} is not configured; add it to the AWS "
                                "accounts or fix the zone's account") from None  # fmt: skip

    def _client(self, account: AwsAccount) -> Any:
        return self._clients.client(account, REGION, "route53")

    def _records(self, account: AwsAccount, zone: str, target: DnsTarget) -> list[Record]:
        """The name's weighted record sets of the target's type, every page of them."""
        name, found = _canonical(target.name), []
        start: dict[str, str] = {"StartRecordName": name, "StartRecordType": target.record_type}
        with self._calls(account, zone, target, "ListResourceRecordSets"):
            while True:
                page = self._client(account).list_resource_record_sets(HostedZoneId=zone, MaxItems="300", **start)
                sets = page.get("ResourceRecordSets", [])
                mine = [r for r in sets if _canonical(str(r["Name"])) == name and r["Type"] == target.record_type]
                found += [r for r in mine if "SetIdentifier" in r and "Weight" in r]
                if not page.get("IsTruncated") or len(mine) < len(sets):
                    break
                start = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
                if page.get("NextRecordIdentifier"):
                    start["StartRecordIdentifier"] = page["NextRecordIdentifier"]
        if not found:
            raise ProviderError(
                f"AWS Route 53 {zone}: no weighted {target.record_type} records named {name}; create one per "
                "place (SetIdentifier = the place, with a Weight)"
            )
        return found

    @contextmanager
    def _calls(self, account: AwsAccount, zone: str, target: DnsTarget, operation: str) -> Iterator[None]:
        """Route 53's own refusals as one line naming the zone; anything else as every AWS call translates it."""
        try:
            with translated(account, REGION, f"hosted zone {zone}", operation):
                yield
        except ProviderError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError):
                raise _refusal(cause, account, zone, _canonical(target.name), operation) or exc from cause
            raise


def _refusal(exc: ClientError, account: AwsAccount, zone: str, name: str, operation: str) -> ProviderError | None:
    """The line for a Route 53 error that names the zone and the fix; None: the generic translation will do."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    message = " ".join(str(error.get("Message") or code).split())[:160]
    where = f"AWS Route 53 {zone}"
    if code == "NoSuchHostedZone":
        return ResourceNotFound(f"{where}: no such hosted zone in account {account.name}; check the zone id")
    if code == "NoSuchChange":
        return ResourceNotFound(f"{where}: Route 53 does not know that change; point again")
    if code.startswith("AccessDenied") or status == 403:
        return ProviderAuthError(f"{where}: {operation} denied for account {account.name} - check that "
                                 f"{auth_hint(account)} may use Route 53 on this zone")  # fmt: skip
    if code in _BUSY or status == 429 or status >= 500:
        return TransientProviderError(f"{where} is busy ({code or status}); will retry")
    if code in _REFUSED or status in (400, 409, 412):
        return ProviderError(f"{where} {name}: Route 53 refused {operation}: {message}")
    return None
