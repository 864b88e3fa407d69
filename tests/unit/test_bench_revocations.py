"""`bench.revocations.measure_check`: the per-request check it times is the real one."""

from __future__ import annotations

from bench.revocations import measure_check


def test_the_check_is_timed_against_a_list_that_refuses() -> None:
    """Both timings are positive and the list it timed refused a listed session's token
    (`measure_check` raises if not)."""
    cost = measure_check(sessions=50)

    assert cost.sessions == 50
    assert cost.without_us > 0
    assert cost.with_us > 0
