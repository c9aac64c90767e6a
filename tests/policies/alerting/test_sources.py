"""`sources:` in the alerting file: which label names an alert's resource, per source."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from policies.alerting.loader import load_alerting
from tests.policies.alerting.conftest import WriteAlerting

ROUTES = "routes:\n  - name: all\n"


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_alerting(path)
    return err.value.problems


def test_a_source_names_its_resource_labels_in_order(write_alerting: WriteAlerting) -> None:
    path = write_alerting(ROUTES + "sources:\n  alertmanager:\n    resource_labels: [resource, service, instance]\n")
    assert load_alerting(path).sources["alertmanager"].resource_labels == ("resource", "service", "instance")


def test_an_unknown_source_or_an_empty_list_is_refused(write_alerting: WriteAlerting) -> None:
    path = write_alerting(
        ROUTES + "sources:\n  alertmanger:\n    resource_labels: [service]\n  generic:\n    resource_labels: []\n"
    )
    assert _problems(path) == [
        f"{path}:4: unknown source 'alertmanger' (did you mean 'alertmanager'?)",
        f"{path}:7: resource_labels: give at least one",
    ]
