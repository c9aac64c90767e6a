"""One documented error tree. Each error carries a short sentence a user may read."""

from __future__ import annotations


class OpsbotError(Exception):
    """Base of every error opsbot raises on purpose. `str(err)` is safe to show a user."""


class ConfigError(OpsbotError):
    """Settings or the policy file are invalid. `problems` lists 'file:line: what' entries."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class ProviderError(OpsbotError):
    """A cloud provider failed. `transient` errors may be retried."""

    transient: bool = False


class TransientProviderError(ProviderError):
    """Throttling, 5xx, timeouts: worth a retry with backoff. `retry_after` in seconds if known."""

    transient = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderTimeout(TransientProviderError):
    """The provider did not reach the target state in time."""


class ProviderUnavailable(TransientProviderError):
    """The provider's endpoint is failing and its circuit breaker is open: calls fail fast until it closes."""


class ProviderAuthError(ProviderError):
    """Credentials were refused. The message names the provider and what to check, in one line."""


class ResourceNotFound(ProviderError):
    """No resource with that id or name."""


class ConfirmationError(OpsbotError):
    """A confirmation cannot be used: expired, used, someone else's, or changed."""


class AuditTampered(OpsbotError):
    """The audit chain does not verify. `index` is the first bad record (0-based line)."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


class AuditUnavailable(OpsbotError):
    """The audit record could not be written (a full or read-only disk): what it was to record must not happen.
    The message is the one line a user sees."""


class VoiceInputError(OpsbotError):
    """Audio that cannot be used: not audio, empty, silent, truncated, too long or too large. The
    message is the one line the user sees ("That voice note is 75 s long; the limit is 60 s.")."""


class VoiceSetupError(ConfigError):
    """The configured speech model or backend cannot be loaded."""


def first_of(problems: list[str]) -> str:
    """A ConfigError's one-line message when only one line is shown: the first problem, and how many more."""
    more = len(problems) - 1
    return problems[0] if more <= 0 else f"{problems[0]} (and {more} more: `opsbot check-config` lists them)"
