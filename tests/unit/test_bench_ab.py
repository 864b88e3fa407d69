"""The A/B benchmark: what it compares and how it reads the result."""

from __future__ import annotations

import os
import time

import pytest

from bench.ab import Comparison, cpu_seconds


def test_the_ratio_is_of_the_medians_and_each_pair_is_reported() -> None:
    """Head over base, medians of each side; one ratio per alternating pair."""
    result = Comparison("abc", "def", base_rps=(100.0, 90.0, 110.0), head_rps=(99.0, 95.0, 200.0))
    assert result.ratio == pytest.approx(99.0 / 100.0)
    assert result.pair_ratios == pytest.approx((0.99, 95 / 90, 200 / 110))


def test_cpu_per_request_is_compared_by_medians_too() -> None:
    """The CPU ratio is head over base of the median microseconds per request."""
    result = Comparison("a", "b", (1.0,), (1.0,), (100.0, 300.0, 200.0), (210.0, 190.0, 250.0))
    assert result.cpu_ratio == pytest.approx(210.0 / 200.0)


def test_a_process_cpu_time_is_read_from_proc() -> None:
    """This process's CPU time is positive and grows while it computes."""
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) > before > 0
