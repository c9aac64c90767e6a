"""All settings in one model: environment variables `OPSBOT_*`, plus an optional YAML file
named by `OPSBOT_CONFIG`. Environment variables win over the file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from core.alert_config import AlertSourceAuth
from core.cloud_config import AwsAccount, AzureSubscription, GcpProject
from core.errors import ConfigError, first_of
from core.setting_errors import example, explain
from core.setting_values import (
    BigQueryTable,
    ChannelRef,
    HttpUrl,
    LogLevel,
    PhoneNumber,
    PostgresUrl,
    RedisUrl,
    ReplicaName,
    SlackAppToken,
    SlackBotToken,
    SnsTopic,
    TelegramToken,
    TwilioSid,
    _secret,
    aws_endpoint_problems,
)
from core.yaml_lines import line_of

ENV_PREFIX = "OPSBOT_"


class Settings(BaseSettings):
    # An empty variable is an unset one (`OPSBOT_TWILIO_FROM=` in an env file), not an empty value to validate.
    model_config = SettingsConfigDict(env_prefix="OPSBOT_", extra="forbid", frozen=True, env_ignore_empty=True)

    config: Path | None = Field(default=None, description="YAML file with any of these settings.")
    redis_url: RedisUrl | None = Field(
        default=None, description="Redis URL. Unset: an in-process fakeredis and worker (demo only)."
    )
    data_dir: Path = Field(default=Path(".opsbot"), description="Where the audit log lives.")
    audit_key: (
        Annotated[SecretStr, _secret(r"\S{16,}", "too short: at least 16 characters (openssl rand -hex 32)")] | None
    ) = Field(
        default=None,
        description="Signs the audit log's checkpoints (HMAC-SHA256); keep it outside the data dir. Unset: a cut "
        "or rewritten log is caught only by the chain head in Redis.",
    )
    audit_url: PostgresUrl | None = Field(
        default=None,
        description="PostgreSQL database of an audit log shared by many hosts. Unset: the file in the data dir.",
    )
    replica_name: ReplicaName | None = Field(
        default=None,
        description="This process's name among replicas (its outbox consumer and lease holder). Unset: host-pid.",
    )
    policy: Path | None = Field(default=None, description="Policy YAML file. Unset: the shipped default.")
    confirm_ttl_seconds: int = Field(default=120, ge=5, le=3600, description="How long a confirmation lasts.")
    sim_seed: int = Field(default=42, description="Seed of the simulated inventory.")
    sim_resources: int = Field(default=10_000, ge=100, le=200_000, description="Simulated resource count.")
    sim_step_seconds: float = Field(
        default=0.3, ge=0.0, le=60.0, description="Delay of each step of a simulated action."
    )
    job_timeout_seconds: int = Field(default=300, ge=1, le=3600, description="Default per-action timeout.")
    job_retries: int = Field(default=2, ge=0, le=10, description="Retries for transient provider errors.")
    max_message_chars: int = Field(default=4000, ge=100, le=100_000, description="Longer messages are refused.")
    log_level: LogLevel = Field(default="WARNING", description="Python logging level.")

    # Voice (spoken commands).
    voice_backend: Literal["auto", "vosk", "pocketsphinx"] = Field(
        default="auto", description="auto: Vosk when OPSBOT_VOSK_MODEL is set, else PocketSphinx."
    )
    vosk_model: Path | None = Field(default=None, description="Directory of a Vosk model.")
    voice_max_seconds: float = Field(default=60.0, gt=0, le=600, description="Longer voice notes are refused.")
    voice_max_bytes: int = Field(default=10_000_000, ge=1000, le=100_000_000, description="Larger files are refused.")
    voice_confirm_below: float = Field(
        default=0.8, ge=0.0, le=1.0, description="Below this confidence opsbot asks 'I heard ...: right?'."
    )
    voice_yes_min: float = Field(
        default=0.85, ge=0.0, le=1.0,
        description="A spoken yes confirms a (non-critical) change only when the whole note is a clear yes heard "
        "by the command grammar with at least this confidence; otherwise the user taps Confirm or types yes.",
    )  # fmt: skip

    # Chat channels (`opsbot serve` starts whichever are configured).
    slack_bot_token: SlackBotToken | None = Field(default=None, description="Slack bot token (xoxb-...).")
    slack_app_token: SlackAppToken | None = Field(default=None, description="Slack app-level token for Socket Mode.")
    slack_signing_secret: SecretStr | None = Field(default=None, description="Verifies /slack/events requests.")
    slack_api_url: HttpUrl | None = Field(default=None, description="Slack Web API base URL override (ends in /api/).")
    telegram_token: TelegramToken | None = Field(default=None, description="Telegram bot token from @BotFather.")
    telegram_api_url: HttpUrl | None = Field(
        default=None, description="Bot API base URL override, e.g. a self-hosted Bot API server."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="Webhook mode: the X-Telegram-Bot-Api-Secret-Token value."
    )
    public_url: HttpUrl | None = Field(default=None, description="Where the platforms reach `opsbot serve`.")
    dashboard_session_hours: float = Field(
        default=12, gt=0, le=720, description="How long a phone dashboard sign-in lasts (then sign in again)."
    )
    dashboard_link_seconds: int = Field(
        default=300, ge=30, le=3600, description="How long the one-time dashboard link that chat sends stays usable."
    )
    http_host: str = Field(default="127.0.0.1", description="Address `opsbot serve` listens on.")
    http_port: int = Field(default=8080, ge=1, le=65535, description="Port `opsbot serve` listens on.")
    incident_channels: list[ChannelRef] = Field(
        default_factory=list,
        description='Conversations that get broadcasts: ["slack:C0INCIDENT", "telegram:-1001234567890"].',
        examples=[["slack:C0123ABCD", "telegram:-100123"]],
    )

    # Real clouds. With none configured, opsbot runs on the simulated inventory.
    aws_accounts: list[AwsAccount] = Field(
        default_factory=list,
        description="AWS accounts and regions to manage.",
        examples=[[{"name": "prod", "regions": ["us-east-1"]}]],
    )
    azure_subscriptions: list[AzureSubscription] = Field(
        default_factory=list,
        description="Azure subscriptions to manage.",
        examples=[[{"id": "11111111-2222-3333-4444-555555555555", "name": "shop"}]],
    )
    gcp_projects: list[GcpProject] = Field(
        default_factory=list, description="Google Cloud projects to manage.", examples=[[{"id": "shop-prod"}]]
    )
    azure_arm_url: HttpUrl | None = Field(default=None, description="Azure Resource Manager URL override.")
    gcp_compute_url: HttpUrl | None = Field(default=None, description="Compute Engine API URL override.")
    cloud_timeout_seconds: float = Field(default=10.0, gt=0, le=300, description="Timeout of one cloud API call.")
    cloud_requests_per_second: float = Field(
        default=20.0, gt=0, le=1000, description="Client-side limit per provider endpoint (account and region)."
    )
    cloud_poll_seconds: float = Field(
        default=2.0, gt=0, le=60, description="How often a running action checks the cloud operation."
    )
    inventory_refresh_seconds: float = Field(
        default=60.0, ge=1, le=3600, description="Workers refresh each provider's inventory this often."
    )
    status_deadline_seconds: float = Field(
        default=1.0, gt=0, le=30, description="status waits at most this long for fresher data, then answers."
    )

    # Metrics: read from the monitoring systems already there (docs/metrics.md).
    prometheus_url: HttpUrl | None = Field(
        default=None, description="Prometheus to read metrics from (its base URL). Unset: the clouds' own metrics."
    )
    metrics_mapping: Path | None = Field(
        default=None,
        description="YAML overriding the shipped mapping of metrics to PromQL and to each cloud's metric names.",
    )
    cloud_metrics: bool = Field(
        default=True,
        description="Read CloudWatch, Azure Monitor and Cloud Monitoring for the configured clouds' resources.",
    )
    gcp_monitoring_url: HttpUrl | None = Field(default=None, description="Cloud Monitoring API URL override.")
    metrics_deadline_seconds: float = Field(
        default=3.0, gt=0, le=30, description="A metrics question waits at most this long for its source."
    )
    metric_watches_per_user: int = Field(
        default=3, ge=1, le=20, description="Running `watch` commands per user (each edits one message)."
    )

    # Costs: billed history from each cloud, analysis, forecasts and budgets (docs/cost.md).
    cost_refresh_seconds: float = Field(
        default=3600.0, ge=60, le=86400, description="Workers read each configured cost source this often."
    )
    cost_history_days: int = Field(default=90, ge=7, le=400, description="Days of daily cost history kept.")
    cost_explorer: bool = Field(
        default=True, description="Read AWS Cost Explorer for the configured AWS accounts ($0.01 a request)."
    )
    azure_cost_management: bool = Field(
        default=True, description="Read Azure Cost Management for the configured subscriptions."
    )
    gcp_billing_table: BigQueryTable | None = Field(
        default=None,
        description="BigQuery billing export table, `project.dataset.table` (standard or resource-level export).",
        examples=["billing-prod.billing.gcp_billing_export_v1_0123AB_4567CD_89EF01"],
    )
    gcp_billing_max_gb: float = Field(
        default=10.0, gt=0, le=10000, description="A billing export query never bills more than this many GB."
    )
    bigquery_url: HttpUrl | None = Field(default=None, description="BigQuery API URL override.")

    # Deployments: release manifests, rollouts in every cloud, rollbacks (docs/deploy.md).
    releases: Path | None = Field(
        default=None,
        description="Release manifest YAML: each service's groups per environment and what each version means "
        "in each cloud. Unset: the shipped example (the demo world's web and api).",
    )
    gcp_dns_url: HttpUrl | None = Field(default=None, description="Cloud DNS API URL override (DR's DNS switch).")
    deploy_poll_seconds: float = Field(
        default=5.0, gt=0, le=60, description="A running deploy's rollouts are read this often and its message edited."
    )

    # Disaster recovery: runbooks, incidents and broadcasts (docs/dr.md).
    runbooks: Path | None = Field(
        default=None,
        description="Folder of runbook YAML files (failover, failback). Unset: the shipped example for web-prod.",
    )
    dr_broadcast_minutes: float = Field(
        default=5.0, gt=0, le=120, description="A running runbook's status goes to the incident channels this often."
    )
    runbook_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="A running runbook's worker looks at its current step this often."
    )

    # Alerts: intake, routing and escalation (docs/alerts.md).
    alerting: Path | None = Field(
        default=None,
        description="Alerting YAML: routes, escalation policies, on-call schedules. Unset: shipped default.",
    )
    alert_sources: dict[str, AlertSourceAuth] = Field(
        default_factory=dict,
        description='Enabled alert sources and their credentials: {"alertmanager": {"token": "..."}, '
        '"generic": {"hmac_secret": "..."}}. A source not listed answers 404.',
        examples=[{"alertmanager": {"token": "..."}}],
    )
    sns_topics: list[SnsTopic] = Field(
        default_factory=list,
        description="SNS topic ARNs whose signed messages /alerts/sns accepts.",
        examples=[["arn:aws:sns:us-east-1:123456789012:alerts"]],
    )
    sns_test_certificate: Path | None = Field(
        default=None,
        description="Tests only: verify SNS signatures with this PEM certificate instead of fetching SigningCertURL.",
    )
    twilio_account_sid: TwilioSid | None = Field(default=None, description="Twilio account SID (AC...).")
    twilio_auth_token: SecretStr | None = Field(default=None, description="Twilio auth token; also checks webhooks.")
    twilio_from: PhoneNumber | None = Field(
        default=None, description="The Twilio number SMS and calls come from (E.164)."
    )
    twilio_api_url: HttpUrl | None = Field(default=None, description="Twilio REST API base URL override.")

    @property
    def twilio(self) -> bool:
        """True when SMS and phone escalation is configured."""
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)

    @property
    def real_clouds(self) -> bool:
        """True when any real cloud account is configured (then the simulated inventory is not used)."""
        return bool(self.aws_accounts or self.azure_subscriptions or self.gcp_projects)

    # Where values come from, the first to give one wins: values given in code, the process environment, the
    # OPSBOT_CONFIG file. `given_settings` validates from fewer of them.
    _sources: ClassVar[tuple[Literal["given", "environment", "file"], ...]] = ("given", "environment", "file")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = {"given": init_settings, "environment": env_settings, "file": _YamlFileSource(settings_cls)}
        return tuple(sources[name] for name in cls._sources)


_IGNORE_EMPTY = bool(Settings.model_config.get("env_ignore_empty"))


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads the file named by OPSBOT_CONFIG; keys are the setting names without the prefix."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("OPSBOT_CONFIG")
        if not path:
            return {}
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{path}{line}: not valid YAML") from None  # yaml quotes the line: it may be a secret
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}:1: expected a mapping of settings")
        return {str(k): v for k, v in data.items()}


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and file). Raises ConfigError with one line per problem, all of them:
    malformed JSON in a variable included (pydantic-settings stops at the first, before validating)."""
    endpoints = aws_endpoint_problems(os.environ)  # boto3's own variables: not settings, but as fatal
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = [*setting_problems(exc, overrides), *endpoints]
        raise ConfigError(first_of(problems), problems) from None  # pydantic's own text repeats the values
    except SettingsError:
        problems = [*_every_problem(os.environ, overrides), *endpoints]
        raise ConfigError(first_of(problems), problems) from None
    if endpoints:
        raise ConfigError(first_of(endpoints), endpoints)
    return settings


def setting_problems(exc: ValidationError, overrides: Mapping[str, Any] | None = None) -> list[str]:
    """'OPSBOT_NAME: what is wrong (what a good value looks like)' for each error, or 'FILE:LINE: ...' for a value
    that came from the OPSBOT_CONFIG file: the lines `opsbot check-config` prints."""
    config = os.environ.get("OPSBOT_CONFIG")
    root = _compose(Path(config)) if config else None
    keys = {str(key.value) for key, _ in root.value} if isinstance(root, yaml.MappingNode) else set()
    variables = {name.upper() for name, value in os.environ.items() if value or not _IGNORE_EMPTY}
    problems = []
    for err in exc.errors():
        field = str(err["loc"][0])
        info = Settings.model_fields.get(field)
        if field in keys and field not in (overrides or {}) and ENV_PREFIX + field.upper() not in variables:
            problems.append(f"{config}:{line_of(root, err['loc'])}: {explain(err, info, with_path=False)}")
        else:
            problems.append(f"{ENV_PREFIX}{field.upper()}: {explain(err, info, given=_given(field, overrides))}")
    return problems


def _given(field: str, overrides: Mapping[str, Any] | None) -> object:
    """The value given for `field` (an override, or its variable decoded), so a message can name an item."""
    if overrides and field in overrides:
        return overrides[field]
    raw = os.environ.get(ENV_PREFIX + field.upper())
    if raw is None:
        return None
    try:
        return decode_variable(field, raw).get(field)
    except ConfigError:
        return None


def _compose(path: Path) -> yaml.Node | None:
    """The settings file's node tree (it has been read once already: it parses)."""
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None


def decode_variable(field: str, raw: str) -> dict[str, object]:
    """The setting `field` from its variable's text, decoded as the settings decode it (JSON for lists,
    mappings and models, the text otherwise), so that checking a value and using it agree. Raises ConfigError
    naming the variable when the JSON is malformed; the value itself is not repeated (it may hold a secret)."""
    if raw == "" and _IGNORE_EMPTY:
        return {}
    source = EnvSettingsSource(Settings)
    source.env_vars = {ENV_PREFIX.lower() + field: raw}  # only this variable, not the process environment
    try:
        return dict(source())
    except SettingsError:
        hint = example(Settings.model_fields[field])
        raise ConfigError(f"{ENV_PREFIX}{field.upper()}: not valid JSON{hint}") from None


def given_settings(values: Mapping[str, Any], *, with_file: bool = False) -> Settings:
    """Settings validated from `values` alone, never the process environment (so any environment can be checked);
    `with_file`: the OPSBOT_CONFIG file's values under them. Raises ValidationError, or ConfigError for the file."""
    return (_GivenAndFile if with_file else _GivenOnly).model_validate(dict(values))


class _GivenOnly(Settings):
    _sources = ("given",)


class _GivenAndFile(Settings):
    _sources = ("given", "file")


def _every_problem(env: Mapping[str, str], overrides: Mapping[str, Any]) -> list[str]:
    """Each variable decoded alone (every malformed one is named), then the rest validated together."""
    problems: list[str] = []
    values: dict[str, object] = {}
    for name, raw in env.items():
        field = name.lower().removeprefix(ENV_PREFIX.lower())
        if name.upper().startswith(ENV_PREFIX) and field in Settings.model_fields:
            try:
                values.update(decode_variable(field, raw))
            except ConfigError as exc:
                problems.extend(exc.problems)
    try:
        given_settings({**values, **overrides}, with_file=True)
    except ValidationError as exc:
        problems.extend(setting_problems(exc, overrides))
    except ConfigError as exc:
        problems.extend(exc.problems)
    return problems or ["OPSBOT_*: a variable is not valid JSON"]
