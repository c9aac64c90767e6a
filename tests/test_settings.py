from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import load_settings


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
    monkeypatch.setenv("OPSBOT_CONFIRM_TTL_SECONDS", "forever")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert any("OPSBOT_CONFIRM_TTL_SECONDS" in p for p in err.value.problems)


def test_broken_yaml_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "opsbot.yaml"
    cfg.write_text("sim_seed: 1\nconfirm_ttl_seconds: [\n")
    monkeypatch.setenv("OPSBOT_CONFIG", str(cfg))
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert f"{cfg}:" in str(err.value)


def test_every_malformed_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_INCIDENT_CHANNELS", '["slack:C1",')
    monkeypatch.setenv("OPSBOT_AWS_ACCOUNTS", '[{"name": "prod"')
    monkeypatch.setenv("OPSBOT_SIM_SEED", "x")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert sorted(err.value.problems) == [
        'OPSBOT_AWS_ACCOUNTS: not valid JSON (expected a list like [{"name": "prod", "regions": ["us-east-1"]}])',
        'OPSBOT_INCIDENT_CHANNELS: not valid JSON (expected a list like ["slack:C0123ABCD", "telegram:-100123"])',
        "OPSBOT_SIM_SEED: not a whole number (like 42)",
    ]
    assert str(err.value) == f"{err.value.problems[0]} (and 2 more: `opsbot check-config` lists them)"


def test_a_malformed_secret_is_never_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_TELEGRAM_TOKEN", "hunter2hunter2")
    monkeypatch.setenv("OPSBOT_REDIS_URL", "redis://:hunter2@cache:port/0")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert sorted(err.value.problems) == [
        "OPSBOT_REDIS_URL: not a Redis URL (looks like redis://127.0.0.1:6379/0)",
        "OPSBOT_TELEGRAM_TOKEN: not a bot token (looks like 123456:ABC-...)",
    ]
    assert "hunter2" not in repr(err.value) and err.value.__cause__ is None and err.value.__suppress_context__
