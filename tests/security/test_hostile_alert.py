"""An alert whose every field carries control, bidi, zero-width and noncharacters (all valid JSON from any
monitoring system), through the real webhook of `opsbot serve`: the card in Slack and in Telegram reads clean,
the page call's TwiML is a legal XML document that says the summary, and the SMS is plain GSM-7. (Telegram's
card: test_hostile_alert_telegram.py, whose stack fixtures have the same names as Slack's.)"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from core.untrusted import gsm7
from tests.alerting.conftest import (  # noqa: F401  (fixtures used through pytest)
    ALICE_PHONE,
    TOKEN,
    TWILIO_FROM,
    AlertStack,
    alerts,
    make_alert_stack,
    twilio,
)
from tests.security.hostile import BAD, GENERIC, assert_clean, spiked
from tests.slack.conftest import fake_slack, make_stack  # noqa: F401  (fixtures used through pytest)


def test_every_field_reaches_slack_twiml_and_sms_clean(alerts: AlertStack) -> None:  # noqa: F811
    response = alerts.http.post(alerts.url + "/alerts/generic", content=json.dumps(GENERIC),
                                headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert response.status_code == 200, response.text

    card = alerts.card()
    for text in (card.text, card.mrkdwn, json.dumps(card.blocks, ensure_ascii=False)):
        assert_clean(text)
    assert "ALERT 1 CRIT web-prod: 5xx above 5%" in card.shown
    assert "prod" in card.shown and "Error budget burning fast" in card.shown
    assert "https://runbooks.example/5xx" in card.shown and "runbooks.example/\u202e" not in card.shown

    alerts.twilio.wait_for(lambda t: len(t.sms_sent) == 1, timeout=15)
    sms = alerts.twilio.sms_sent[0]
    assert sms.body == "ALERT 1 CRIT web-prod 5xx above 5%. Reply 1A ack, 1R resolve"
    assert gsm7(sms.body)

    alerts.twilio.wait_for(lambda t: len(t.calls_placed) == 1, timeout=15)
    voice = urlsplit(alerts.twilio.calls_placed[0].url)
    call = {"CallSid": "CA1", "To": ALICE_PHONE, "From": TWILIO_FROM, "Direction": "outbound-api"}
    asked = alerts.twilio_post(f"{voice.path}?{voice.query}", call)
    assert asked.status_code == 200
    root = ET.fromstring(asked.content)  # a legal XML document: Twilio can read the call
    said = " ".join(say.text or "" for say in root.iter("Say"))
    assert "5xx above 5%" in said and "web-prod" in said
    assert_clean(said)


def test_alertmanager_labels_and_annotations_are_cleaned_at_intake(alerts: AlertStack) -> None:  # noqa: F811
    body = {
        "version": "4", "status": "firing", "receiver": "opsbot", "groupKey": "{}:{}", "externalURL": "http://am:9093",
        "alerts": [{
            "status": "firing", "fingerprint": "am-hostile",
            "labels": {"alertname": spiked("DiskFull"), "severity": "critical", "instance": spiked("db-1") + ":9100",
                       spiked("team"): spiked("storage")},
            "annotations": {"summary": spiked("disk 91% full"), "description": spiked("the volume fills up")},
            "startsAt": "2026-06-13T03:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
        }],
    }  # fmt: skip
    response = alerts.http.post(alerts.url + "/alerts/alertmanager", content=json.dumps(body),
                                headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert response.status_code == 200, response.text
    card = alerts.card()
    assert_clean(card.text + card.mrkdwn)
    assert "ALERT 1 CRIT db-1: disk 91% full" in card.shown and "the volume fills up" in card.shown
    [stored], _ = alerts.stack.runtime.alerting.escalator.book.open_alerts()
    for text in (stored.summary, stored.description, stored.resource or "", *stored.labels, *stored.labels.values()):
        assert_clean(text)  # the raw text is kept nowhere
    assert stored.labels["team"] == "storage"


@pytest.mark.parametrize("field", ["summary", "resource", "description"])
def test_a_field_of_nothing_but_hostile_characters_still_makes_a_card(alerts: AlertStack, field: str) -> None:  # noqa: F811
    body = {**GENERIC, "fingerprint": f"only-{field}", field: BAD * 3}
    response = alerts.http.post(alerts.url + "/alerts/generic", content=json.dumps(body),
                                headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert response.status_code == 200, response.text
    assert_clean(alerts.card().text)
