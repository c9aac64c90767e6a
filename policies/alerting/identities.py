"""How opsbot reaches a person of the main policy: their phone (SMS and calls) and their chat identities
(direct messages). A phone identity is written "phone:+15550100001" (E.164)."""

from __future__ import annotations

import re

from policies.model import Policy

PHONE = "phone"
_E164 = re.compile(r"\+[1-9]\d{7,14}")


def is_e164(number: str) -> bool:
    return _E164.fullmatch(number) is not None


def phone_identities(policy: Policy, user: str) -> list[str]:
    """The numbers of every phone identity of `user`, as written (valid or not)."""
    found = policy.users.get(user)
    identities = found.identities if found is not None else ()
    return [ident.partition(":")[2] for ident in identities if ident.partition(":")[0] == PHONE]


def phone_of(policy: Policy, user: str) -> str | None:
    """`user`'s first E.164 phone number, or None."""
    return next((number for number in phone_identities(policy, user) if is_e164(number)), None)


def person_for_phone(policy: Policy, phone: str) -> str | None:
    """The user whose phone identity is `phone` (spaces, dashes and brackets ignored), or None."""
    wanted = _normal(phone)
    if not is_e164(wanted):
        return None
    for name in policy.users:
        if any(_normal(number) == wanted for number in phone_identities(policy, name)):
            return name
    return None


def chat_identities(policy: Policy, user: str) -> list[str]:
    """Where a direct message reaches `user`: ["slack:U123ABC", "telegram:123456789"] (no phones)."""
    found = policy.users.get(user)
    identities = found.identities if found is not None else ()
    return [ident for ident in identities if ident.partition(":")[0] != PHONE]


def _normal(number: str) -> str:
    return re.sub(r"[\s\-().]", "", number)
