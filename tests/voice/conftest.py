"""Voice test fixtures: generated audio is cached in pytest's cache dir so repeated runs skip espeak-ng
(a per-user temp dir when the cache plugin is off)."""

from __future__ import annotations

import pytest

from fakes import audio


@pytest.fixture(scope="session", autouse=True)
def _audio_cache(pytestconfig: pytest.Config) -> None:
    cache = getattr(pytestconfig, "cache", None)
    if isinstance(cache, pytest.Cache):
        audio.use_cache_dir(cache.mkdir("voice-audio"))
