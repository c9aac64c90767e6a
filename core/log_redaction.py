"""No secret in a log line: every record's final message, its traceback and its stack are passed through
`core.redaction.redact_text` (credential shapes, and the configured secrets by value) and `for_chat` before
any handler writes them, and the SDK loggers that print credentials or people's data are kept at WARNING.

What was seen at DEBUG, driving the real libraries against local servers: botocore.endpoint prints every
request's headers (the access key id in `Authorization: AWS4-HMAC-SHA256 Credential=AKIA...`, the session
token in X-Amz-Security-Token), botocore.auth the canonical request (the session token again),
botocore.parsers every response body (an STS AssumeRole answer holds a secret key and a session token);
twilio.http_client prints each request's URL, phone numbers and SMS text at INFO; httpx prints each request
URL at INFO, and a Telegram Bot API URL holds the bot token (/bot<token>/sendMessage; kept: the filter masks
it, and the request line is useful); python-telegram-bot logs the base URL and every call's parameters
(setWebhook's secret_token too) at DEBUG and quotes the token in its InvalidToken message. Slack's and Azure's
clients mask their Authorization header themselves.

The records are cleaned where they are made (a record factory), so a handler added later - uvicorn's own,
a test's log capture - never sees a raw one; the filter also sits on the root handlers for records made
elsewhere (logging.makeLogRecord from another process). A chat adapter's tokens are registered with
`hide_in_logs`, which also puts the filter on the loggers that print them, so their records are clean even in a
process that did not install it for every record (a logger's filters do not apply to its children, hence the
list of names)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from core.redaction import redact_text, remember_secrets
from core.untrusted import for_chat

QUIETED = ("botocore.endpoint", "botocore.auth", "botocore.parsers", "twilio.http_client", "twilio.async_http_client")
# The loggers that print a chat token: httpx (request URLs) and python-telegram-bot's.
TOKEN_LOGGERS = (
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
_lock = threading.Lock()
_installed = False


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message (formatted with its args), traceback and stack. Never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # args that do not fit the format: logging itself reports it when the record is written
        message = None
    if message is not None:
        clean = _clean(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        # A formatter uses a ready exc_text as it is, instead of formatting the exception again.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = _clean(record.exc_text)
    if record.stack_info:
        record.stack_info = _clean(record.stack_info)


def _clean(text: str) -> str:
    """Secrets masked; control and bidi characters out (an ESC a sender put in an alert must not drive the
    terminal of whoever reads the log, nor a bidi override turn a logged name around)."""
    return for_chat(redact_text(text))


def install_log_redaction() -> None:
    """Once per process, before anything is logged (next to logging.basicConfig): records are cleaned where
    they are made, the root handlers filter too, and the credential-printing SDK loggers are kept at WARNING
    whatever the log level."""
    global _installed
    with _lock:
        if not _installed:
            previous = logging.getLogRecordFactory()

            def clean_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                redact_record(record)
                return record

            logging.setLogRecordFactory(clean_record)
            _installed = True
    _filter(logging.getLogger().handlers)
    for name in QUIETED:
        logging.getLogger(name).setLevel(logging.WARNING)


def hide_in_logs(*secrets: str) -> None:
    """From now on, these never show in a log record of the HTTP client or python-telegram-bot (plain or
    percent-encoded), nor anywhere else `redact_text` runs (replies, audit)."""
    remember_secrets(secret for secret in secrets if secret)
    _filter(logging.getLogger(name) for name in TOKEN_LOGGERS)


def _filter(filterers: Iterable[logging.Filterer]) -> None:
    for filterer in filterers:
        if not any(isinstance(f, RedactingFilter) for f in filterer.filters):
            filterer.addFilter(RedactingFilter())
