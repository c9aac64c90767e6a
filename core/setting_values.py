"""Shapes of the settings that are more than a number or a word: bot tokens, channel references, URLs, phone
numbers. A value of the wrong shape is refused when the settings load, with one line saying what a good one
looks like, instead of failing later at the platform ("401 Unauthorized" from an adapter an hour in).

A message never repeats the value of a secret: it goes to a terminal, a CI log, a chat."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import AfterValidator, SecretStr

from core.cloud_names import aws_region_problem, gcp_zone_problem
from core.errors import ConfigError

CHANNEL_HINT = "slack:<channel id> or telegram:<chat id>"
_CHANNEL = re.compile(r"slack:[A-Z0-9]{2,}|telegram:(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{3,})|console:\S+")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _secret(pattern: str, problem: str) -> AfterValidator:
    """A secret must match `pattern`; `problem` is the whole message (never the value)."""
    shape = re.compile(pattern)

    def check(value: SecretStr) -> SecretStr:
        if not shape.fullmatch(value.get_secret_value()):
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _text(test: Callable[[str], object], problem: str) -> AfterValidator:
    """A plain-text setting must pass `test`."""

    def check(value: str) -> str:
        if not test(value):
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _named(pattern: str, what: str) -> AfterValidator:
    """A name of a fixed shape (not a secret: the message quotes it)."""
    shape = re.compile(pattern)

    def check(value: str) -> str:
        if not shape.fullmatch(value):
            raise ValueError(f"'{value}' is not {what}")
        return value

    return AfterValidator(check)


def url_problem(value: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """What is wrong with `value` as a URL of one of `schemes` (a scheme, '://', a host, a port that is a number),
    or None. The value is never quoted: a URL may carry a password."""
    starts = " or ".join(f"{scheme}://" for scheme in schemes)
    if any(c.isspace() for c in value):
        return "it contains a space"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number up to 65535
    except ValueError:
        return "the port is not a number up to 65535"
    if "://" not in value:
        said = next((s for s in sorted(schemes, key=len, reverse=True) if value.lower().startswith(s)), None)
        return f"no '://' after {said}" if said else f"it does not start with {starts}"
    if parts.scheme.lower() not in schemes:
        return f"it starts with {parts.scheme}://, not {starts}"
    if not parts.hostname:
        return f"no host after {parts.scheme}://"
    return None


AWS_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"


def aws_endpoint_problems(env: Mapping[str, str]) -> list[str]:
    """boto3 reads AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> itself, outside opsbot's settings: a malformed
    one fails every AWS call ("ValueError: Invalid endpoint"), so it is checked with them."""
    problems = []
    for name, value in env.items():
        if (name == AWS_ENDPOINT_VARIABLE or name.startswith(AWS_ENDPOINT_VARIABLE + "_")) and value:
            problem = url_problem(value)
            if problem is not None:
                problems.append(f"{name}: not an http(s) URL: {problem} (like http://127.0.0.1:5000)")
    return problems


def _checked(problem_of: Callable[[str], str | None]) -> AfterValidator:
    """A name `problem_of` finds nothing wrong with (its message quotes the name: not for secrets)."""

    def check(value: str) -> str:
        problem = problem_of(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _url(schemes: tuple[str, ...]) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        return url_problem(value, schemes) is None

    return test


def _http_url(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(f"not an http(s) URL: {problem} (like https://host:8443/path)")
    return value


SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379
SENTINEL_HINT = "looks like redis+sentinel://host:26379,host:26379,host:26379/<service name>"
SENTINEL_OPTIONS = ("sentinel_password", "socket_timeout", "wait_replicas", "wait_timeout")


@dataclass(frozen=True)
class SentinelUrl:
    """redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<service name>[/<db>][?option=value&...]

    The password is the Redis servers' (the master's and the replicas'); the sentinels' own is the option
    `sentinel_password`. Before intake answers 2xx, `wait_replicas` replicas must have acknowledged the alert
    (default None: every replica the sentinels could promote; 0: none), waiting at most `wait_timeout` seconds."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    socket_timeout: float | None = None
    wait_replicas: int | None = None
    wait_timeout: float = 1.0


class BadSentinelUrl(ConfigError):
    """What is wrong with a Sentinel URL, in words that never quote it."""


def sentinel_url(text: str) -> SentinelUrl:
    """The parts of a redis+sentinel:// URL, or BadSentinelUrl saying what is wrong (never quoting a part)."""
    if any(c.isspace() for c in text):
        raise BadSentinelUrl("it contains a space")
    rest = text[len(SENTINEL_SCHEME) + 3 :]
    where, _, query = rest.partition("?")
    netloc, _, path = where.partition("/")
    auth, _, hosts = netloc.rpartition("@")
    username, _, password = auth.partition(":") if auth else ("", "", "")
    sentinels = tuple(_sentinel_address(n, part) for n, part in enumerate(hosts.split(","), 1))
    service, _, db = path.strip("/").partition("/")
    if not service:
        raise BadSentinelUrl("no service name after the sentinels (the name in `sentinel monitor <name> ...`)")
    if db and not db.isdigit():
        raise BadSentinelUrl("the database after the service name is not a number")
    options = _sentinel_options(query)
    return SentinelUrl(
        sentinels=sentinels, service=unquote(service), db=int(db or 0), username=unquote(username) or None,
        password=unquote(password) or None, sentinel_password=options.get("sentinel_password") or None,
        socket_timeout=_number(options, "socket_timeout", False, None),
        wait_replicas=_replicas(options),
        wait_timeout=float(_number(options, "wait_timeout", False, 1.0) or 0.0),
    )  # fmt: skip


def _sentinel_address(n: int, part: str) -> tuple[str, int]:
    if not part:
        raise BadSentinelUrl(f"sentinel {n} is empty (host:port, separated by commas)")
    bracketed = part.startswith("[")  # an IPv6 address: [::1]:26379
    host, _, port = part[1:].partition("]:") if bracketed else part.rpartition(":") if ":" in part else (part, "", "")
    host = host.rstrip("]") if bracketed else host
    if not host:
        raise BadSentinelUrl(f"sentinel {n} has no host")
    if port == "":
        return host, SENTINEL_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise BadSentinelUrl(f"the port of sentinel {n} is not a number up to 65535")
    return host, int(port)


def _sentinel_options(query: str) -> dict[str, str]:
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(options) - set(SENTINEL_OPTIONS))
    if unknown:
        shown = "".join(c for c in unknown[0][:40] if c.isalnum() or c == "_")
        raise BadSentinelUrl(f"unknown option '{shown}' (known: {', '.join(SENTINEL_OPTIONS)})")
    return options


def _replicas(options: dict[str, str]) -> int | None:
    if options.get("wait_replicas") == "all":
        return None
    found = _number(options, "wait_replicas", True, None)
    return None if found is None else int(found)


def _number(options: dict[str, str], name: str, whole: bool, default: float | None) -> float | None:
    if name not in options:
        return default
    try:
        value = int(options[name]) if whole else float(options[name])
    except ValueError:
        raise BadSentinelUrl(f"the option {name} is not a {'whole ' if whole else ''}number") from None
    if not value >= 0:  # catches nan as well
        raise BadSentinelUrl(f"the option {name} is not a number of 0 or more")
    return value


def _redis_url(value: SecretStr) -> SecretStr:
    text = value.get_secret_value()
    if text.lower().startswith(SENTINEL_SCHEME + "://"):
        try:
            sentinel_url(text)
        except BadSentinelUrl as exc:
            raise ValueError(f"not a Redis Sentinel URL: {exc} ({SENTINEL_HINT})") from None
        return value
    if not (_url(("redis", "rediss"))(text) or text.startswith("unix://")):
        raise ValueError("not a Redis URL (looks like redis://127.0.0.1:6379/0)")
    return value


def _channel(value: str) -> str:
    if not _CHANNEL.fullmatch(value):
        raise ValueError(f'"{value}" is not a channel reference ({CHANNEL_HINT})')
    return value


def _log_level(value: str) -> str:
    if value.upper() not in _LOG_LEVELS:
        raise ValueError(f"not a log level (one of {', '.join(_LOG_LEVELS)})")
    return value


TelegramToken = Annotated[
    SecretStr, _secret(r"[0-9]+:[A-Za-z0-9_-]{30,}", "not a bot token (looks like 123456:ABC-...)")
]
SlackBotToken = Annotated[SecretStr, _secret(r"xoxb-[!-~]+", "not a bot token (looks like xoxb-...)")]
SlackAppToken = Annotated[SecretStr, _secret(r"xapp-[!-~]+", "not an app-level token (looks like xapp-...)")]
RedisUrl = Annotated[SecretStr, AfterValidator(_redis_url)]
PostgresUrl = Annotated[
    SecretStr,
    _secret(r"postgres(ql)?://\S+", "not a PostgreSQL URL (looks like postgresql://opsbot@db:5432/opsbot)"),
]
ReplicaName = Annotated[
    str, _text(re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}").fullmatch, "not a replica name (letters, digits, . _ -)")
]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
BigQueryTable = Annotated[
    str,
    _text(
        re.compile(r"[a-z][a-z0-9.:-]*[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+").fullmatch,
        "not a BigQuery table (project.dataset.table)",
    ),
]
TwilioSid = Annotated[
    str, _text(re.compile(r"AC[0-9a-fA-F]{32}").fullmatch, "not an account SID (AC and 32 hex digits)")
]
PhoneNumber = Annotated[str, _text(re.compile(r"\+[1-9][0-9]{6,14}").fullmatch, "not E.164 (like +15550100001)")]
ChannelRef = Annotated[str, AfterValidator(_channel)]
LogLevel = Annotated[str, AfterValidator(_log_level)]
SnsTopic = Annotated[
    str,
    _text(
        re.compile(r"arn:aws[a-z-]*:sns:\S+").fullmatch,
        "not an SNS topic ARN (looks like arn:aws:sns:us-east-1:123456789012:alerts)",
    ),
]


AwsRegion = Annotated[str, _checked(aws_region_problem)]
IamRoleArn = Annotated[
    str, _named(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/\S+", "a role ARN (like arn:aws:iam::123456789012:role/opsbot)")
]
GcpZone = Annotated[str, _checked(gcp_zone_problem)]  # its form only: no library lists the zones offline
