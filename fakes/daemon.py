"""A real program from Debian, run as a subprocess on a free 127.0.0.1 port for a test: the base of
fakes.alertmanager and fakes.prometheus.

`Daemon` starts the program (with the flags a subclass gives in `_flags()`), logging stdout and stderr to its
log file, and polls `<url>/-/ready` until it answers 200. When the program exits first, it fails with the log's
tail; when the log says "address already in use" (the free port was taken between probing it and the bind), it
retries on a new port, three tries in all. On any failure nothing is left running.

No process is left behind: stop() (run by the context manager, even when the test body raises) terminates,
waits, then kills; a finalizer does the same if the object is dropped or the interpreter exits, and on Linux
the child gets SIGTERM if the thread that started it dies (so start it from the test's own thread, not from a
short-lived helper thread).
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

import httpx

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
_PR_SET_PDEATHSIG = 1


def find_binary(names: tuple[str, ...], missing: str) -> str:
    """The first of `names` on PATH, or a pytest failure saying `missing` (which names the Debian package);
    outside pytest (a benchmark) FileNotFoundError with that line."""
    found = next(filter(None, map(shutil.which, names)), None)
    if found is not None:
        return found
    try:
        import pytest  # here, not at the top: the benchmarks use these programs too, and need no pytest
    except ImportError:
        raise FileNotFoundError(missing) from None
    raise pytest.fail.Exception(missing, pytrace=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGTERM the child when its parent thread dies (pytest killed hard)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork: the child only calls into C

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return preexec


def reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Daemon:
    """A context manager running `binary` on 127.0.0.1:`port` (`url`), logging to `log_file`.

    A subclass sets `name` (for messages) and gives the program's own flags in `_flags()`."""

    name: ClassVar[str]

    def __init__(self, binary: str, log_file: Path) -> None:
        self.binary = binary
        self.log_file = log_file
        self.port = self._free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> Self:
        """Start the binary and wait until `/-/ready` answers; on failure, nothing is left running."""
        if self._process is not None:
            raise RuntimeError(f"{self.name} already started")
        self._starting()
        for _attempt in range(3):  # the free port can be taken between probing it and the bind
            self._spawn()
            try:
                self._wait_ready()
            except _PortTaken:
                self._stop_process()
                self.port = self._free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                continue
            except BaseException:
                self.stop()
                raise
            return self
        self.stop()
        raise RuntimeError(f"{self.name} found no free port:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate, wait, kill; safe to call twice."""
        self._stop_process()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the program logged, for failure messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _command(self) -> list[str]:
        """The command line for the current `port` and `url`: the program's own flags, then the listen address,
        external URL and log level flags the Prometheus project's programs share."""
        return [
            self.binary,
            *self._flags(),
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--web.external-url={self.url}",
            "--log.level=info",
        ]

    def _flags(self) -> list[str]:
        """The program's own flags (config file, storage)."""
        raise NotImplementedError

    def _free_port(self) -> int:
        return free_port()

    def _starting(self) -> None:
        """Called by start() once, before the first try."""

    def _ready_client(self) -> AbstractContextManager[httpx.Client]:
        """The client polling `/-/ready` during one try (each request has a 1 s timeout)."""
        return httpx.Client(timeout=1.0)

    def _spawn(self) -> None:
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=die_with_parent(),  # only a prctl call, resolved before the fork
            )
        self._finalizer = weakref.finalize(self, reap, self._process)

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if process is not None:
            reap(process)

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        with self._ready_client() as http:
            while time.monotonic() < deadline:
                code = self._process.poll()
                if code is not None:
                    tail = self.log_tail()
                    if "address already in use" in tail:
                        raise _PortTaken
                    raise RuntimeError(f"{self.name} exited with code {code} before it was ready:\n{tail}")
                try:
                    if http.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT:.0f} s at {self.url}:\n{self.log_tail()}")


class _PortTaken(Exception):
    pass
