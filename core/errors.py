"""One documented error tree. Every error opsbot raises on purpose is an `OpsbotError`, and `str(err)` is one short
line that never quotes a secret: a user may read it unless its class says it is for the log. A provider's or a
library's error is mapped into ours with `raise ... from exc`, so the log keeps the cause. Errors live in the
package that raises them; the ones several packages share live here. The whole tree, each with its module:

* OpsbotError                      core.errors
  core - shared
  + ConfigError                    core.errors                  settings or the policy file are invalid
    - VoiceSetupError              core.errors                  the speech model or backend cannot be loaded
    - BadSentinelUrl               core.setting_values          a redis+sentinel:// URL that cannot be used
  + ProviderError                  core.errors                  a cloud provider failed
    - TransientProviderError       core.errors                  worth a retry, after `retry_after` if known
      ~ ProviderTimeout            core.errors                  the target state was not reached in time
      ~ ProviderUnavailable        core.errors                  the endpoint's circuit breaker is open
    - ProviderAuthError            core.errors                  credentials were refused
    - ResourceNotFound             core.errors                  no resource with that id or name
    - RefusedByAws                 actions.aws.rollout_checks   AWS refused a rollout request, with its error code
    - DeployBusy                   actions.deploy.records       another deploy of the service and environment runs
    - RunBusy                      actions.dr.runs              another runbook of the service runs
  + ConfirmationError              core.errors                  expired, used, someone else's, or changed
  + AuditTampered                  core.errors                  the audit chain does not verify
  + AuditUnavailable               core.errors                  an audit record could not be written
  + VoiceInputError                core.errors                  audio that cannot be used
  + BlobTooLarge                   core.blobs                   a file over what a chat platform takes from a bot
  actions
  + MetricsUnavailable             actions.metrics.model        a metrics source did not answer, or refused the question
  + CostUnavailable                actions.costs.model          a cost source did not answer, or refused
    - DataUnavailable              actions.aws.cost_history     Cost Explorer has no data for an account yet
  conversation
  + NoCostData                     conversation.costs           nothing cached to answer a cost question from yet
  + NotAsked                       conversation.deploys         a deploy or rollback refused before its confirmation
  alerts
  + Malformed                      alerts.sources.payload       a payload that is not what its source sends
  workers
  + PageFailed                     workers.paging               the provider refused a page for good
  bot
  + Unreadable                     bot.http                     a webhook body that is not what it should be
  + RetryAfter                     bot.channels                 a chat platform's 429, with its Retry-After
  + DeliveryFailed                 bot.channels                 a chat platform refused a message for good
  + LeaseLapsed                    bot.delivery                 a send not started: the channel's delivery lease is lost
  + ClipDownloadFailed             bot.slack.audio              a Slack voice clip could not be downloaded
  + VoiceDownloadFailed            bot.telegram.audio           a Telegram voice note could not be downloaded
  + Unauthorized                   bot.intake.auth              an alert webhook did not prove its source
  + CertificateUnavailable         bot.intake.sns_certificates  SNS's signing certificate could not be fetched
  + Refused                        bot.twilio.webhooks          a Twilio webhook request not served (403, 413, 400)
  + SampleLost                     bot.sample_alert             the test alert is no longer open once stored
  + SignInRefused                  bot.web.auth                 a dashboard sign-in that proves nobody (401)
    - Stranger                     bot.web.access               a proven identity the policy does not list (403)
  + TooMany                        bot.web.hub                  no room for another open dashboard (503)
  + BadRequest                     bot.web.acting               a dashboard action that is not a command or a press

Not in the tree: what `fakes/` raise (the platforms' own errors: the fakes stand in for them), `bench/`
(benchmarks never fail), a pydantic validator's ValueError (the loaders report it as a ConfigError with file:line),
and a ValueError that means a bug in the calling code (a rate of 0, an unknown queue name).
tests/packaging/test_error_tree.py keeps this drawing true.
"""

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
