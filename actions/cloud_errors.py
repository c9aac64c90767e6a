"""The one shape of every backend's error mapping (AWS, Azure, Google Cloud): run SDK calls, let opsbot's own
errors through, and raise any other exception as the `core.errors` error that the cloud's own `translate` gives
for it, with the SDK's exception kept as `__cause__` for the log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from core.errors import OpsbotError


@contextmanager
def translated_by(translate: Callable[[Exception], OpsbotError]) -> Iterator[None]:
    """Run SDK calls; re-raise a failure as `translate(exc)` (`raise ... from exc`)."""
    try:
        yield
    except OpsbotError:
        raise
    except Exception as exc:  # every SDK surprise becomes one named line, never a traceback in chat
        raise translate(exc) from exc
