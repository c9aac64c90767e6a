"""deploy/compose.yaml, the many-replica set-up on one Docker host: two serve replicas with their own names, three
workers, Redis as a master, a replica and three Sentinels that the `redis+sentinel://` URL names, PostgreSQL with the
audit's set-up through `opsbot audit init-db`, and Alertmanager sending to whichever serve replica answers.

No Docker engine runs here, so the file is checked as compose reads it (YAML merge keys resolved): every name it
refers to exists, every OPSBOT_ variable is a setting with a valid value, the secret files stay out of git and the
image. Where `docker compose` is installed it must accept the file too; where amtool is, the Alertmanager config."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from core.setting_values import sentinel_url
from core.settings import Settings
from policies.check import review_config
from tests.packaging.test_layout import CHECKOUT

DEPLOY = CHECKOUT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SETTINGS = {f"OPSBOT_{name.upper()}" for name in Settings.model_fields}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
OPSBOT = str(Path(sys.executable).parent / "opsbot")


def opsbot_services() -> dict[str, dict[str, Any]]:
    """The services that run the opsbot image (they read opsbot.env)."""
    return {name: service for name, service in SERVICES.items() if "opsbot.env" in service.get("env_file", [])}


def running(subcommand: str) -> dict[str, dict[str, Any]]:
    """The opsbot services whose command is `opsbot <subcommand> ...`."""
    return {name: svc for name, svc in opsbot_services().items() if svc.get("command", [""])[0] == subcommand}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Its depends_on as {name: condition}, from either of compose's two forms."""
    found = service.get("depends_on", {})
    if isinstance(found, list):
        return dict.fromkeys(found, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in found.items()}


def seconds(duration: str) -> int:
    assert duration.endswith("s") and duration[:-1].isdigit(), duration
    return int(duration[:-1])


def ignored(path: str, ignore_file: str) -> bool:
    """Whether `path` (relative to the checkout) is matched by a pattern of .gitignore or .dockerignore."""
    patterns = [p for p in (CHECKOUT / ignore_file).read_text(encoding="utf-8").splitlines() if p and p[0] != "#"]
    return any(fnmatch.fnmatchcase(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns)


def test_two_serve_replicas_each_under_its_own_name() -> None:
    serves = running("serve")
    assert len(serves) == 2
    assert all(service["command"] == ["serve", "--no-worker"] for service in serves.values())
    names = [service["environment"]["OPSBOT_REPLICA_NAME"] for service in serves.values()]
    assert len(set(names)) == 2  # one outbox consumer and lease holder each
    host_ports = [port.split(":")[0] for service in serves.values() for port in service["ports"]]
    assert len(set(host_ports)) == 2
    assert all(service.get("deploy", {}).get("replicas", 1) == 1 for service in serves.values())


def test_three_workers() -> None:
    workers = running("worker")
    assert sum(service.get("deploy", {}).get("replicas", 1) for service in workers.values()) == 3


def test_the_redis_url_names_the_sentinels_watching_the_master() -> None:
    urls = {service["environment"]["OPSBOT_REDIS_URL"] for service in opsbot_services().values()
            if "OPSBOT_REDIS_URL" in service.get("environment", {})}  # fmt: skip
    (url,) = urls  # every process on the same Redis
    parts = sentinel_url(url)
    sentinels = {name for name, service in SERVICES.items() if "redis-sentinel" in " ".join(service.get("command", []))}
    assert len(sentinels) == 3
    conf = (DEPLOY / "redis" / "sentinel.conf").read_text(encoding="utf-8").splitlines()
    port = int(next(line.split()[1] for line in conf if line.startswith("port ")))
    assert sorted(parts.sentinels) == sorted((name, port) for name in sentinels)
    for name in sentinels:
        assert "./redis/sentinel.conf:/etc/redis/sentinel.conf:ro" in SERVICES[name]["volumes"]
    (monitor,) = (line.split()[2:] for line in conf if line.startswith("sentinel monitor "))
    service, master, master_port, quorum = monitor
    assert service == parts.service
    assert int(quorum) == 2  # a majority of three: one sentinel may be lost
    assert "--replicaof" not in SERVICES[master]["command"]
    replicas = [name for name, svc in SERVICES.items() if "--replicaof" in svc.get("command", [])]
    assert [SERVICES[name]["command"][SERVICES[name]["command"].index("--replicaof") + 1:][:2]
            for name in replicas] == [[master, master_port]]  # fmt: skip
    assert {"--appendonly", "yes"} <= set(SERVICES[master]["command"])


def test_every_opsbot_variable_is_a_valid_setting() -> None:
    for name, service in opsbot_services().items():
        env = {key: str(value) for key, value in service.get("environment", {}).items()}
        assert set(env) - SETTINGS == set(), name
        assert review_config(env).problems == [], name


def test_every_name_it_refers_to_exists() -> None:
    volumes, secrets = set(COMPOSE["volumes"]), set(COMPOSE["secrets"])
    for name, service in SERVICES.items():
        for other, condition in depends_on(service).items():
            assert other in SERVICES and condition in CONDITIONS, f"{name} depends on {other}"
            assert condition != "service_healthy" or "healthcheck" in SERVICES[other], f"{other} has no healthcheck"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).is_file(), f"{name} mounts {source}"
            else:
                assert source in volumes, f"{name} mounts volume {source}"
        assert set(service.get("secrets", [])) <= secrets, name


def test_the_secret_files_stay_out_of_git_and_the_image() -> None:
    for secret in COMPOSE["secrets"].values():
        path = (DEPLOY / secret["file"]).relative_to(CHECKOUT).as_posix()
        assert ignored(path, ".gitignore") and ignored(path, ".dockerignore"), path
    assert ignored("deploy/opsbot.env", ".gitignore")


def test_serve_and_workers_have_time_to_stop_cleanly() -> None:
    for service in running("serve").values():
        assert seconds(service["stop_grace_period"]) > 5 + 5  # open requests, then queued replies
    timeout = int(Settings.model_fields["job_timeout_seconds"].default)
    for service in running("worker").values():
        assert seconds(service["stop_grace_period"]) > timeout  # the job in hand


def test_alertmanager_sends_to_either_serve_replica_with_its_token() -> None:
    config = yaml.safe_load((DEPLOY / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8"))
    ((webhook,),) = (receiver["webhook_configs"] for receiver in config["receivers"])
    url = urlsplit(webhook["url"])
    for service in running("serve").values():
        assert url.hostname in service["networks"]["default"]["aliases"]
    assert url.port == Settings.model_fields["http_port"].default
    assert url.path == "/alerts/alertmanager"
    credentials = Path(webhook["http_config"]["authorization"]["credentials_file"])
    assert credentials.parent == Path("/run/secrets") and credentials.name in SERVICES["alertmanager"]["secrets"]
    amtool = shutil.which("amtool")
    if amtool is not None:
        checked = subprocess.run([amtool, "check-config", str(DEPLOY / "alertmanager" / "alertmanager.yml")],
                                 capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_audit_set_up_is_opsbot_audit_init_db_for_the_role_the_database_creates() -> None:
    entrypoint = " ".join(SERVICES["audit-init"]["entrypoint"])
    assert "opsbot audit init-db" in entrypoint
    role = entrypoint.split("--role ")[1].split()[0]
    created = (DEPLOY / "postgres" / "create-role.sh").read_text(encoding="utf-8")
    assert f"CREATE ROLE {role} LOGIN" in created
    assert "/run/secrets/" in created and set(SERVICES["db"]["secrets"]) <= set(COMPOSE["secrets"])
    # The command and its options exist: --print shows the SQL it would run for that role.
    printed = subprocess.run([OPSBOT, "audit", "init-db", "--role", role, "--print"], capture_output=True, text=True,
                             timeout=60, check=False)  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    assert f"TO {role}" in printed.stdout


def test_docker_compose_accepts_it(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode:
        pytest.skip("docker compose is not installed: the checks above stand alone")
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, deploy)
    (deploy / "opsbot.env").write_text("OPSBOT_LOG_LEVEL=INFO\n", encoding="utf-8")
    for secret in COMPOSE["secrets"].values():
        (deploy / secret["file"]).parent.mkdir(exist_ok=True)
        (deploy / secret["file"]).write_text("test\n", encoding="utf-8")
    checked = subprocess.run([docker, "compose", "-f", str(deploy / "compose.yaml"), "config", "--quiet"],
                             capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
