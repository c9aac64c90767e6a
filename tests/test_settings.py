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
