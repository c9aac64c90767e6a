"""The console channel: an interactive chat in the terminal, or a scripted one when stdin is not a
terminal (one message per line). Buttons become numbered choices. Like every adapter it only
translates: lines -> Messages, Replies -> text (rich) or JSON lines, a reply's chart -> a PNG file in the data
directory and its file (an export) -> that file there, each named on a line of its own. Like the chat renderers,
it shows text only after `for_chat`: an ESC from an alert's summary must not drive the operator's terminal, nor a
bidi override turn a name around."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import redis
from rich.console import Console

from actions.catalogue import CATALOGUE
from bot.runtime import Runtime
from bot.sample_alert import SampleLost, describe, send_sample
from core import blobs, metrics
from core.models import Button, ConversationRef, Message, Reply
from core.untrusted import for_chat
from workers.jobs import pending_jobs

CHANNEL = "console"
_READ_BLOCK_MS = 100  # the outbox reader's blocking read; it notices stop() within this
_SETTLE_MS = 20  # its next read after entries arrived
CHARTS_DIR = "charts"  # in the data directory: a reply's chart is saved as <reply key>.png
FILES_DIR = "files"  # and its file as <its name>
log = logging.getLogger(__name__)


class ConsoleChannel:
    def __init__(
        self, runtime: Runtime, *, user: str, conversation_id: str = "shell", json_mode: bool = False,
        out: TextIO | None = None,
    ) -> None:  # fmt: skip
        self.runtime = runtime
        self.user = user
        self.ref = ConversationRef(channel=CHANNEL, conversation_id=conversation_id)
        self.json_mode = json_mode
        self._console = Console(file=out, highlight=False, markup=False, soft_wrap=True)
        self._out = out
        self._print_lock = threading.Lock()
        self._numbers: dict[str, int] = {}  # reply key -> the #N shown to the user
        self._buttons: tuple[Button, ...] = ()  # of the newest message: /press N picks from them
        self._buttons_of: str | None = None  # that message's key
        self._cursor = runtime.outbox.last_id(CHANNEL)
        self._read = threading.Condition()  # notified each time the outbox reader has read (or found nothing)
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._follow_outbox, name="console-outbox", daemon=True)

    # -- input ---------------------------------------------------------------------------------------
    def run(self, lines: Iterable[str], *, echo: bool = False) -> None:
        for note in self.runtime.notes:
            self._note(note)
        self._reader.start()
        try:
            for raw in lines:
                line = raw.rstrip("\r\n")
                if echo and not self.json_mode:
                    self._console.print(for_chat(f"{self.user}> {line}"))
                if not self.handle_line(line):
                    break
            self.wait()
        finally:
            self._stop.set()
            self._reader.join(timeout=2)

    def handle_line(self, line: str) -> bool:
        """One line typed by the user. False means quit."""
        stripped = line.strip()
        if not stripped:
            return True
        if stripped.startswith("/") and stripped.split()[0] in _META:
            return self._meta(stripped)
        self.send(text=line)
        return True

    def send(self, *, text: str = "", button_id: str | None = None) -> None:
        msg = Message(ref=self.ref, sender=self.user, text=text, button_id=button_id, received_at=time.time())
        for reply in self.runtime.conversation.handle(msg):
            self.show(reply)

    def _meta(self, line: str) -> bool:
        command, _, arg = line.partition(" ")
        arg = arg.strip()
        if command == "/quit":
            return False
        if command == "/as":
            if not arg:
                self._note("Usage: /as USER")
            else:
                self.user = arg
                self._note(f"Now speaking as {arg}.")
        elif command == "/press":
            button = self._button(arg)
            if button is None:
                self._note("The newest message has no such button: /press N (a number in brackets) or /press ID.")
            else:
                self.send(text=button.label, button_id=button.id)
        elif command == "/wait":
            self.wait()
        elif command == "/voice":
            self._voice(arg)
        elif command == "/alert":
            self._alert()
        return True

    def _alert(self) -> None:
        """A sample critical alert through the real intake, as a monitoring system's webhook would send it."""
        desk = self.runtime.alerting.desk
        try:
            alert = send_sample(desk, "/alert in the shell")
        except (SampleLost, redis.RedisError) as exc:
            self._note(f"The sample alert was not sent: {exc}")
            return
        also = ""
        here = f"{self.ref.channel}:{self.ref.conversation_id}"
        if here not in alert.channels:
            desk.post_card(alert.number, here)  # not an incident channel: the card, buttons, edits here too
            also = "shown here"
        self.wait(timeout=5)
        for line in describe(alert, desk, also).text.splitlines():
            self._note(line)

    def _voice(self, path: str) -> None:
        """A voice note from a file, as if sent from a phone."""
        if not path:
            self._note("Usage: /voice FILE (ogg, m4a, webm, mp3, wav)")
            return
        try:
            audio = Path(path).expanduser().read_bytes()
        except OSError as exc:
            self._note(f"Cannot read {path}: {exc.strerror}")
            return
        msg = Message(ref=self.ref, sender=self.user, received_at=time.time())
        for reply in self.runtime.conversation.handle_audio(msg, audio):
            self.show(reply)

    def _button(self, arg: str) -> Button | None:
        with self._print_lock:
            buttons = self._buttons
        if arg.isdigit() and 1 <= int(arg) <= len(buttons):
            return buttons[int(arg) - 1]
        if ":" in arg:
            return Button(id=arg, label=arg)
        return None

    def wait(self, timeout: float | None = None) -> None:
        """Until this conversation's background jobs finish and their messages are shown. It wakes when the
        outbox reader has read: at once for a new entry (a job's result, a page), else each time its blocking
        read ends empty, for a change that adds no entry (a job leaving the pending set after its last message)."""
        longest = max(action.timeout_seconds for action in CATALOGUE.values())
        deadline = time.monotonic() + (timeout or max(longest, self.runtime.settings.job_timeout_seconds) + 30)
        connection = self.runtime.connection
        with self._read:
            while (left := deadline - time.monotonic()) > 0:
                if pending_jobs(connection, self.ref) == 0 and not self._escalation_due() and self._caught_up():
                    return
                self._read.wait(timeout=left if self._reader.is_alive() else min(left, _READ_BLOCK_MS / 1000))
        self._note("Still running in the background; /wait again to keep waiting.")

    def _escalation_due(self) -> bool:
        """An alert's escalation step is due and this process runs the timers: its page is about to be shown."""
        if self.runtime.ticker is None:
            return False
        due = self.runtime.alerting.desk.backlog().next_due
        return due is not None and due <= time.time()

    def _caught_up(self) -> bool:
        latest = self.runtime.outbox.last_id(CHANNEL)
        return _id_tuple(self._cursor) >= _id_tuple(latest)

    # -- output --------------------------------------------------------------------------------------
    def _follow_outbox(self) -> None:
        block_ms = _READ_BLOCK_MS
        while not self._stop.is_set():
            entries = self.runtime.outbox.read(CHANNEL, self._cursor, block_ms=block_ms)
            for entry_id, reply in entries:
                if reply.ref.conversation_id == self.ref.conversation_id:
                    self.show(reply)
                self._cursor = entry_id
            with self._read:
                self._read.notify_all()
            # Right after entries, a short read: a job leaves the pending set just after its last message.
            block_ms = _SETTLE_MS if entries else _READ_BLOCK_MS

    def show(self, reply: Reply) -> None:
        start = time.perf_counter()
        chart = self._save_chart(reply)  # drawn before taking the lock: the other thread may print meanwhile
        file = self._save_file(reply)
        with self._print_lock:
            number = 0
            if reply.edit_of is None:
                number = self._numbers.setdefault(reply.key, len(self._numbers) + 1)
                # /press N means a button of the newest message, never of an older one; a refusal (of a
                # press, say) leaves the buttons it refused in place for the next person.
                if reply.kind != "refusal":
                    self._buttons, self._buttons_of = reply.buttons, reply.key
            elif reply.edit_of == self._buttons_of:
                self._buttons = reply.buttons  # an edit settles (or re-offers) that message's buttons
            if self.json_mode:
                self._write_json(reply, chart, file)
            else:
                self._write_text(reply, number)
                for saved in (chart, file):
                    if saved:
                        self._console.print(" " * len(f"opsbot #{number} ") + saved)
        metrics.observe("delivery", time.perf_counter() - start)

    def _save_chart(self, reply: Reply) -> str | None:
        """The reply's chart drawn into the data directory: "Chart: <path>", or why there is none. Edits carry none."""
        if reply.chart is None or reply.edit_of is not None:
            return None
        from bot.charts import render_png  # matplotlib: only for a shell that draws a chart

        path = self.runtime.settings.data_dir / CHARTS_DIR / f"{_file_safe(reply.key)}.png"
        try:
            png = render_png(reply.chart)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)
        except OSError as exc:
            return f"Chart not saved: cannot write {path} ({exc.strerror})."
        except Exception as exc:  # a chart that cannot be drawn must not take its text with it
            log.warning("console: the chart of reply %s did not render: %s", reply.key, type(exc).__name__)
            return "Chart not drawn (see the log)."
        return f"Chart: {path}"

    def _save_file(self, reply: Reply) -> str | None:
        """The reply's file saved as <data dir>/files/<its name>: "File: <path>", or why there is none."""
        attachment = reply.attachment
        if attachment is None or reply.edit_of is not None:
            return None
        name = _file_safe(attachment.filename, "file")
        try:
            content = blobs.get(self.runtime.connection, attachment.blob_key)
        except redis.RedisError as exc:
            log.warning("console: the file of reply %s could not be read: %s", reply.key, type(exc).__name__)
            return f"File not saved: {name} could not be read (see the log)."
        if content is None:  # kept for a day (core.blobs)
            log.warning("console: the file of reply %s (%s) has expired", reply.key, name)
            return f"File not saved: {name} has expired; ask for it again."
        path = self.runtime.settings.data_dir / FILES_DIR / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as exc:
            return f"File not saved: cannot write {path} ({exc.strerror})."
        return f"File: {path}"

    def _write_json(self, reply: Reply, chart: str | None = None, file: str | None = None) -> None:
        shown: dict[str, object] = {
            "id": reply.key,
            "edit_of": reply.edit_of,
            "kind": reply.kind,
            "text": for_chat(reply.text),
            "buttons": [{"id": b.id, "label": for_chat(b.label)} for b in reply.buttons],
        }
        if chart is not None:
            shown["chart"] = chart  # "Chart: <path>", as the text mode prints it
        if file is not None:
            shown["file"] = file  # "File: <path>"
        line = json.dumps(shown, ensure_ascii=False)
        if self._out is not None:
            self._out.write(line + "\n")
            self._out.flush()
        else:
            print(line, flush=True)

    def _write_text(self, reply: Reply, number: int) -> None:
        if reply.edit_of is not None:
            target = self._numbers.get(reply.edit_of)
            head = f"opsbot (update #{target}) " if target else "opsbot (update) "
        else:
            head = f"opsbot #{number} "
        lines = for_chat(reply.text).splitlines() or [""]
        self._console.print(head + lines[0])
        pad = " " * len(head)
        for extra in lines[1:]:
            self._console.print(pad + extra)
        if reply.buttons:
            choices = "  ".join(f"[{i}] {for_chat(b.label)}" for i, b in enumerate(reply.buttons, 1))
            self._console.print(pad + choices + "   (/press N)")

    def _note(self, text: str) -> None:
        with self._print_lock:
            if self.json_mode:
                self._write_json(Reply(ref=self.ref, key="shell", text=text))
            else:
                self._console.print(f"  {for_chat(text)}")


_META = {"/quit", "/as", "/press", "/wait", "/voice", "/alert"}


def _file_safe(name: str, empty: str = "chart") -> str:
    # Also what keeps a file's name inside its folder: no "/", no leading dots.
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or empty


def _id_tuple(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
