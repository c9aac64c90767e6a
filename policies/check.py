"""`opsbot check-config`: every problem of the settings, the policy file, the alerting file, the release
manifest and the runbooks at once, each as 'FILE:LINE: what' (or 'OPSBOT_NAME: what' for an environment variable).

Settings are validated against the same `core.settings.Settings` model, but from the given mapping
rather than the process environment, so a caller (or a test) can check any environment. The settings
file is read with line numbers, and an OPSBOT_ variable that names no setting is a problem too: a typo
there would otherwise silently fall back to a default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from actions.deploy.manifest import load_manifest
from core.errors import ConfigError
from core.setting_errors import explain
from core.setting_values import aws_endpoint_problems
from core.settings import ENV_PREFIX, Settings, decode_variable, given_settings
from policies.alerting.loader import DEFAULT_ALERTING, load_alerting
from policies.alerting.model import Notify
from policies.loader import load_policy
from policies.model import Policy, did_you_mean
from policies.runbooks import load_runbooks
from policies.yamlfile import YamlDocument, read_yaml

PREFIX = ENV_PREFIX
_IGNORED_PREFIXES = ("OPSBOT_TEST_",)  # the test harness's own variables


@dataclass
class Review:
    """What `opsbot check-config` prints: problems (exit 1), and warnings about what will not work as written
    though nothing is invalid (the shipped alerting's SMS and call steps without Twilio)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_config(env: Mapping[str, str] | None = None) -> list[str]:
    """Problems with the settings in `env` (default: this process's environment) and with the policy, alerting,
    release manifest and runbook files they name (or the shipped ones). An empty list means all is well."""
    return review_config(env).problems


def review_config(env: Mapping[str, str] | None = None) -> Review:
    """`check_config`'s problems, and the warnings beside them."""
    env = os.environ if env is None else env
    fields = list(Settings.model_fields)
    review = Review()
    problems = review.problems
    problems.extend(aws_endpoint_problems(env))
    from_env: dict[str, object] = {}
    for name, value in env.items():
        if not name.startswith(PREFIX) or name.startswith(_IGNORED_PREFIXES):
            continue
        field_name = name.removeprefix(PREFIX).lower()
        if field_name in fields:
            from_env.update(_decoded(field_name, value, problems))
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
        settings = given_settings({**from_file, **from_env})
    except ValidationError as exc:
        for err in exc.errors():
            field_name = str(err["loc"][0]) if err["loc"] else ""
            info = Settings.model_fields.get(field_name)
            if field_name in from_env or document is None:
                given = from_env.get(field_name, from_file.get(field_name))
                problems.append(f"{PREFIX}{field_name.upper()}: {explain(err, info, given=given)}")
            else:
                problems.append(f"{document.where(err['loc'])}: {explain(err, info, with_path=False)}")

    policy = settings.policy if settings is not None else _raw_policy(from_env, from_file)
    loaded = None
    try:
        loaded = load_policy(policy)
    except ConfigError as exc:
        problems.extend(exc.problems)
    alerting = settings.alerting if settings is not None else _raw_path("alerting", from_env, from_file)
    _review_alerting(alerting, loaded, settings, review)
    releases = settings.releases if settings is not None else _raw_path("releases", from_env, from_file)
    try:
        load_manifest(releases)
    except ConfigError as exc:
        problems.extend(exc.problems)
    runbooks = settings.runbooks if settings is not None else _raw_path("runbooks", from_env, from_file)
    _review_runbooks(runbooks, loaded, review)
    return review


def _review_runbooks(folder: Path | None, policy: Policy | None, review: Review) -> None:
    """One's own runbooks with the policy's roles and users (who ticks a human step, the stakeholders). The shipped
    ones are the demo world's, checked on their own: the people they name are the shipped policy's."""
    try:
        load_runbooks(folder, policy=policy if folder is not None else None)
    except ConfigError as exc:
        review.problems.extend(exc.problems)


def _review_alerting(path: Path | None, policy: Policy | None, settings: Settings | None, review: Review) -> None:
    """The alerting file's problems in the order of its lines, its SMS and call steps without Twilio among them;
    the shipped default's phone steps are warnings, and only in a deployment (a chat channel configured)."""
    found: list[str] = []
    try:
        load_alerting(path, policy=policy)  # with the policy: people, phones, identities
    except ConfigError as exc:
        found.extend(exc.problems)
    no_phone = _twilio_unset(settings) if settings is not None else None
    if no_phone is not None and settings is not None:
        if settings.alerting is not None:
            found.extend(_phone_steps(settings.alerting, no_phone))
        elif settings.slack_bot_token or settings.telegram_token:
            review.warnings.extend(_phone_steps(DEFAULT_ALERTING, no_phone, warning=True))
    review.problems.extend(_by_line(found, path))


def _phone_steps(path: Path, reason: str, *, warning: bool = False) -> list[str]:
    """'FILE:LINE: escalation 'x' step N pages by sms but <reason>' for every SMS or call step of the alerting
    file, read as plain YAML: a file that does not validate still has its phone steps named. A `warning` is
    about the shipped default, whose phone steps are skipped without Twilio."""
    try:
        document = read_yaml(path)
    except ConfigError:
        return []  # the loader has said why
    escalations = document.data.get("escalations") if isinstance(document.data, dict) else None
    found: list[tuple[tuple[str | int, ...], str]] = []
    for name, escalation in (escalations or {}).items() if isinstance(escalations, dict) else ():
        steps = escalation.get("steps") if isinstance(escalation, dict) else None
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            notify = step.get("notify") if isinstance(step, dict) else None
            if notify in (Notify.SMS.value, Notify.CALL.value):
                what = f"escalation '{name}' step {index + 1} pages by {notify} but {reason}"
                if warning:
                    what = f"warning: {what}: the shipped alerting skips it"
                found.append((("escalations", str(name), "steps", index, "notify"), what))
    return document.problems(found)


def _by_line(problems: list[str], path: Path | None) -> list[str]:
    """The alerting file's problems in the order of its lines (a stable sort: the loader's come first on a line)."""
    prefix = f"{path or DEFAULT_ALERTING}:"

    def line(problem: str) -> int:
        number = problem.removeprefix(prefix).split(":", 1)[0] if problem.startswith(prefix) else ""
        return int(number) if number.isdigit() else 0

    return sorted(problems, key=line)


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
