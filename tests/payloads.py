"""The platforms' own sample payloads, kept in tests/samples (their public sources are in its README), so a clone
of the repository alone passes its tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).with_name("samples")
SNS_SAMPLE_CERT = "sns_signing_cert_us-east-2_7ff5318490ec183fbaddaa2a969abfda.pem"


def sample_path(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_file():
        raise FileNotFoundError(f"sample {name} is not in tests/samples")
    return path


def sample(name: str) -> bytes:
    return sample_path(name).read_bytes()


def sample_json(name: str) -> Any:
    return json.loads(sample(name))
