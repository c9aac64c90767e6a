"""Answers computed from one inventory, kept until the provider hands out another: status and cost over
10,000 resources take milliseconds, and the same question comes again and again during an incident."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from actions.provider import Resource

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class InventoryMemo(Generic[K, V]):
    """Answers computed from one inventory; forgotten as soon as the provider hands out another."""

    def __init__(self) -> None:
        self._resources: tuple[Resource, ...] | None = None
        self._values: dict[K, V] = {}

    def get(self, resources: tuple[Resource, ...], key: K, compute: Callable[[], V]) -> V:
        if self._resources is not resources or len(self._values) >= 256:  # keys with the minute in them pile up
            self._resources, self._values = resources, {}
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]
