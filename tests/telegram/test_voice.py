"""Voice notes and audio files sent to the bot in Telegram: getFile + download through python-telegram-bot
against the fake Bot API, recognised offline, said back ("I heard: ...") and answered like typed text. The
notes are espeak-ng speech encoded as Telegram carries them (OGG/Opus voice notes, MP3 audio files)."""

from __future__ import annotations

import itertools
import logging
import math

import pytest

from fakes.audio import encode, speak
from fakes.telegram_api import FakeTelegramAPI, SentMessage
from tests.telegram import updates
from tests.telegram.conftest import TOKEN, StackFactory, TelegramStack
from tests.telegram.updates import ALICE, KNOWN_GROUP

FETCH_FAILED = "I couldn't fetch that voice note; try again."
# The first note a process hears loads the recogniser and builds its grammar (seconds, on 2 shared cores).
RECOGNITION_WAIT = 90.0
_files = itertools.count(1)


def heard(stack: TelegramStack, chat: int = ALICE, *, after: int = 0) -> SentMessage:
    """The first message into `chat` after the first `after` ones, waiting as long as recognition may take."""
    return stack.wait_for(lambda: next(iter(stack.api.messages(chat)[after:]), None), timeout=RECOGNITION_WAIT)


def note(api: FakeTelegramAPI, content: bytes, *, size: int | None = -1, kind: str = "voice", chat: int | None = None,
         reply_to: SentMessage | None = None, registered: bool = True) -> updates.Update:  # fmt: skip
    """Telegram's voice (or audio) example, its file served by the fake (size -1: the real size; None: the
    update does not say)."""
    update = updates.voice(chat=chat, reply_to=reply_to) if kind == "voice" else updates.audio()
    n = next(_files)
    file_id = f"AwADBAADb{n:04d}XXXXXXGBdhD2l6_XX"
    if registered:
        api.add_file(file_id, content, path=f"{kind}/file_{n}.{'oga' if kind == 'voice' else 'mp3'}")
    media = update["message"][kind]
    media["file_id"] = file_id
    if size is None:
        media.pop("file_size")
    else:
        media["file_size"] = len(content) if size == -1 else size
    return update


def test_a_spoken_status_is_heard_and_answered(telegram: TelegramStack) -> None:
    telegram.send(note(telegram.api, encode(speak("status"), "ogg_opus")))
    said, _, rest = heard(telegram).text.partition("\n")
    assert said == "I heard: 'status'"
    assert rest.startswith("All clouds")
    assert len(telegram.api.downloads) == 1


def test_an_audio_file_is_heard_too(make_stack: StackFactory) -> None:
    stack = make_stack()
    stack.send(note(stack.api, encode(speak("status"), "mp3"), kind="audio"))
    assert heard(stack).text.startswith("I heard: 'status'\nAll clouds")


def test_a_voice_reply_to_the_bot_in_a_group_is_heard_there(make_stack: StackFactory) -> None:
    stack = make_stack()
    asked = stack.say("@OpsTestBot status of prod", chat=KNOWN_GROUP)
    stack.send(note(stack.api, encode(speak("status"), "ogg_opus"), chat=KNOWN_GROUP, reply_to=asked))
    assert heard(stack, KNOWN_GROUP, after=1).text.startswith("I heard: 'status'")


def test_a_note_over_the_cap_is_refused_before_anything_is_fetched(make_stack: StackFactory) -> None:
    stack = make_stack(voice_max_bytes=1000)
    clip = encode(speak("status"), "ogg_opus")
    assert len(clip) > 2000
    stack.send(note(stack.api, clip))
    assert stack.reply(ALICE).text == f"That voice note is {math.ceil(len(clip) / 1000)} kB; the limit is 1 kB."
    assert stack.api.calls("getFile") == []
    assert stack.api.downloads == []


def test_a_note_of_unknown_size_is_refused_by_getfiles_size_before_download(make_stack: StackFactory) -> None:
    stack = make_stack(voice_max_bytes=1000)
    clip = encode(speak("status"), "ogg_opus")
    stack.send(note(stack.api, clip, size=None))
    assert stack.reply(ALICE).text == f"That voice note is {math.ceil(len(clip) / 1000)} kB; the limit is 1 kB."
    assert len(stack.api.calls("getFile")) == 1
    assert stack.api.downloads == []


def test_a_note_that_cannot_be_fetched_is_one_line_and_logs_no_token(
    make_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    stack = make_stack()
    caplog.set_level(logging.DEBUG)
    stack.send(note(stack.api, b"", registered=False))  # getFile answers 400: invalid file_id
    assert stack.reply(ALICE).text == FETCH_FAILED
    assert "downloading a Telegram voice note failed" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def test_a_file_that_is_not_audio_is_answered_with_one_line(make_stack: StackFactory) -> None:
    stack = make_stack()
    stack.send(note(stack.api, b"<html>this is not a voice note</html>" * 50))  # served as voice/file_N.oga
    answer = heard(stack)
    assert answer.text
    assert "\n" not in answer.text
    assert not answer.text.startswith("I heard")
    assert answer.reply_markup is None
