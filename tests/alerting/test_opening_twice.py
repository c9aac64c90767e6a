"""An alert whose opening ran twice - its card published, the process killed before the opening was marked done,
then opened again by the sender's retry - shows one card in each channel, not two."""

from __future__ import annotations

import time

from alerts.model import Incoming, Severity
from alerts.store import PREFIX
from tests.alerting.conftest import INCIDENT, AlertStack


def test_an_opening_run_again_after_a_crash_half_way_posts_one_card(alerts: AlertStack) -> None:
    escalator = alerts.stack.runtime.alerting.escalator
    item = Incoming(source="generic", fingerprint="half-way", severity=Severity.CRITICAL, summary="disk full",
                    resource="db-prod")  # fmt: skip
    assert escalator.ingest([item]).stored == 1
    number = 1  # the first alert of a fresh store
    alerts.stack.settled()
    assert len([m for m in alerts.slack.messages if m.channel == INCIDENT and "disk full" in m.shown]) == 1

    # The crash: the card went out, but the process died before the opening was recorded as done.
    book = escalator.book
    alerts.stack.runtime.connection.hdel(f"{PREFIX}a:{number}", "opened")
    book.release_opening(number)
    assert number in book.unopened(time.time() + 1)
    assert escalator.ingest([item]).updated == 1  # the sender's retry (it never got its 2xx) opens it again
    alerts.stack.settled()

    cards = [m for m in alerts.slack.messages if m.channel == INCIDENT and "disk full" in m.shown]
    assert len(cards) == 1, [c.shown for c in cards]
    alert = book.get(number)
    assert alert is not None and len(book.posts(number)) == len(alert.channels)  # each card edited once later
