"""What a page call says and which keys it listens for, as TwiML.

A prompt speaks the alert inside a one-key `<Gather>`. When nobody presses a key, the call asks once more
(`<Redirect>` to `repeat_url`, which the webhook gives only to the first prompt) and then says goodbye: a
person woken by the call often misses the first reading, but a call must not ring on forever.

Every text said goes through `for_xml`: an alert's summary may hold ESC or U+FFFE (valid JSON), and one such
character makes the whole TwiML document illegal, so Twilio could not read the call that should wake someone.
The document itself is only ever built by the twilio library's `VoiceResponse`, never by string formatting."""

from __future__ import annotations

# mypy: disable-error-code="import-untyped"
from twilio.twiml.voice_response import Gather, VoiceResponse

from core.untrusted import for_xml

KEYS = "Press 1 to acknowledge, 2 to resolve, 9 to escalate, star to repeat."
GATHER_SECONDS = 10


def prompt(text: str, action_url: str, repeat_url: str | None = None) -> str:
    """Say `text` and the keys; the pressed key is POSTed to `action_url`. Without a key: redirect to
    `repeat_url` when given, else say goodbye and hang up."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=action_url, method="POST", timeout=GATHER_SECONDS)
    gather.say(for_xml(f"{text} {KEYS}"))
    response.append(gather)
    if repeat_url is not None:
        response.redirect(repeat_url, method="POST")
    else:
        response.say("No key pressed. Goodbye.")
        response.hangup()
    return str(response.to_xml())


def said(text: str) -> str:
    """Say `text`, then hang up."""
    response = VoiceResponse()
    response.say(for_xml(text))
    response.hangup()
    return str(response.to_xml())
