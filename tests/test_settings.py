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
