"""The benchmark's reading of /proc: CPU ticks and resident memory."""

from __future__ import annotations

import os

import pytest

from bench.proc import cpu_times, parse_stat_ticks, parse_vm_rss, rss_bytes, thread_cpu_seconds


def test_stat_ticks_are_user_plus_system_even_with_spaces_in_the_name() -> None:
    """utime and stime (fields 14 and 15) are found after a command name with ") (" in it."""
    text = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 567 0 0 20 0 3 0 100\n"
    assert parse_stat_ticks(text) == 1234 + 567


def test_vm_rss_is_read_in_bytes() -> None:
    """VmRSS's kB become bytes; a status without it is an error, not a zero."""
    assert parse_vm_rss("Name:\tpython\nVmRSS:\t  107520 kB\nThreads:\t3\n") == 107520 * 1024
    with pytest.raises(ValueError, match="VmRSS"):
        parse_vm_rss("Name:\tkthreadd\n")


def test_this_process_has_cpu_time_threads_and_memory() -> None:
    """The live figures of the running test process are consistent with each other."""
    spent = cpu_times(os.getpid())
    assert spent.process >= spent.main_thread >= 0.0
    assert spent.process > 0.0  # importing pytest alone takes far more than one tick
    threads = thread_cpu_seconds(os.getpid())
    assert os.getpid() in threads
    assert rss_bytes(os.getpid()) > 1 << 20
