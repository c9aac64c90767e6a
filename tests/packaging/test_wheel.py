"""The package a user installs - the one the container image installs (deploy/Dockerfile) - works on its own.

The wheel is built from the tree as the image's build context sees it (.dockerignore applied), installed into a
fresh venv without the dev extras, and run from a directory outside the checkout: the help, check-config, a
benchmark (and the one-line skip of those that need the `bench` extra), every module imported, and `opsbot
worker` and `opsbot serve` on the test Redis answering a Telegram message through the fake Bot API.

About two and a half minutes, most of it pip installing the dependencies into the fresh venv (from its cache
after the first run); `-m "not packaging"` leaves it out."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import redis
from rq import Worker

from bench.runner import EXTRA_HINT, EXTRA_MODULES
from fakes.daemon import free_port
from fakes.telegram_api import FakeTelegramAPI
from tests.eventually import eventually
from tests.packaging.test_layout import CHECKOUT, shipped_packages
from tests.serve_process import START_SECONDS, stop, wait_ready
from tests.telegram import updates

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

TOKEN = "7000000002:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def _docker_ignored(root: Path, patterns: list[str]) -> Callable[[str, list[str]], set[str]]:
    """shutil.copytree's `ignore` for .dockerignore patterns (root-anchored globs, `**/` for any depth)."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        relative = PurePosixPath(Path(directory).relative_to(root).as_posix())
        ignored = set()
        for name in names:
            path = str(relative / name) if str(relative) != "." else name
            for pattern in patterns:
                anywhere = pattern.removeprefix("**/")
                if fnmatch.fnmatchcase(path, pattern) or (anywhere != pattern and fnmatch.fnmatchcase(name, anywhere)):
                    ignored.add(name)
        return ignored

    return ignore


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = (CHECKOUT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]
    context = tmp_path_factory.mktemp("image-context") / "src"
    shutil.copytree(CHECKOUT, context, ignore=_docker_ignored(CHECKOUT, patterns))
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(context)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = out.glob("opsbot-*.whl")
    return found


@dataclass(frozen=True)
class Installed:
    root: Path
    home: Path  # the working directory of every command: not the checkout

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def env(self, **settings: str) -> dict[str, str]:
        """Only what a shell passes on, and OPSBOT_* settings: no PYTHONPATH, nothing of the test run."""
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
        keep["PATH"] = f"{self.bin}{os.pathsep}{keep.get('PATH', '')}"
        return {**keep, "HOME": str(self.home), "OPSBOT_DATA_DIR": str(self.home / "data"), **settings}

    def run(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]], cwd=self.home, env=self.env(**settings),
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    @contextmanager
    def running(
        self, *args: str, log: Path, settings: dict[str, str], grace: float = 30
    ) -> Iterator[subprocess.Popen[bytes]]:
        """The command until the block ends, then SIGTERM (SIGKILL after `grace` s); stdout and stderr to `log`."""
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(self.bin / args[0]), *args[1:]], cwd=self.home, env=self.env(**settings),
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                yield process
            finally:
                stop(process, grace)


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("venv") / "opsbot"
    venv.EnvBuilder(with_pip=True).create(root)
    done = subprocess.run(
        [str(root / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=800, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return Installed(root, tmp_path_factory.mktemp("home"))


def test_the_wheel_carries_every_package_and_every_file_of_them(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    top_level = {name.split("/")[0] for name in names if "/" in name and ".dist-info/" not in name}
    assert top_level == shipped_packages()
    missing = [
        str(path.relative_to(CHECKOUT))
        for package in sorted(shipped_packages())
        for path in sorted((CHECKOUT / package).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.relative_to(CHECKOUT).as_posix() not in names
    ]
    assert missing == []  # a data file the code reads needs a pattern in pyproject's package-data
    assert {"policies/default.yaml", "policies/alerting.yaml"} <= names


def test_the_commands_a_new_user_tries_first(installed: Installed) -> None:
    shown = installed.run("opsbot", "--help")
    assert shown.returncode == 0, shown.stderr
    for command in ("shell", "serve", "worker", "check-config", "bench"):
        assert command in shown.stdout
    checked = installed.run("opsbot", "check-config")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "OK: settings, policy, alerting, the metrics mapping and the release manifest are valid.\n"


def test_every_module_imports_without_the_dev_extras(installed: Installed) -> None:
    script = """
import importlib, json, pkgutil, sys
found, failed = {}, {}
for top in sys.argv[1:]:
    package = importlib.import_module(top)
    found[top] = package.__file__
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        if not info.name.endswith(".__main__"):
            try:
                importlib.import_module(info.name)
            except ModuleNotFoundError as exc:
                failed[info.name] = exc.name
print(json.dumps({"found": found, "failed": failed}))
"""
    done = installed.run("python", "-c", script, *sorted(shipped_packages()))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert all(Path(file).is_relative_to(installed.root) for file in result["found"].values()), result["found"]
    # Only benchmarks may need the `bench` extra, and only it.
    assert {module.partition(".")[0] for module in result["failed"]} <= {"bench"}, result["failed"]
    assert set(result["failed"].values()) <= EXTRA_MODULES, result["failed"]


def test_bench_runs_what_it_can_and_skips_the_rest_in_one_line_each(installed: Installed) -> None:
    done = installed.run("opsbot", "bench", "--only", "parse", "inventory_aws", "--only", "clouds")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "== parse"
    assert any("parse of" in line for line in lines)
    assert f"inventory_aws: skipped - needs moto: {EXTRA_HINT}" in lines
    assert f"clouds: skipped - needs trustme: {EXTRA_HINT}" in lines
    assert "Traceback" not in done.stderr


DEFAULT_POLICY_ALICE = 123456789  # alice's Telegram id in the shipped policy (policies/default.yaml)


def test_worker_and_serve_start_and_answer_on_telegram(
    installed: Installed, redis_url: str, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    port = free_port()
    settings = {"OPSBOT_REDIS_URL": redis_url, "OPSBOT_SIM_RESOURCES": "2000"}
    channel = {"OPSBOT_HTTP_PORT": str(port), "OPSBOT_TELEGRAM_TOKEN": TOKEN}
    with (
        FakeTelegramAPI(TOKEN) as api,
        # An idle rq worker can take up to a minute to stop (its pub/sub thread's join); that is not tested here.
        installed.running("opsbot", "worker", log=tmp_path / "worker.log", settings=settings, grace=2),
    ):
        eventually(lambda: len(Worker.all(connection=redis_conn)) == 1, START_SECONDS, "the worker registered")
        with installed.running(
            "opsbot", "serve", "--no-worker", log=tmp_path / "serve.log",
            settings={**settings, **channel, "OPSBOT_TELEGRAM_API_URL": api.url},
        ) as serve:  # fmt: skip
            wait_ready(serve, f"http://127.0.0.1:{port}")
            api.push_update(updates.text("help", user=DEFAULT_POLICY_ALICE))  # a stranger would get one line
            eventually(lambda: api.calls("sendMessage"), START_SECONDS, "the answer sent")
    assert str(api.calls("sendMessage")[0].params["text"]).startswith("Try: status")
    serve_log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert serve.returncode == 0, serve_log
    for log in (serve_log, (tmp_path / "worker.log").read_text(encoding="utf-8")):
        assert "Traceback" not in log and TOKEN not in log
