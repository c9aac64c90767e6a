"""Fixtures of the audit tests that run the real `opsbot serve` (tests.serve_process) against the fake Slack Web API
and the fake Twilio API - the Slack and alerting tests' own fixtures - and a PostgreSQL database of each test's
own for the PostgreSQL store (tests.audit.postgres_db)."""

from tests.alerting.conftest import twilio  # noqa: F401 - fixtures, used through pytest
from tests.audit.postgres_db import audit_db  # noqa: F401
from tests.serve_process import opsbot_serve  # noqa: F401
from tests.slack.conftest import fake_slack  # noqa: F401
