"""What a server process has used, from its own accounting in /proc: CPU time and memory.

`/proc/<pid>/stat` counts a process's user and system time over all its threads, alive or
ended (fields 14 and 15, in clock ticks); `/proc/<pid>/task/<tid>/stat` counts one thread's.
The main thread is the one whose id is the process id: the event loop, in a uvicorn server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CpuTimes",
    "cpu_times",
    "parse_stat_ticks",
    "parse_vm_rss",
    "rss_bytes",
    "thread_cpu_seconds",
]

PROC = Path("/proc")
TICK = 1 / os.sysconf("SC_CLK_TCK")


def parse_stat_ticks(text: str) -> int:
    """utime + stime, in clock ticks, from the text of a `stat` file.

    The command name (field 2) is in parentheses and may hold spaces or parentheses of its
    own, so the fields are counted from the last `)`.
    """
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): utime and stime, fields 14 and 15, are at 11 and 12.
    return int(fields[11]) + int(fields[12])


def parse_vm_rss(text: str) -> int:
    """Resident set size, in bytes, from the text of a `status` file."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            value, unit = line.split()[1:3]
            if unit != "kB":
                raise ValueError(f"VmRSS in {unit!r}, not kB")
            return int(value) * 1024
    raise ValueError("no VmRSS line (a kernel thread, or a process that has ended)")


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """CPU seconds (user + system) a process has used so far: all of it, its main thread's."""

    process: float
    main_thread: float

    def __sub__(self, earlier: CpuTimes) -> CpuTimes:
        return CpuTimes(self.process - earlier.process, self.main_thread - earlier.main_thread)


def cpu_times(pid: int) -> CpuTimes:
    """`pid`'s CPU time so far."""
    process = parse_stat_ticks((PROC / str(pid) / "stat").read_text())
    main = parse_stat_ticks((PROC / str(pid) / "task" / str(pid) / "stat").read_text())
    return CpuTimes(process * TICK, main * TICK)


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds so far of each thread of `pid` alive now, by thread id."""
    found = {}
    for task in (PROC / str(pid) / "task").iterdir():
        try:
            found[int(task.name)] = parse_stat_ticks((task / "stat").read_text()) * TICK
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
    return found


def rss_bytes(pid: int) -> int:
    """`pid`'s resident set size now."""
    return parse_vm_rss((PROC / str(pid) / "status").read_text())
