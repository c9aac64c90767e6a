"""Fixtures of the intake tests: a test SNS signing key + certificate (made once per session), and the intake
routes on a test client, with the settings a module gives as its `intake_settings` fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from cryptography.hazmat.primitives.asymmetric import rsa

from core.settings import Settings
from tests.intake.harness import Post, RecordingIngest, client, intake_app
from tests.intake.signing import make_certificate


@pytest.fixture(scope="session")
def sns_signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, Path]:
    """A key and its certificate for CN sns.amazonaws.com (what settings.sns_test_certificate names)."""
    return make_certificate(tmp_path_factory.mktemp("sns-cert"))


@pytest.fixture
def ingest() -> RecordingIngest:
    return RecordingIngest()


@pytest.fixture
def post(redis_conn: redis.Redis, ingest: RecordingIngest, intake_settings: Settings) -> Post:
    post: Post = client(intake_app(intake_settings, redis_conn, ingest)).post
    return post
