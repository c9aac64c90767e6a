"""The change rate limit counts changes that were asked to confirm, and nothing a user was refused or never asked."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from policies.loader import DEFAULT_POLICY
from tests.conversation.conftest import Say, SayFactory, button


def _two_changes_a_minute(settings: Settings, tmp_path: Path) -> Settings:
    shipped = DEFAULT_POLICY.read_text()
    operator_limit = "    counts: changes\n    limit: 10\n"
    assert operator_limit in shipped
    path = tmp_path / "policy.yaml"
    path.write_text(shipped.replace(operator_limit, "    counts: changes\n    limit: 2\n"))
    return settings.model_copy(update={"policy": path})


def _asked(say: Say, text: str, user: str = "alice") -> bool:
    return [r.kind for r in say(text, user=user)] == ["confirm"]


def test_refused_and_unknown_changes_do_not_use_up_the_limit(
    settings: Settings, say_factory: SayFactory, tmp_path: Path
) -> None:
    _, say = say_factory(_two_changes_a_minute(settings, tmp_path))
    for _ in range(3):
        [missing] = say("scale quokka-cluster to 3")
        assert missing.text.startswith("I can't find")
        [blast] = say("scale web-prod to 0")  # 12 -> 0: more than an operator may take away at once
        assert blast.text == "alice may scale down at most 10 instances at once (asked 12)"
    assert _asked(say, "scale web-prod to 14")
    assert _asked(say, "scale api-prod to 9")
    [limited] = say("scale web-prod to 16")
    assert limited.kind == "refusal"
    assert limited.text.startswith("alice: too many changes, try again in ")


def test_a_change_asked_then_cancelled_still_counts(
    settings: Settings, say_factory: SayFactory, tmp_path: Path
) -> None:
    _, say = say_factory(_two_changes_a_minute(settings, tmp_path))
    for count in (14, 15):
        [ask] = say(f"scale web-prod to {count}")
        say(press=button([ask], "Cancel"))
    assert say("scale web-prod to 16")[0].text.startswith("alice: too many changes")
    assert _asked(say, "scale web-prod to 16", user="bob")  # the count is alice's own
