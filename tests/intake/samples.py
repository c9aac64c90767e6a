"""The platforms' sample payloads: shared/samples, beside the checkout (OPSBOT_TEST_SAMPLES overrides)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

# tests/intake/samples.py -> tests -> the checkout -> its parent, which holds shared/
SAMPLES = Path(os.environ.get("OPSBOT_TEST_SAMPLES", Path(__file__).resolve().parents[3] / "shared" / "samples"))
SNS_SAMPLE_CERT = "sns_signing_cert_us-east-2_7ff5318490ec183fbaddaa2a969abfda.pem"


def sample_path(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_file():
        pytest.fail(f"sample {name} not found in {SAMPLES} (set OPSBOT_TEST_SAMPLES)", pytrace=False)
    return path


def sample(name: str) -> bytes:
    return sample_path(name).read_bytes()


def sample_json(name: str) -> Any:
    return json.loads(sample(name))
