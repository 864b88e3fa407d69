"""The A/B benchmark: what it compares and how it reads the result."""

from __future__ import annotations

import pytest

from bench.ab import Comparison


def test_the_ratio_is_of_the_medians_and_each_pair_is_reported() -> None:
    """Head over base, medians of each side; one ratio per alternating pair."""
    result = Comparison("abc", "def", base_rps=(100.0, 90.0, 110.0), head_rps=(99.0, 95.0, 200.0))
    assert result.ratio == pytest.approx(99.0 / 100.0)
    assert result.pair_ratios == pytest.approx((0.99, 95 / 90, 200 / 110))
