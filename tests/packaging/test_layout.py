"""The lists that say what opsbot ships cannot drift apart: every top-level package is in pyproject's package list
and mypy's; shipped code never imports the tests, edits sys.path or makes `bot` import the benchmarks; the
`bench` extra is what the benchmark runner skips on; the env example documents every setting."""

from __future__ import annotations

import ast
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


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (CHECKOUT / package).rglob("*.py") if "__pycache__" not in p.parts)


def test_every_package_is_packaged_and_type_checked() -> None:
    include = {name.rstrip("*") for name in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    checked = set(PYPROJECT["tool"]["mypy"]["packages"])
    assert include == shipped_packages()
    assert checked == shipped_packages()


def test_shipped_code_never_imports_the_tests_nor_edits_sys_path() -> None:
    offenders = []
    for package in sorted(shipped_packages()):
        for path in _modules(package):
            roots = {name.partition(".")[0] for name in _imports(path)}
            if "tests" in roots or re.search(r"sys\.path\.(insert|append)", path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(CHECKOUT)))
    assert offenders == []


def test_bot_does_not_import_the_benchmarks() -> None:
    """The benchmarks drive `bot`; `opsbot bench` runs them in their own process instead of importing them."""
    offenders = [
        str(path.relative_to(CHECKOUT))
        for path in _modules("bot")
        if any(name == "bench" or name.startswith("bench.") for name in _imports(path))
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
