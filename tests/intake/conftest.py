"""Fixtures of the intake tests: a test SNS signing key + certificate (made once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.intake.signing import make_certificate


@pytest.fixture(scope="session")
def sns_signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, Path]:
    """A key and its certificate for CN sns.amazonaws.com (what settings.sns_test_certificate names)."""
    return make_certificate(tmp_path_factory.mktemp("sns-cert"))
