"""Phones and chat identities of the main policy's users, and numbers that belong to nobody."""

from __future__ import annotations

import pytest

from policies.alerting.loader import chat_identities, person_for_phone, phone_of
from policies.model import Policy
from tests.policies.alerting.conftest import with_phones


def test_phone_of(policy: Policy) -> None:
    assert phone_of(policy, "alice") == "+15550100001"
    assert phone_of(policy, "nobody") is None
    assert phone_of(with_phones(policy, {}), "alice") is None
    assert phone_of(with_phones(policy, {"alice": "5550100"}), "alice") is None  # not E.164: never dialled


@pytest.mark.parametrize(
    ("number", "person"),
    [
        ("+15550100002", "bob"),
        ("+1 555-010-0002", "bob"),
        ("+1 (555) 010 0002", "bob"),
        ("+15550100009", None),
        ("15550100002", None),  # no +: not E.164
        ("", None),
        ("+1555010000212345678", None),  # too long
        ("+15550100002\n+15550100001", None),
        ("anonymous", None),
    ],
)
def test_person_for_phone(policy: Policy, number: str, person: str | None) -> None:
    assert person_for_phone(policy, number) == person


def test_chat_identities(policy: Policy) -> None:
    assert chat_identities(policy, "alice") == ["slack:U123ABC", "telegram:123456789"]
    assert chat_identities(policy, "nobody") == []
