"""Release manifests written by a test, next to the shipped one."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteReleases = Callable[[str], Path]

# The smallest manifest worth testing: one service in two clouds, three versions.
SMALL = """
services:
  shop:
    compare_url: "https://git.example/shop/compare/{from}...{to}"
    environments:
      prod:
        groups:
          - group: shop-east
          - group: shop-west
            strategy: {batch_percent: 50, warmup_seconds: 10}
      staging:
        groups:
          - group: shop-test
    versions:
      v1.0:
        aws: {launch_template: shop, template_version: "1"}
        gcp: {instance_template: shop-v1-0}
        commit: 1111111aaaa
        changes: [first]
      v1.1:
        aws: {launch_template: shop, template_version: "2"}
        gcp: {instance_template: shop-v1-1}
        changes: [second, second again]
      v1.2:
        aws: {launch_template: shop, template_version: "3"}
        commit: 3333333cccc
        changes: [third]
"""


@pytest.fixture
def write_releases(tmp_path: Path) -> WriteReleases:
    def write(text: str) -> Path:
        path = tmp_path / "releases.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write
