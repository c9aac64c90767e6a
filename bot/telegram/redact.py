"""The bot token is part of every Bot API URL (/bot<token>/sendMessage): httpx logs each request's URL at
INFO, python-telegram-bot logs the base URL and every call's parameters (setWebhook's secret_token too) at
DEBUG and quotes the token in its InvalidToken message. This filter takes the secrets out of those records,
tracebacks included, before any handler sees them: the configured secrets by value, then anything shaped like
a credential (core.redaction). (A logger's filters do not apply to its children, hence the list of names.)"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import quote

from core.redaction import redact_text

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


class _TokenRedactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # Formatters use a ready exc_text as it is instead of formatting the exception again.
            record.exc_text = self._clean("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return True

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return redact_text(text)


_REDACTOR = _TokenRedactor()


def hide_in_logs(*secrets: str) -> None:
    """From now on, log records of the HTTP client and python-telegram-bot never show these (plain or
    percent-encoded)."""
    _REDACTOR.secrets.update({form for secret in secrets if secret for form in (secret, quote(secret, safe=""))})
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
