"""Voice notes recognised by worker processes, each note with a time limit, for the voice benchmark.

A recogniser that searches a noisy note for two minutes would stop the benchmark at one command per cell; to
a user such a note is lost anyway. So a note that takes longer than the limit is counted as not understood,
its worker is stopped and a fresh one takes its place. Each worker holds its own VoicePipeline, as `opsbot
serve` does; notes whose decoded audio is the same (OGG/Opus and WebM/Opus carry the same packets) are
recognised once, the recogniser being deterministic on the same samples."""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from core.errors import VoiceInputError
from voice.decode import decode
from voice.pipeline import Heard

# What a worker answers: heard, refused as silent (the user is told "I couldn't hear anything"), or over time.
HEARD, SILENT, TOO_SLOW = "heard", "silent", "too slow"


@dataclass(frozen=True)
class Outcome:
    status: str
    heard: Heard | None = None  # when status is HEARD


def _serve(conn: Connection, names: list[str]) -> None:
    """A worker: load the recogniser, say ready, then answer notes until the pipe closes."""
    from core.settings import Settings
    from fakes.audio import encode, speak
    from voice.pipeline import VoicePipeline

    pipeline = VoicePipeline(Settings(voice_backend="pocketsphinx"), lambda: names)
    pipeline.transcribe(encode(speak("status"), "ogg_opus"))  # loads the model and compiles the grammar
    conn.send("ready")
    while True:
        try:
            audio = conn.recv_bytes()
        except EOFError:
            return
        try:
            conn.send(Outcome(HEARD, pipeline.transcribe(audio)))
        except VoiceInputError:
            conn.send(Outcome(SILENT))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False
    job: str = ""  # the key of the note it is working on
    since: float = 0.0


class Listeners:
    """`workers` recognisers in their own processes; `hear` gives each note's Outcome in order."""

    def __init__(self, names: list[str], *, workers: int = 2, limit_seconds: float = 10.0) -> None:
        self._names = names
        self._limit = limit_seconds
        self._context = multiprocessing.get_context("spawn")
        self._workers = [self._start() for _ in range(workers)]
        self._known: dict[str, Outcome] = {}
        self.restarts = 0

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(theirs, self._names), daemon=True)
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def hear(self, notes: list[bytes]) -> list[Outcome]:
        keys = [self._key(note) for note in notes]
        todo = {key: note for key, note in zip(keys, notes, strict=True) if key not in self._known}
        queue = list(todo)
        while queue or any(w.job for w in self._workers):
            for worker in self._workers:
                if worker.ready and not worker.job and queue:
                    worker.job, worker.since = queue.pop(0), time.perf_counter()
                    worker.conn.send_bytes(todo[worker.job])
            for conn in wait([w.conn for w in self._workers], timeout=0.2):
                self._receive(next(w for w in self._workers if w.conn is conn))
            for i, worker in enumerate(self._workers):
                if worker.job and time.perf_counter() - worker.since > self._limit:
                    self._known[worker.job] = Outcome(TOO_SLOW)
                    self._replace(i)
        return [self._known[key] for key in keys]

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except EOFError:  # the worker died: its note is lost, as a crash would lose it
            if worker.job:
                self._known[worker.job] = Outcome(TOO_SLOW)
            self._replace(self._workers.index(worker))
            return
        if message == "ready":
            worker.ready = True
        elif isinstance(message, Outcome):
            self._known[worker.job] = message
            worker.job = ""

    def _replace(self, index: int) -> None:
        old = self._workers[index]
        old.process.kill()
        old.process.join()
        old.conn.close()
        self._workers[index] = self._start()
        self.restarts += 1

    def _key(self, note: bytes) -> str:
        try:
            return hashlib.sha256(decode(note).samples).hexdigest()
        except VoiceInputError:
            return hashlib.sha256(note).hexdigest()

    def close(self) -> None:
        for worker in self._workers:
            worker.conn.close()
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
