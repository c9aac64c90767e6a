"""The mapping of each metric to each monitoring system (the shipped `mapping.yaml`, overridable entry by entry
with OPSBOT_METRICS_MAPPING). A file that does not fit says FILE:LINE and why, like every config file."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from actions.metrics.model import Metric
from core.errors import ConfigError
from core.models import Frozen
from core.yaml_lines import line_of

SHIPPED = Path(__file__).with_name("mapping.yaml")


class PromMapping(Frozen):
    instance_label: str = "instance"
    group_label: str = "group"
    queries: dict[Metric, str] = Field(default_factory=dict)  # PromQL with $selector, $by, $window


class CloudWatchMetric(Frozen):
    namespace: str
    name: str
    stat: str  # Average, Sum, Maximum, p99 ...
    dimension: dict[str, str]  # resource kind -> dimension name holding its id
    scale: float = 1.0
    per_second: bool = False


class AzureMetric(Frozen):
    name: str
    aggregation: str  # Average, Total, Maximum ...
    scale: float = 1.0
    per_second: bool = False
    complement: bool = False  # 100 - value


class GcpMetric(Frozen):
    type: str
    aligner: str  # ALIGN_MEAN, ALIGN_RATE, ALIGN_PERCENTILE_99 ...
    scale: float = 1.0
    filter: str | None = None  # more of the filter, ANDed


class MetricsMapping(Frozen):
    prometheus: PromMapping = Field(default_factory=PromMapping)
    cloudwatch: dict[Metric, CloudWatchMetric] = Field(default_factory=dict)
    azure: dict[Metric, AzureMetric] = Field(default_factory=dict)
    gcp: dict[Metric, GcpMetric] = Field(default_factory=dict)


def load_mapping(override: Path | None = None) -> MetricsMapping:
    """The shipped mapping, with each entry the override file names replaced by its own."""
    data = _read(SHIPPED)[1]
    if override is not None:
        root, extra = _read(override)
        data = _merge(data, extra)
        try:
            return MetricsMapping.model_validate(data)
        except ValidationError as exc:
            problems = [f"{override}:{line_of(root, e['loc'])}: {_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
            raise ConfigError(f"{override}: not a metrics mapping", problems) from None
    return _shipped()


def _where(loc: tuple[str | int, ...]) -> str:
    """The entry a problem is in, as dotted keys ("azure.cpu.name")."""
    return ".".join(str(part) for part in loc if part != "[key]")


@cache
def _shipped() -> MetricsMapping:
    return MetricsMapping.model_validate(_read(SHIPPED)[1])


def _read(path: Path) -> tuple[yaml.Node | None, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{path}: not YAML", [f"{path}:{line}: {getattr(exc, 'problem', exc)}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a metrics mapping", [f"{path}:1: expected a mapping"])
    return root, data


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "dimension":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
