"""How big a file is, as the voice refusals write it (core.sizes)."""

from __future__ import annotations

from core.sizes import size


def test_a_size_is_rounded_up_so_just_over_a_limit_never_reads_as_the_limit() -> None:
    counts = (1000, 1001, 93_001, 999_999, 1_500_000, 10_000_000, 10_000_001)
    assert [size(count) for count in counts] == ["1 kB", "2 kB", "94 kB", "1 MB", "1.5 MB", "10 MB", "11 MB"]
