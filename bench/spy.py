"""py-spy, run against a server: `record` samples it into collapsed stacks (`--format raw`).

py-spy reads the process's memory through ptrace: root, or the same user with
`kernel.yama.ptrace_scope` 0. A smoke run goes on without a profile when that is refused.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Set
from pathlib import Path

from bench.processes import pinned

__all__ = ["cannot_trace", "py_spy", "record"]


def py_spy() -> str | None:
    """The py-spy beside this Python (the dev environment has it), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(
    pid: int, seconds: float, output: Path, *, rate: int, cpus: Set[int] | None
) -> subprocess.Popen[str]:
    """py-spy sampling `pid` for `seconds` at `rate` Hz into `output` (collapsed stacks);
    started, not waited for. Raises FileNotFoundError when there is no py-spy."""
    executable = py_spy()
    if executable is None:
        raise FileNotFoundError("py-spy is not installed (make .venv/.dev installs it)")
    argv = [
        executable,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--threads",
        # Read the stacks without stopping the process: stopping every thread at each
        # sample slows it down several-fold and changes what it spends its time on.
        "--nonblocking",
        "--output",
        str(output),
    ]
    return subprocess.Popen(  # noqa: S603 - fixed argv built here
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=pinned(cpus),
    )


def cannot_trace(output: str) -> bool:
    """Whether py-spy's output says it was not allowed to read the process (ptrace)."""
    lowered = output.lower()
    return any(
        words in lowered for words in ("permission denied", "ptrace", "operation not permitted")
    )
