"""The lists that say what opsbot ships cannot drift apart: every top-level package is in pyproject's package list,
mypy's and the import contracts' (`.importlinter`, which forbids shipped code importing the tests and `bot` importing
the benchmarks); shipped code never edits sys.path; the `bench` extra is what the benchmark runner skips on; the env
example documents every setting."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

import yaml

from bench.runner import EXTRA_MODULES
from core.settings import Settings

CHECKOUT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))
NOT_SHIPPED = {"tests"}


def shipped_packages() -> set[str]:
    """Top-level folders that are Python packages, except the tests."""
    found = {init.parent.name for init in CHECKOUT.glob("*/__init__.py")}
    return found - NOT_SHIPPED


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (CHECKOUT / package).rglob("*.py") if "__pycache__" not in p.parts)


def test_every_package_is_packaged_and_type_checked() -> None:
    include = {name.rstrip("*") for name in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    checked = set(PYPROJECT["tool"]["mypy"]["packages"])
    assert include == shipped_packages()
    assert checked == shipped_packages() | NOT_SHIPPED  # the tests are type-checked too


def test_every_package_is_under_the_import_contracts() -> None:
    config = configparser.ConfigParser()
    config.read(CHECKOUT / ".importlinter", encoding="utf-8")
    assert set(config["importlinter"]["root_packages"].split()) == shipped_packages() | NOT_SHIPPED


def test_shipped_code_never_edits_sys_path() -> None:
    """Imports resolve as installed; which package may import which is checked by `.importlinter` (`make lint`)."""
    offenders = [
        str(path.relative_to(CHECKOUT))
        for package in sorted(shipped_packages())
        for path in _modules(package)
        if re.search(r"sys\.path\.(insert|append)", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_bench_extra_is_what_the_runner_skips_on() -> None:
    extra = PYPROJECT["project"]["optional-dependencies"]["bench"]
    distributions = {re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0] for requirement in extra}
    assert {name.lower().replace("-", "_") for name in distributions} == EXTRA_MODULES
    assert "opsbot[bench]" in PYPROJECT["project"]["optional-dependencies"]["dev"]


def test_the_env_example_documents_every_setting_compose_passes() -> None:
    example = (CHECKOUT / "deploy" / "opsbot.env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"\bOPSBOT_[A-Z0-9_]+", example))
    assert {f"OPSBOT_{field.upper()}" for field in Settings.model_fields} - named == set()
    assert named - {f"OPSBOT_{field.upper()}" for field in Settings.model_fields} == set()  # no stale names
    compose = yaml.safe_load((CHECKOUT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    env_files = {name for service in compose["services"].values() for name in service.get("env_file", [])}
    assert env_files == {"opsbot.env"}
    assert "cp deploy/opsbot.env.example deploy/opsbot.env" in (CHECKOUT / "deploy" / "compose.yaml").read_text()


def test_the_secret_env_file_stays_out_of_git_and_the_image() -> None:
    assert "deploy/opsbot.env" in (CHECKOUT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "deploy/opsbot.env" in (CHECKOUT / ".dockerignore").read_text(encoding="utf-8").splitlines()
