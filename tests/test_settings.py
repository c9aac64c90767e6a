from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import load_settings


def refused(monkeypatch: pytest.MonkeyPatch, **variables: str) -> ConfigError:
    """The error `load_settings` raises with these variables set."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    return err.value


def test_defaults_need_nothing_configured() -> None:
    settings = load_settings()
    assert settings.redis_url is None
    assert settings.confirm_ttl_seconds == 120


def test_yaml_file_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "opsbot.yaml"
    cfg.write_text("confirm_ttl_seconds: 30\nsim_seed: 7\n")
    monkeypatch.setenv("OPSBOT_CONFIG", str(cfg))
    monkeypatch.setenv("OPSBOT_SIM_SEED", "9")
    settings = load_settings()
    assert settings.confirm_ttl_seconds == 30
    assert settings.sim_seed == 9


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    error = refused(monkeypatch, OPSBOT_CONFIRM_TTL_SECONDS="forever")
    assert any("OPSBOT_CONFIRM_TTL_SECONDS" in p for p in error.problems)


def test_broken_yaml_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "opsbot.yaml"
    cfg.write_text("sim_seed: 1\nconfirm_ttl_seconds: [\n")
    assert f"{cfg}:" in str(refused(monkeypatch, OPSBOT_CONFIG=str(cfg)))


def test_every_malformed_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    error = refused(
        monkeypatch,
        OPSBOT_INCIDENT_CHANNELS='["slack:C1",',
        OPSBOT_AWS_ACCOUNTS='[{"name": "prod"',
        OPSBOT_SIM_SEED="x",
    )
    assert sorted(error.problems) == [
        'OPSBOT_AWS_ACCOUNTS: not valid JSON (expected a list like [{"name": "prod", "regions": ["us-east-1"]}])',
        'OPSBOT_INCIDENT_CHANNELS: not valid JSON (expected a list like ["slack:C0123ABCD", "telegram:-100123"])',
        "OPSBOT_SIM_SEED: not a whole number (like 42)",
    ]
    assert str(error) == f"{error.problems[0]} (and 2 more: `opsbot check-config` lists them)"


def test_a_malformed_secret_is_never_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    error = refused(
        monkeypatch, OPSBOT_TELEGRAM_TOKEN="hunter2hunter2", OPSBOT_REDIS_URL="redis://:hunter2@cache:port/0"
    )
    assert sorted(error.problems) == [
        "OPSBOT_REDIS_URL: not a Redis URL (looks like redis://127.0.0.1:6379/0)",
        "OPSBOT_TELEGRAM_TOKEN: not a bot token (looks like 123456:ABC-...)",
    ]
    assert "hunter2" not in repr(error) and error.__cause__ is None and error.__suppress_context__


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/opsbot",
        "redis+sentinel://:s3cret@sentinel-a,sentinel-b:26380/opsbot/2?sentinel_password=other&wait_timeout=0.5",
        "redis+sentinel://[::1]:26379/opsbot?wait_replicas=all&socket_timeout=2",
        "rediss://:s3cret@cache.internal:6380/0?ssl_ca_certs=/etc/opsbot/ca.pem&ssl_cert_reqs=required",
        "unix:///run/redis/redis.sock?db=1",
    ],
)
def test_redis_urls_for_sentinel_tls_and_sockets_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("OPSBOT_REDIS_URL", url)
    settings = load_settings()
    assert settings.redis_url is not None and settings.redis_url.get_secret_value() == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+sentinel://:hunter2@a:26379,b:port/opsbot", "the port of sentinel 2 is not a number up to 65535"),
        ("redis+sentinel://:hunter2@a:26379,,c:26379/opsbot", "sentinel 2 is empty (host:port, separated by commas)"),
        ("redis+sentinel://:hunter2@a:26379", "no service name after the sentinels (the name in `sentinel monitor "
                                              "<name> ...`)"),
        ("redis+sentinel://:hunter2@a/opsbot/zero", "the database after the service name is not a number"),
        ("redis+sentinel://:hunter2@a/opsbot?sentinel_pasword=hunter2", "unknown option 'sentinel_pasword' (known: "
         "sentinel_password, socket_timeout, wait_replicas, wait_timeout)"),
        ("redis+sentinel://:hunter2@a/opsbot?wait_timeout=soon", "the option wait_timeout is not a number"),
        ("redis+sentinel://:hunter2@a/opsbot?wait_replicas=-1",
         "the option wait_replicas is not a number of 0 or more"),
        ("redis+sentinel://:hunter 2@a/opsbot", "it contains a space"),
    ],
)  # fmt: skip
def test_a_bad_sentinel_url_is_one_line_that_never_shows_the_password(
    monkeypatch: pytest.MonkeyPatch, url: str, problem: str
) -> None:
    error = refused(monkeypatch, OPSBOT_REDIS_URL=url)
    hint = "looks like redis+sentinel://host:26379,host:26379,host:26379/<service name>"
    assert error.problems == [f"OPSBOT_REDIS_URL: not a Redis Sentinel URL: {problem} ({hint})"]
    assert "hunter" not in repr(error) and "\n" not in str(error)
