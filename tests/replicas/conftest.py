"""Fixtures of the replica tests: the processes of a deployment (`cluster`), stopped at the end of each test, and
Slack's side of the Events API (`slack_events`)."""

from tests.replicas.cluster import cluster, slack_events  # noqa: F401 - fixtures, used through pytest
from tests.slack.conftest import fake_slack  # noqa: F401
