"""Credentials that slip into free text (a chat message, an exception's text, an audit line, a log record) are
masked two ways: by their shape, and by value - every secret of the settings is registered at start-up
(`remember_settings_secrets`), so a token of no known shape is masked wherever it shows up.

Shapes, and why each is as narrow as it is (a mask on an ordinary id would hide what a person needs to read):
- Slack and Telegram tokens, AWS access key ids (AKIA/ASIA...), bearer and basic Authorization values;
- an AWS secret access key: 40 characters of [A-Za-z0-9/+] standing alone, with upper and lower case letters
  and a digit (a git hash or a hex digest has no capitals; an id of that length has a "-" or "_");
- a Twilio auth token: 32 lowercase hex characters - only after an Account SID (AC + 32 hex, as pasted from
  the console or in "AC...:token" basic auth) or after the word "token" on the same line, because 32 hex
  characters alone are as often an MD5 digest or a request id;
- a value after a credential's name (aws_secret_access_key=..., password: ..., auth_token=...), when it holds
  a digit or a symbol (so a message like "password: expected a string" keeps its words);
- the password in a URL (redis://user:pw@host, rediss://:pw@host): the user and host stay readable."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, SecretStr

MASK = "[redacted]"
MIN_SECRET_CHARS = 8  # a shorter configured value would mask ordinary words
# Credentials the cloud SDKs read from the environment rather than from our settings.
_ENV_SECRETS = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
)

_B64 = "A-Za-z0-9/+"
# For each kind of token the widest form is kept: it matches wherever a narrower one would, and at least as
# far, so no tail of a token is left behind. Groups named keep* are what stays in front of the mask. The
# shapes are split into a few patterns, the costly ones run only when a cheap test says they may match:
# one alternation of all of them cost 9 ms on a 4,000-character reply, these about half a millisecond.
_SHAPES = re.compile(
    r"(?i:xox[a-z]-[\w-]+)"  # Slack bot/user/... tokens
    r"|(?i:xapp-[\w-]+)"  # Slack app-level tokens (Socket Mode)
    r"|(?i:bot\d+:[\w-]+)"  # a Telegram token in a Bot API URL path (/bot<id>:<secret>/sendMessage)
    r"|\d{6,}:[A-Za-z0-9_-]{30,}"  # a bare Telegram token
    r"|(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{12,}"  # AWS access key ids (long-term, temporary), user and role ids
    r"|(?P<keep_auth>(?i:bearer|basic)\s+)[A-Za-z0-9._~+/-]{8,}=*"  # Authorization header values
    r"|(?P<keep_url>://[^/\s:@]*:)[^/\s]+(?=@)"  # a password in a URL; the user stays, the host too
)
# 40 characters standing alone; an AWS secret access key when it mixes cases and has a digit (checked in _mask).
_AWS_SECRET = re.compile(rf"(?<![{_B64}=])[{_B64}]{{40}}(?![{_B64}=])")
# A credential's name, then its value: the value goes, the name stays to say what was there.
_NAMES = ("secret", "token", "passw", "passwd", "api_key", "apikey", "x-amz-security")
_NAMED = re.compile(
    r"(?P<keep_named>(?i:aws_secret_access_key|secret_access_key|secretaccesskey|aws_session_token"
    r"|x-amz-security-token|auth_token|authtoken|api_key|apikey|client_secret|password|passwd)"
    r"[\"']?\s*[:=]\s*b?[\"']?)"
    r"(?=[^\s\"',;]*[\d/+=_!@#$%^&*.-])[^\s\"',;]{8,}"
)
# Twilio: an auth token after its Account SID, or after the word "token" on the same line.
_TWILIO = re.compile(
    r"(?P<keep_sid>(?<![A-Za-z0-9])AC[0-9a-f]{32}[\s:,;/|]+)[0-9a-f]{32}\b"
    r"|(?P<keep_token>(?i:token)[^\n]{0,40}?)(?<![0-9a-f])[0-9a-f]{32}\b"
)

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_known_pattern: re.Pattern[str] | None = None


def redact_text(text: str) -> str:
    """Mask the registered secrets' values, then anything shaped like a credential."""
    known = _known_pattern
    if known is not None:
        text = known.sub(MASK, text)
    text = _SHAPES.sub(_mask, text)
    text = _AWS_SECRET.sub(_mask_aws_secret, text)
    lowered = text.lower()
    if any(name in lowered for name in _NAMES):
        text = _NAMED.sub(_mask, text)
    if "AC" in text or "token" in lowered:
        text = _TWILIO.sub(_mask, text)
    return text


def remember_secret(value: str) -> None:
    """From now on `redact_text` masks `value` (and its percent-encoded form, as it appears in URLs).
    Values shorter than MIN_SECRET_CHARS are not remembered: masking "admin" would mask the word."""
    remember_secrets([value])


def remember_secrets(values: Iterable[str]) -> None:
    global _known, _known_pattern
    forms = {form for value in values if len(value) >= MIN_SECRET_CHARS for form in (value, quote(value, safe=""))}
    with _lock:
        if forms <= _known:
            return
        _known = _known | forms
        # Longest first, so a secret that contains another one is masked whole.
        alternatives = "|".join(re.escape(form) for form in sorted(_known, key=len, reverse=True))
        _known_pattern = re.compile(alternatives)


def remember_settings_secrets(settings: BaseModel) -> None:
    """Register every secret of the settings: each SecretStr value at any depth (chat tokens, signing
    secrets, the Twilio auth token, each alert source's token and HMAC secret) and the password of every
    URL setting (redis://:pw@host), and the cloud SDKs' secrets given in the environment. Called once at
    start-up, before anything is logged."""
    remember_secrets(_secrets_in(settings))
    remember_secrets(os.environ[name] for name in _ENV_SECRETS if os.environ.get(name))


def _secrets_in(value: Any) -> Iterable[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
        yield from _url_password(value.get_secret_value())  # the Redis URL is one secret; its password is another
    elif isinstance(value, str):
        yield from _url_password(value)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secrets_in(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secrets_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _secrets_in(item)


def _url_password(text: str) -> Iterable[str]:
    if "://" in text and "@" in text:
        try:
            password = urlsplit(text).password
        except ValueError:
            return
        if password:
            yield password


def _mask_aws_secret(match: re.Match[str]) -> str:
    found = match.group()
    mixed = not found.islower() and not found.isupper() and any(c.isdigit() for c in found)
    return MASK if mixed else found


def _mask(match: re.Match[str]) -> str:
    """The mask, after what the pattern keeps in front of it (a header's scheme, a URL's user, a name)."""
    kept = next((value for value in match.groupdict().values() if value is not None), "")
    return kept + MASK
