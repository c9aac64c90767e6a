"""What a page reads like by SMS (one GSM-7 segment, whatever the alert says) and which replies count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.model import Alert, AlertState, Severity
from bot.twilio.sms import SEGMENT, ack_text, for_sms, gsm7, page_text, parse_reply, septets


def alert(summary: str = "5xx>5%", resource: str | None = "web-prod", number: int = 42, **more: object) -> Alert:
    fields: dict[str, object] = {"number": number, "source": "alertmanager", "fingerprint": "f1",
                                 "severity": Severity.CRITICAL, "summary": summary, "resource": resource,
                                 "first_seen": 0.0, "last_seen": 0.0}  # fmt: skip
    return Alert.model_validate(fields | more)


def fits_one_segment(text: str) -> bool:
    return gsm7(text) and septets(text) <= SEGMENT


def test_the_issues_example_reads_exactly() -> None:
    assert page_text(alert()) == "ALERT 42 CRIT web-prod 5xx>5%. Reply 42A ack, 42R resolve"


def test_severity_resource_and_a_summary_that_already_ends_a_sentence() -> None:
    text = page_text(alert("Disk 91% full.", resource=None, number=7, severity=Severity.WARNING))
    assert text == "ALERT 7 WARN Disk 91% full. Reply 7A ack, 7R resolve"
    assert page_text(alert("web-prod: 5xx above 5%")).startswith("ALERT 42 CRIT web-prod: 5xx above 5%. Reply")


def test_a_long_summary_is_shortened_to_one_sms_keeping_the_reply_hint() -> None:
    text = page_text(alert("error rate above threshold on every node " * 12, number=123456789))
    assert fits_one_segment(text) and len(text) >= SEGMENT - 1
    assert text.startswith("ALERT 123456789 CRIT web-prod error rate above threshold")
    assert text.endswith("... Reply 123456789A ack, 123456789R resolve")


def test_a_long_resource_is_shortened_too() -> None:
    resource = "k8s-prod-eu-west-1/namespace/payments/deployment/api-gateway-v2"
    assert resource in page_text(alert("CPU 99%", resource=resource))  # it fits: nothing cut
    text = page_text(alert("CPU above 99% on every pod of the deployment for 15 minutes " * 2, resource=resource))
    assert fits_one_segment(text) and len(text) >= SEGMENT - 1
    assert text.startswith("ALERT 42 CRIT k8s-prod-eu-west-1/namespace/... CPU above 99% on every pod")
    assert text.endswith("... Reply 42A ack, 42R resolve")


def test_characters_outside_gsm7_are_transliterated_or_replaced() -> None:
    text = page_text(alert("Latenz über 5 s — Zürich “prod” łódź 東京 ñ café…", resource="wärme-ﬁlter"))
    assert text == (
        'ALERT 42 CRIT wärme-filter Latenz über 5 s - Zürich "prod" ?odz ?? ñ café. Reply 42A ack, 42R resolve'
    )
    assert fits_one_segment(text)


def test_extension_characters_count_twice() -> None:
    text = page_text(alert("{[~]}" * 60))
    assert gsm7(text) and septets(text) <= SEGMENT < len(text) + 60


def test_newlines_and_tabs_become_single_spaces() -> None:
    assert page_text(alert("line one\n\tline two\r\n")).startswith("ALERT 42 CRIT web-prod line one line two. Reply")


@given(summary=st.text(min_size=1, max_size=500), resource=st.none() | st.text(max_size=200),
       number=st.integers(1, 999_999_999))  # fmt: skip
def test_any_alert_fits_one_gsm7_segment(summary: str, resource: str | None, number: int) -> None:
    text = page_text(alert(summary, resource=resource, number=number))
    assert fits_one_segment(text)
    assert text.startswith(f"ALERT {number} CRIT ")
    assert text.endswith(f" Reply {number}A ack, {number}R resolve")
    assert not text.endswith(f".... Reply {number}A ack, {number}R resolve")


def test_gsm7_knows_its_alphabet() -> None:
    assert gsm7("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà^{}\\[~]|€")
    for outside in ("…", "—", "ł", "東", "😀", "\x1b", "`"):
        assert not gsm7(outside), outside
    assert for_sms("`😀`") == "???"
    assert for_sms("a\x1b\u202eb\u200bc") == "abc"  # invisible characters go, not as "?"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("42A", (42, "ack")),
        ("42a", (42, "ack")),
        (" 42 a ", (42, "ack")),
        ("42R", (42, "resolve")),
        ("42 r", (42, "resolve")),
        ("42E", (42, "escalate")),
        ("ack 42", (42, "ack")),
        ("ACK 42", (42, "ack")),
        ("Resolve  42", (42, "resolve")),
        ("escalate 42\n", (42, "escalate")),
        ("123456789A", (123456789, "ack")),
        ("４２A", (42, "ack")),  # full-width digits, as some phone keyboards type them
    ],
)
def test_replies_that_act(body: str, expected: tuple[int, str]) -> None:
    assert parse_reply(body) == expected


@pytest.mark.parametrize(
    "body",
    ["", "Ahoy", "A42", "42", "42X", "42 ack", "ack", "ack42", "ack 42 now", "1234567890A", "42AA", "ack -1"],
)
def test_replies_that_do_not(body: str) -> None:
    assert parse_reply(body) is None


def test_ack_and_resolve_notices() -> None:
    at = datetime(2026, 6, 13, 3, 12, tzinfo=UTC).timestamp()
    acked = alert(state=AlertState.ACKED, acked_by="alice", acked_via="SMS", acked_at=at)
    assert ack_text(acked, UTC) == "42 acked by alice via SMS 03:12"
    resolved = alert(state=AlertState.RESOLVED, resolved_by="alertmanager", resolved_at=at + 480)
    assert ack_text(resolved, UTC) == "42 resolved by alertmanager 03:20"
    assert ack_text(alert(), UTC) == "42 is still open"
