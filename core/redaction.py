"""Credentials that slip into free text (a chat message, an exception's text, an audit line) are masked by
their shape. Where the exact secret is known (bot/telegram/redact.py), it is masked by value as well."""

from __future__ import annotations

import re

MASK = "[redacted]"

# For each kind of token the widest form is kept: it matches wherever a narrower one would, and at least as
# far, so no tail of a token is left behind.
_SECRET = re.compile(
    r"(?i:xox[a-z]-[\w-]+)"  # Slack bot/user/... tokens
    r"|(?i:xapp-[\w-]+)"  # Slack app-level tokens (Socket Mode)
    r"|(?i:bot\d+:[\w-]+)"  # a Telegram token in a Bot API URL path (/bot<id>:<secret>/sendMessage)
    r"|\d{6,}:[A-Za-z0-9_-]{30,}"  # a bare Telegram token
    r"|AKIA[0-9A-Z]{12,}"  # AWS access key ids
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/-]{8,}=*"  # Authorization header values
    r"|://[^/\s:@]*:[^/\s@]+@"  # a password in a URL (redis://user:pw@host)
)


def redact_text(text: str) -> str:
    """Mask anything shaped like a credential (Slack/Telegram tokens, AWS keys, bearer tokens, URL passwords)."""
    return _SECRET.sub(MASK, text)
