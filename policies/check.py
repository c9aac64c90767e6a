"""`opsbot check-config`: every problem of the settings, the policy file and the alerting file at once, each as
'FILE:LINE: what' (or 'OPSBOT_NAME: what' for an environment variable).

Settings are validated against the same `core.settings.Settings` model, but from the given mapping
rather than the process environment, so a caller (or a test) can check any environment. The settings
file is read with line numbers, and an OPSBOT_ variable that names no setting is a problem too: a typo
there would otherwise silently fall back to a default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from core.errors import ConfigError
from core.setting_errors import explain
from core.settings import ENV_PREFIX, Settings, decode_variable
from policies.alerting.loader import load_alerting
from policies.loader import load_policy
from policies.model import did_you_mean
from policies.yamlfile import YamlDocument, read_yaml

PREFIX = ENV_PREFIX
_IGNORED_PREFIXES = ("OPSBOT_TEST_",)  # the test harness's own variables


class _GivenValuesOnly(Settings):
    """Settings validated from explicit values only: no process environment, no file lookup."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def check_config(env: Mapping[str, str] | None = None) -> list[str]:
    """Problems with the settings in `env` (default: this process's environment) and with the policy
    file they name (or the shipped default). An empty list means all is well."""
    env = os.environ if env is None else env
    fields = list(Settings.model_fields)
    problems: list[str] = []
    from_env: dict[str, object] = {}
    for name, value in env.items():
        if not name.startswith(PREFIX) or name.startswith(_IGNORED_PREFIXES):
            continue
        field = name.removeprefix(PREFIX).lower()
        if field in fields:
            from_env.update(_decoded(field, value, problems))
        else:
            hint = did_you_mean(name, [PREFIX + f.upper() for f in fields])
            problems.append(f"{name}: not a setting{hint}")

    document: YamlDocument | None = None
    from_file: dict[str, object] = {}
    if config := str(from_env.get("config") or ""):
        try:
            document = read_yaml(Path(config))
        except ConfigError as exc:
            problems.extend(exc.problems)
        else:
            if isinstance(document.data, dict):
                from_file = {str(key): value for key, value in document.data.items()}
            elif document.data is not None:
                problems.append(f"{config}:1: expected a mapping of settings")

    settings: Settings | None = None
    try:
        settings = _GivenValuesOnly.model_validate({**from_file, **from_env})
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            info = Settings.model_fields.get(field)
            if field in from_env or document is None:
                problems.append(f"{PREFIX}{field.upper()}: {explain(err, info)}")
            else:
                problems.append(f"{document.where(err['loc'])}: {explain(err, info, with_path=False)}")

    policy = settings.policy if settings is not None else _raw_policy(from_env, from_file)
    loaded = None
    try:
        loaded = load_policy(policy)
    except ConfigError as exc:
        problems.extend(exc.problems)
    alerting = settings.alerting if settings is not None else _raw_path("alerting", from_env, from_file)
    # A file of one's own that pages by SMS or call needs Twilio (the shipped default's phone steps wait for it).
    no_phone = _twilio_unset(settings) if settings is not None and settings.alerting is not None else None
    try:
        load_alerting(alerting, policy=loaded, no_phone=no_phone)  # with the policy: people, phones, identities
    except ConfigError as exc:
        problems.extend(exc.problems)
    return problems


def _twilio_unset(settings: Settings) -> str | None:
    """ "OPSBOT_TWILIO_* is not set", or which of its settings are missing; None when SMS and calls can work."""
    names = {
        "OPSBOT_TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "OPSBOT_TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        "OPSBOT_TWILIO_FROM": settings.twilio_from,
    }
    unset = [name for name, value in names.items() if not value]
    if not unset:
        return None
    if len(unset) == len(names):
        return "OPSBOT_TWILIO_* is not set"
    return f"{' and '.join(unset)} {'is' if len(unset) == 1 else 'are'} not set"


def _decoded(field: str, raw: str, problems: list[str]) -> dict[str, object]:
    """The variable's value as the settings read it (JSON for lists, mappings and models), or {} and a problem."""
    try:
        return decode_variable(field, raw)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return {}


def _raw_policy(from_env: Mapping[str, object], from_file: Mapping[str, object]) -> Path | None:
    """The policy file named, even when other settings are invalid: its problems are worth listing too."""
    return _raw_path("policy", from_env, from_file)


def _raw_path(name: str, from_env: Mapping[str, object], from_file: Mapping[str, object]) -> Path | None:
    raw = from_env.get(name, from_file.get(name))
    return Path(raw) if isinstance(raw, str) and raw else None
