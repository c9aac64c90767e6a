"""A small but real accuracy check: spoken commands in Telegram's format (OGG/Opus), end to end through
decoding, PocketSphinx with the command grammar, and the text parser, must mean what the text means."""

from __future__ import annotations

import time
from functools import cache

from actions.simulated.inventory import FIXED_GROUPS, FIXED_VMS
from fakes.audio import encode, speak
from intents.parser import parse
from voice.decode import decode
from voice.grammar import build_vocabulary
from voice.pocketsphinx_backend import PocketSphinxRecognizer
from voice.types import Vocabulary

# (what is said, the text it stands for): espeak reads "dr" as "doctor", people say "d r".
COMMANDS = (
    ("status of production", "status of production"),
    ("show db prod", "show db-prod"),
    ("scale web prod to twenty", "scale web-prod to 20"),
    ("add four instances to web prod", "add 4 instances to web-prod"),
    ("scale down api prod by two", "scale down api-prod by 2"),
    ("restart db prod", "restart db-prod"),
    ("shut down web staging now", "shut down web-staging now"),
    ("fail over web prod to D R", "fail over web-prod to dr"),
    ("cost this month", "cost this month"),
    ("acknowledge forty two", "ack 42"),
    ("who is on call", "who is on call"),
    ("cancel", "cancel"),
)


@cache
def recognizer() -> PocketSphinxRecognizer:
    """The recogniser with its time budget counted in this thread's CPU time: what it hears does not depend on how
    busy the machine is (parallel test workers). The budget itself is tested with a driven clock (test_time_bound)."""
    return PocketSphinxRecognizer(clock=time.thread_time)


@cache
def vocabulary() -> Vocabulary:
    return build_vocabulary([g.name for g in FIXED_GROUPS] + [vm[0] for vm in FIXED_VMS])


def heard_as_meant(said: str, typed: str, fmt: str = "ogg_opus") -> bool:
    pcm = decode(encode(speak(said), fmt))
    heard = parse(recognizer().recognize(pcm, vocabulary()).text)
    meant = parse(typed)
    # Targets are compared as spoken: "web prod" names web-prod exactly as "web-prod" does once resolved.
    return (
        heard.name == meant.name
        and heard.slots.model_dump(exclude={"target"}) == meant.slots.model_dump(exclude={"target"})
        and (heard.slots.target or "").replace(" ", "-") == (meant.slots.target or "").replace(" ", "-")
    )


def test_spoken_commands_in_telegram_voice_notes_mean_what_their_text_means() -> None:
    wrong = [said for said, typed in COMMANDS if not heard_as_meant(said, typed)]
    assert len(wrong) <= 1, f"misheard: {wrong}"
