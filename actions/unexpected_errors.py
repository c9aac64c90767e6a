"""An SDK error that no cloud's error mapping expected, told as one line: which cloud, account and region, which
operation, the exception's type and - where it is known - what it means and which setting to check:

    AWS prod us-east-1: DescribeInstances failed: ValueError (invalid endpoint URL) - check AWS_ENDPOINT_URL

The exception's own text is never repeated (it may quote an endpoint URL with a password in it, or a response
body). The log gets the same line once at WARNING; the traceback goes to DEBUG, and only when the line does not
already say what happened."""

from __future__ import annotations

import logging

from core.errors import ProviderError

log = logging.getLogger(__name__)
UNKNOWN = "an SDK error opsbot does not know; DEBUG logs the traceback"


def unexpected_error(
    where: str, operation: str, exc: BaseException, meaning: str = "", check: str = ""
) -> ProviderError:
    """The error to raise (`from exc`) for `exc`, raised by the SDK while `where` ("AWS prod us-east-1") ran
    `operation` ("DescribeInstances"). `meaning`: what it means, if known; `check`: the setting to check."""
    line = f"{where}: {operation} failed: {type(exc).__name__} ({meaning or UNKNOWN})"
    if check:
        line += f" - check {check}"
    log.warning("%s", line)
    log.debug("%s: %s failed", where, operation, exc_info=None if meaning else exc)
    return ProviderError(line)
