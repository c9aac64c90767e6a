"""Which region and zone names each cloud has, so a misspelt one is refused when the settings load ("'us-esat-1'
is not an AWS region (did you mean us-east-1?)") instead of failing at the first API call.

AWS: the regions of every partition in botocore's own endpoint data (the list the SDK ships; a region newer than
the installed botocore needs a botocore upgrade). Google Cloud: no library ships its zones offline, so a zone is
checked by its form only ("europe-west1-b"). Azure subscriptions are read across all their locations: there is
no location setting to check."""

from __future__ import annotations

import re
from functools import cache

from rapidfuzz import process

_GCP_ZONE = re.compile(r"[a-z]+-[a-z]+[0-9]+-[a-z]")
_GCP_REGION = re.compile(r"[a-z]+-[a-z]+[0-9]+")


@cache
def aws_regions() -> frozenset[str]:
    """Every region of every AWS partition botocore knows (aws, aws-cn, aws-us-gov, the isolated ones)."""
    from botocore.loaders import Loader  # imported here: settings without AWS accounts never load botocore

    endpoints = Loader().load_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"] for region in partition.get("regions", {}))


def aws_region_problem(name: str) -> str | None:
    """None for a known region, else the line that says so, with the closest known name."""
    known = aws_regions()
    if name in known:
        return None
    match = process.extractOne(name, sorted(known), processor=str.lower, score_cutoff=75)
    hint = f"did you mean {match[0]}?" if match else "like us-east-1"
    return f"'{name}' is not an AWS region ({hint})"


def gcp_zone_problem(name: str) -> str | None:
    """None for a name of a zone's form (the zone itself is not looked up), else what is wrong."""
    if _GCP_ZONE.fullmatch(name):
        return None
    if _GCP_REGION.fullmatch(name):
        return f"'{name}' is a region, not a zone (like {name}-b)"
    return f"'{name}' is not a Compute Engine zone (like europe-west1-b)"
