"""Issue 15, weakness 3, against a real vending process: eight decompression-bomb PNGs at
once are refused without taking the memory, and the process keeps answering."""

from __future__ import annotations

from pathlib import Path

from tests.support.hostile_uploads import attack


def test_eight_hostile_pngs_at_once_are_refused_and_memory_grows_under_256_mib(
    tmp_path: Path,
) -> None:
    """The 311 KB, 6324 x 6324 16-bit RGBA PNG uploaded eight times at once: every upload
    is a 422, the vending process's resident memory grows by less than 256 MiB (it grew by
    over 1 GiB when each was decoded), and `/healthz` answered throughout."""
    result = attack(tmp_path, side=6324, uploads=8)
    assert result.statuses == [422] * 8
    assert result.growth_mib < 256, result
    assert result.healthz_count > 0
