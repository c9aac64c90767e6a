"""A simulated AWS + Azure + Google Cloud estate: a seeded inventory and a provider whose changes live in
Redis, for the demo, the tests and the benchmarks."""

from actions.simulated.inventory import generate_inventory
from actions.simulated.provider import SimulatedCloud

__all__ = ["SimulatedCloud", "generate_inventory"]
