"""The simulated world's geography and price list (USD per hour; simulated, not any cloud's real prices)."""

from __future__ import annotations

from types import MappingProxyType

from core.models import Cloud

REGIONS: MappingProxyType[Cloud, tuple[str, ...]] = MappingProxyType(
    {
        Cloud.AWS: ("us-east-1", "us-west-2", "eu-west-1"),
        Cloud.AZURE: ("westeurope", "northeurope", "eastus"),
        Cloud.GCP: ("europe-west1", "us-central1", "asia-east1"),
    }
)


ENVIRONMENTS = ("prod", "staging", "dr")

# Instance types per cloud, cheapest first; the generator picks from these.
INSTANCE_PRICES: MappingProxyType[Cloud, dict[str, float]] = MappingProxyType(
    {
        Cloud.AWS: {
            "t3.medium": 0.0416,
            "m5.large": 0.096,
            "m5.xlarge": 0.192,
            "c5.2xlarge": 0.34,
            "m6i.2xlarge": 0.50,
            "m5.2xlarge": 0.5125,
        },
        Cloud.AZURE: {
            "Standard_B2s": 0.0416,
            "Standard_D2s_v5": 0.096,
            "Standard_D4s_v5": 0.192,
            "Standard_D8s_v5": 0.384,
            "Standard_E8s_v5": 0.504,
        },
        Cloud.GCP: {
            "e2-medium": 0.0335,
            "n2-standard-2": 0.0971,
            "n2-standard-4": 0.1942,
            "n2-standard-8": 0.3885,
        },
    }
)

DATABASE_PRICES: MappingProxyType[Cloud, dict[str, float]] = MappingProxyType(
    {
        Cloud.AWS: {"db.t3.medium": 0.068, "db.r5.large": 0.25, "db.r5.xlarge": 0.50},
        Cloud.AZURE: {"GP_Gen5_2": 0.25, "GP_Gen5_4": 0.50},
        Cloud.GCP: {"db-custom-2-8192": 0.18, "db-custom-4-16384": 0.35},
    }
)

LOAD_BALANCER_PRICES: MappingProxyType[Cloud, dict[str, float]] = MappingProxyType(
    {Cloud.AWS: {"alb": 0.0225}, Cloud.AZURE: {"Standard": 0.025}, Cloud.GCP: {"global-http": 0.025}}
)

DISK_TYPES: MappingProxyType[Cloud, str] = MappingProxyType(
    {Cloud.AWS: "gp3", Cloud.AZURE: "Premium_LRS", Cloud.GCP: "pd-ssd"}
)
DISK_GB_MONTH = 0.08
DISK_SIZES_GB = (32, 64, 100, 128, 256, 512, 1024)
HOURS_PER_MONTH = 730


def hourly_price(cloud: Cloud, kind: str, size: str) -> float:
    """What one running resource of this size costs per hour (0 when the size is unknown)."""
    if kind == "instance" or kind == "group":
        return INSTANCE_PRICES[cloud].get(size, 0.0)
    if kind == "database":
        return DATABASE_PRICES[cloud].get(size, 0.0)
    if kind == "load_balancer":
        return LOAD_BALANCER_PRICES[cloud].get(size, 0.0)
    if kind == "disk":
        gigabytes = int(size.rsplit(" ", 1)[-1].removesuffix("GB") or 0)
        return round(gigabytes * DISK_GB_MONTH / HOURS_PER_MONTH, 4)
    return 0.0
