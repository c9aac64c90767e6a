"""Shapes of the settings that are more than a number or a word: bot tokens, channel references, URLs, phone
numbers. A value of the wrong shape is refused when the settings load, with one line saying what a good one
looks like, instead of failing later at the platform ("401 Unauthorized" from an adapter an hour in).

A message never repeats the value of a secret: it goes to a terminal, a CI log, a chat."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, SecretStr

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


def _url(schemes: tuple[str, ...]) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            return False
        return parts.scheme in schemes and bool(parts.hostname) and not any(c.isspace() for c in value)

    return test


def _redis_url(value: SecretStr) -> SecretStr:
    text = value.get_secret_value()
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


_http = _url(("http", "https"))

TelegramToken = Annotated[
    SecretStr, _secret(r"[0-9]+:[A-Za-z0-9_-]{30,}", "not a bot token (looks like 123456:ABC-...)")
]
SlackBotToken = Annotated[SecretStr, _secret(r"xoxb-[!-~]+", "not a bot token (looks like xoxb-...)")]
SlackAppToken = Annotated[SecretStr, _secret(r"xapp-[!-~]+", "not an app-level token (looks like xapp-...)")]
RedisUrl = Annotated[SecretStr, AfterValidator(_redis_url)]
HttpUrl = Annotated[str, _text(_http, "not an http(s) URL (looks like https://host/path)")]
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


AwsRegion = Annotated[str, _named(r"[a-z]{2}(-[a-z]+)+-[0-9]+", "an AWS region (like us-east-1)")]
IamRoleArn = Annotated[
    str, _named(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/\S+", "a role ARN (like arn:aws:iam::123456789012:role/opsbot)")
]
GcpZone = Annotated[str, _named(r"[a-z]+-[a-z]+[0-9]+-[a-z]", "a Compute Engine zone (like europe-west1-b)")]
