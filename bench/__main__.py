"""`python -m bench [--smoke]` (what `make bench` and `make bench-smoke` run).

Prints a table, and writes `bench/results/<timestamp>.json` and `<timestamp>.png`, and the
profile's collapsed stacks as `<timestamp>.profile.txt` (speedscope or flamegraph.pl read it).
`--smoke` (or BENCH_SMOKE=1) runs every measurement once for about a second, to prove the
benchmark still works; its figures mean nothing. The exit status is 1 when a measurement
was not what it claims to be (refusals where none belong, socket errors), never because of
a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.chart import draw_chart
from bench.report import summarize, table
from bench.suite import FULL, SMOKE, run_suite

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--smoke", action="store_true", help="seconds-long run, figures mean nothing"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the files")
    args = parser.parse_args(argv)
    smoke = args.smoke or os.environ.get("BENCH_SMOKE", "") not in ("", "0")
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="lanyard-bench-") as workdir:
        results = run_suite(SMOKE if smoke else FULL, Path(workdir))
    summary = summarize(results, started.isoformat(timespec="seconds"))
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / started.strftime("%Y%m%dT%H%M%SZ")
    stem.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    draw_chart(summary, stem.with_suffix(".png"))
    written = [stem.with_suffix(".json"), stem.with_suffix(".png")]
    if results.profile is not None and results.profile.stacks:
        written.append(stem.with_suffix(".profile.txt"))
        written[-1].write_text(results.profile.stacks)
    print()
    print(table(summary))
    print(f"\n{summary['seconds']:.0f} s; wrote " + ", ".join(str(path) for path in written))
    return 1 if summary["checks"] else 0


if __name__ == "__main__":
    sys.exit(main())
