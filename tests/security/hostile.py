"""An alert as a hostile or broken monitoring system may send it: every text field spiked with control, bidi,
zero-width and noncharacters (all valid JSON), and the check that a text a person sees holds none of them."""

from __future__ import annotations

import unicodedata
from typing import Any

# ESC, BEL, NUL, DEL, a C1 control, U+FFFE, right-to-left override and isolate, zero-width space and joiner, BOM,
# soft hyphen, a tag character: each is gone from everything a person sees or hears.
BAD = "\x1b\x07\x00\x7f\x9b\ufffe\u202e\u2066\u200b\u200d\ufeff\u00ad\U000e0041"


def spiked(text: str) -> str:
    """`text` with the hostile characters between its words and at both ends."""
    return BAD + f" {BAD}".join(text.split()) + BAD


def assert_clean(text: str) -> None:
    for ch in text:
        assert ch not in BAD, f"{ch!r} in {text!r}"
        assert unicodedata.category(ch) not in ("Cc", "Cf", "Cs") or ch in "\n", f"{ch!r} in {text!r}"


GENERIC: dict[str, Any] = {
    "fingerprint": "hostile-1",
    "status": "firing",
    "severity": "critical",
    "summary": spiked("5xx above 5%"),
    "description": spiked("Error budget burning fast") + "\n" + spiked("second line"),
    "resource": spiked("web-prod"),
    "environment": spiked("prod"),
    "labels": {spiked("team"): spiked("payments"), "alertname": spiked("HighErrorRate")},
    "links": [f"https://runbooks.example/{BAD}5xx", "https://runbooks.example/5xx"],
}
