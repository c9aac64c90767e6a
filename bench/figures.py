"""What a benchmark reports: named figures with units and the goal they are measured against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str  # "parse p99"
    value: float
    unit: str  # "ms", "MB", "appends/s"
    goal: str = ""  # "<= 1 ms", shown beside the figure; benchmarks never fail on it

    def line(self) -> str:
        goal = f"  (goal {self.goal})" if self.goal else ""
        return f"{self.name:<48} {self.value:>12,.3f} {self.unit}{goal}"
