"""Voice clips sent to the bot in Slack: downloaded from the fake's file URL with the bot token, recognised
offline, said back ("I heard: ...") and answered like typed text. Clips are espeak-ng speech encoded as Slack
carries them (M4A/AAC from phones, WebM/Opus from browsers); the event is Slack's own file_share example."""

from __future__ import annotations

import copy
import logging
import math
from typing import Any

import pytest

from fakes.audio import encode, speak
from fakes.slack_api import FakeSlackApi
from tests.slack.conftest import ALICE, BOT_TOKEN, CHANNEL, StackFactory, mention, new_ts, sample

DM = "D024BE91L"  # the DM channel of Slack's message.im example
FETCH_FAILED = "I couldn't fetch that voice note; try again."
# The first clip a process hears loads the recogniser and builds its grammar (seconds, on 2 shared cores).
RECOGNITION_WAIT = 90.0
MIMETYPES = {"m4a": "audio/mp4", "webm": "audio/webm", "ogg": "audio/ogg"}


def clip_event(fake: FakeSlackApi, content: bytes, *, fmt: str = "m4a", token: str = BOT_TOKEN,
               size: int | None = -1, url: str | None = None, chunked: bool = False) -> dict[str, Any]:  # fmt: skip
    """Slack's file_share example in a DM, carrying a voice clip (size -1: the real size; None: not given)."""
    body = sample("slack_event_message_file_share_image_bolt_python.json")
    ts = new_ts()
    file_id = "F" + ts.replace(".", "")
    name = f"audio_message.{fmt}"
    served = fake.serve_file(file_id, content, name=name, token=token, chunked=chunked)
    clip = copy.deepcopy(body["event"]["files"][0])
    link = url or served
    clip.update(id=file_id, name=name, title=name, mimetype=MIMETYPES[fmt], filetype=fmt, subtype="slack_audio",
                url_private=link, url_private_download=link)  # fmt: skip
    if size is None:
        clip.pop("size")
    else:
        clip["size"] = len(content) if size == -1 else size
    body["event"].update(files=[clip], text="", user=ALICE, channel=DM, channel_type="im", ts=ts, event_ts=ts)
    body["event_id"] = f"Ev{file_id}"
    return body


@pytest.mark.parametrize(("fmt", "codec"), [("m4a", "m4a_aac"), ("webm", "webm_opus")])
def test_a_spoken_status_in_a_direct_message_is_heard_and_answered(make_stack: StackFactory, fmt: str,
                                                                    codec: str) -> None:  # fmt: skip
    slack = make_stack()
    assert slack.event(clip_event(slack.fake, encode(speak("status"), codec), fmt=fmt)).status_code == 200
    answer = slack.fake.message_where(lambda m: m.channel == DM, timeout=RECOGNITION_WAIT)
    heard, _, rest = answer.shown.partition("\n")
    assert heard == "I heard: 'status'"
    assert rest.startswith("All clouds")
    assert [d.status for d in slack.fake.downloads] == [200]  # fetched once, with the bot token


def test_a_clip_in_a_mention_is_answered_in_the_thread_under_it(make_stack: StackFactory) -> None:
    slack = make_stack()
    body = mention("")
    clip = clip_event(slack.fake, encode(speak("status"), "m4a_aac"))["event"]["files"]
    body["event"].update(files=clip, subtype="file_share")
    slack.event(body)
    answer = slack.fake.message_where(lambda m: m.channel == CHANNEL, timeout=RECOGNITION_WAIT)
    assert answer.thread_ts == body["event"]["ts"]
    assert answer.shown.startswith("I heard: 'status'")


def test_a_clip_over_the_cap_is_refused_before_it_is_downloaded(make_stack: StackFactory) -> None:
    slack = make_stack(voice_max_bytes=1000)
    clip = encode(speak("status"), "m4a_aac")
    assert len(clip) > 2000
    slack.event(clip_event(slack.fake, clip))
    answer = slack.fake.message_where(lambda m: m.channel == DM)
    assert answer.shown == f"That voice note is {math.ceil(len(clip) / 1000)} kB; the limit is 1 kB."
    assert slack.fake.downloads == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_clip_of_unknown_size_is_refused_at_the_cap(make_stack: StackFactory, chunked: bool) -> None:
    slack = make_stack(voice_max_bytes=1000)
    clip = encode(speak("status"), "m4a_aac")
    slack.event(clip_event(slack.fake, clip, size=None, chunked=chunked))
    answer = slack.fake.message_where(lambda m: m.channel == DM)
    if chunked:  # the server never said how big: reading stopped past the cap
        assert answer.shown == "That voice note is over the 1 kB limit."
    else:  # refused by the response's Content-Length, before reading the body
        assert answer.shown == f"That voice note is {math.ceil(len(clip) / 1000)} kB; the limit is 1 kB."
    assert [d.status for d in slack.fake.downloads] == [200]


def test_a_download_slack_refuses_is_one_line_and_logs_no_token(
    make_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    slack = make_stack()
    caplog.set_level(logging.DEBUG)
    # Served to another token only: Slack answers 401, as it does when the app lacks files:read.
    slack.event(clip_event(slack.fake, encode(speak("status"), "m4a_aac"), token="xoxb-some-other-app"))
    answer = slack.fake.message_where(lambda m: m.channel == DM)
    assert answer.shown == FETCH_FAILED
    assert [d.status for d in slack.fake.downloads] == [401]
    assert "401" in caplog.text
    assert BOT_TOKEN not in caplog.text


def test_the_token_is_never_sent_to_a_host_that_is_not_slack(make_stack: StackFactory) -> None:
    slack = make_stack()
    # The same fake by another name: a file URL that is not Slack's (nor the configured API host).
    elsewhere = f"http://localhost:{slack.fake.port}/files-pri/T123ABC456-F1/download/audio_message.m4a"
    slack.event(clip_event(slack.fake, encode(speak("status"), "m4a_aac"), url=elsewhere))
    answer = slack.fake.message_where(lambda m: m.channel == DM)
    assert answer.shown == FETCH_FAILED
    assert slack.fake.downloads == []


def test_a_file_that_is_not_audio_is_answered_with_one_line(make_stack: StackFactory) -> None:
    slack = make_stack()
    slack.event(clip_event(slack.fake, b"<html>this is not a voice note</html>" * 50, fmt="ogg"))
    answer = slack.fake.message_where(lambda m: m.channel == DM, timeout=RECOGNITION_WAIT)
    assert answer.shown
    assert "\n" not in answer.shown
    assert not answer.shown.startswith("I heard")
    assert answer.buttons == []
