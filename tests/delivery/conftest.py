"""The loopback platforms the delivery tests send to, and real `opsbot serve` processes: the Slack tests' fake
Web API (`fake_slack`), the Telegram tests' fake Bot API for tests.telegram.conftest.TOKEN (`api`), and
`opsbot_serve` (tests.serve_process)."""

from tests.serve_process import opsbot_serve  # noqa: F401 - fixtures, used through pytest
from tests.slack.conftest import fake_slack  # noqa: F401
from tests.telegram.conftest import api  # noqa: F401
