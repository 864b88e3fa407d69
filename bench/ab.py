"""Two versions of the vending service measured against each other in the same run.

`python -m bench.ab BASE [--head COMMIT] [--rounds N] [--seconds S]` (also
`make bench-ab BASE=<commit>`): the service as committed at `BASE` (exported with
`git archive` into a temporary folder) and the service in this checkout (or as committed
at `--head`), both run exactly as `python -m vending_service serve`
runs them (SQLite quotas, 1,000 distinct users round robin, `GET /cats?count=1`), on the
same CPU, with the same interpreter and packages, against the same key set and revocation
list. Rounds alternate A B B A ..., so a slow stretch of the machine falls on both sides;
the answer is the ratio of the medians and the spread of the per-pair ratios.

This is how a change that must not cost throughput ("within 3 %") is judged: one run, two
servers, nothing else different. Figures from a busy machine mean little; the spread says
how little.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.load import Sample, run_wrk
from bench.plan import AUDIENCE, FULL, ISSUER, QUOTA, Placement
from bench.processes import Server, start_uvicorn, start_vending
from bench.suite import write_run_files
from tools.processes import ROOT

__all__ = ["Comparison", "compare", "export_commit"]

PATH = "/cats?count=1"
CONNECTIONS = 32


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Comparison:
    base: str
    head: str
    base_rps: tuple[float, ...]
    head_rps: tuple[float, ...]
    base_cpu_us: tuple[float, ...] = ()
    head_cpu_us: tuple[float, ...] = ()
    """CPU microseconds the server spent per request served, each run: unlike throughput,
    hardly moved by what else the machine is doing."""

    @property
    def ratio(self) -> float:
        """Median throughput of the head over the base's."""
        return statistics.median(self.head_rps) / statistics.median(self.base_rps)

    @property
    def cpu_ratio(self) -> float:
        """Median CPU per request of the head over the base's."""
        return statistics.median(self.head_cpu_us) / statistics.median(self.base_cpu_us)

    @property
    def pair_ratios(self) -> tuple[float, ...]:
        return tuple(h / b for b, h in zip(self.base_rps, self.head_rps, strict=True))


def export_commit(commit: str, into: Path) -> str:
    """The tree of `commit` written into `into`; returns the full commit id."""
    full = subprocess.run(  # noqa: S603 - fixed argv
        ["git", "rev-parse", "--verify", f"{commit}^{{commit}}"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    archive = subprocess.run(  # noqa: S603 - fixed argv
        ["git", "archive", "--format=tar", full],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return full


@contextlib.contextmanager
def _servers(base_tree: Path, head_tree: Path, workdir: Path) -> Iterator[tuple[Server, Server]]:
    on = Placement.for_this_machine().servers
    started: list[Server] = []
    try:
        documents = start_uvicorn(
            "documents",
            "bench.apps:documents",
            {"BENCH_DOCUMENTS": str(workdir)},
            workdir,
            "/.well-known/jwks.json",
            Placement.for_this_machine().load,
        )
        started.append(documents)

        def env(name: str) -> dict[str, str]:
            return {
                "ISSUER": ISSUER,
                "AUDIENCE": AUDIENCE,
                "JWKS_URL": f"{documents.url}/.well-known/jwks.json",
                "REVOCATION_URL": f"{documents.url}/.well-known/revocations.jwt",
                "DATA_DIR": str(workdir / f"data-{name}"),
                "QUOTA_FREE": str(QUOTA),
                "QUOTA_PREMIUM": str(QUOTA),
            }

        # The base runs from its own tree: its modules, not this checkout's, are imported.
        base_env = {**env("base"), "PYTHONPATH": str(base_tree)}
        base = start_vending("base", base_env, workdir, on, cwd=base_tree)
        started.append(base)
        head_env = {**env("head"), "PYTHONPATH": str(head_tree)}
        head = start_vending("head", head_env, workdir, on, cwd=head_tree)
        started.append(head)
        yield base, head
    finally:
        for server in reversed(started):
            server.stop()


def compare(base: str, *, head: str | None, rounds: int, seconds: float) -> Comparison:
    """`rounds` pairs of runs, base and head alternating (A B B A ...)."""
    load_cpus = Placement.for_this_machine().load
    with (
        tempfile.TemporaryDirectory(prefix="lanyard-ab-") as folder,
        tempfile.TemporaryDirectory(prefix="lanyard-ab-base-") as tree,
        tempfile.TemporaryDirectory(prefix="lanyard-ab-head-") as other,
    ):
        workdir = Path(folder)
        full = export_commit(base, Path(tree))
        head_tree = ROOT
        if head is not None:
            head = export_commit(head, Path(other))[:12]
            head_tree = Path(other)
        _, tokens = write_run_files(FULL, workdir)  # 1,000 users
        with _servers(Path(tree), head_tree, workdir) as (a, b):

            def run(server: Server) -> tuple[Sample, float]:
                before = cpu_seconds(server.process.pid)
                sample = run_wrk(
                    server.url,
                    PATH,
                    tokens["many"],
                    seconds=seconds,
                    connections=CONNECTIONS,
                    cpus=load_cpus,
                )
                spent = cpu_seconds(server.process.pid) - before
                if sample.non_2xx or sample.socket_errors:
                    raise RuntimeError(f"{server.name}: {sample} (refusals or socket errors)")
                return sample, spent * 1e6 / max(1, sample.requests)

            run(a), run(b)  # warm both: caches filled, code paths taken once
            rps: dict[str, list[float]] = {"base": [], "head": []}
            cpu: dict[str, list[float]] = {"base": [], "head": []}
            for i in range(rounds):
                order = (a, b) if i % 2 == 0 else (b, a)
                for server in order:
                    sample, us = run(server)
                    rps[server.name].append(sample.rps)
                    cpu[server.name].append(us)
                    print(
                        f"  round {i + 1}: {server.name} {sample.rps:,.0f} req/s, "
                        f"{us:.0f} µs CPU per request",
                        flush=True,
                    )
        return Comparison(
            full[:12],
            head or "this checkout",
            tuple(rps["base"]),
            tuple(rps["head"]),
            tuple(cpu["base"]),
            tuple(cpu["head"]),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("base", help="the commit to compare this checkout with")
    parser.add_argument("--head", help="compare this commit instead of this checkout")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    result = compare(args.base, head=args.head, rounds=args.rounds, seconds=args.seconds)
    ratios = result.pair_ratios
    print(
        f"\nbase {result.base}: median {statistics.median(result.base_rps):,.0f} req/s; "
        f"head {result.head}: median {statistics.median(result.head_rps):,.0f} req/s\n"
        f"head / base = {result.ratio:.3f} "
        f"(per pair: min {min(ratios):.3f}, median {statistics.median(ratios):.3f}, "
        f"max {max(ratios):.3f}; {len(ratios)} pairs of {args.seconds:g} s)\n"
        f"CPU per request: base {statistics.median(result.base_cpu_us):.0f} µs, "
        f"head {statistics.median(result.head_cpu_us):.0f} µs "
        f"(head / base = {result.cpu_ratio:.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
