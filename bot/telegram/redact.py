"""The bot token is part of every Bot API URL (/bot<token>/sendMessage): httpx logs each request's URL at
INFO, python-telegram-bot logs the base URL and every call's parameters (setWebhook's secret_token too) at
DEBUG and quotes the token in its InvalidToken message. The adapter registers its secrets with the one
redaction (core.redaction, by value and percent-encoded) and puts the one log filter (core.log_redaction) on
these loggers, so their records are clean even in a process that did not install it for every record.
(A logger's filters do not apply to its children, hence the list of names.)"""

from __future__ import annotations

import logging

from core.log_redaction import RedactingFilter
from core.redaction import remember_secrets

_LOGGERS = (
    "httpx",
    "telegram",
    "telegram.Bot",
    "telegram.BaseRequest",
    "telegram.HTTPXRequest",
    "telegram.ext",
    "telegram.ext.Application",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
)


def hide_in_logs(*secrets: str) -> None:
    """From now on, these never show in a log record of the HTTP client or python-telegram-bot (plain or
    percent-encoded), nor anywhere else `redact_text` runs (replies, audit)."""
    remember_secrets(secret for secret in secrets if secret)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
