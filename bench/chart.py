"""The run as a picture, drawn with Pillow: throughput, latency, verification cost, targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bench.suite import VARIANTS, WORKLOADS

__all__ = ["draw_chart"]

WIDTH = 1400
LABEL_W = 330
BAR_H = 22
GAP = 8
COLOURS = {
    "bare": (150, 150, 160),
    "naive": (222, 120, 60),
    "ceiling": (110, 110, 200),
    "sqlite": (46, 150, 110),
    "redis": (200, 70, 90),
}
INK = (34, 34, 40)
GRID = (225, 225, 232)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int) -> Font:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: one fixed size
        return ImageFont.load_default()


class _Canvas:
    def __init__(self, height: int) -> None:
        self.image = Image.new("RGB", (WIDTH, height), "white")
        self.pen = ImageDraw.Draw(self.image)
        self.text_font, self.small, self.title = _font(15), _font(13), _font(22)
        self.y = 20

    def heading(self, text: str, note: str = "") -> None:
        self.y += 14
        self.pen.text((20, self.y), text, fill=INK, font=self.title)
        if note:
            self.pen.text((20, self.y + 30), note, fill=(90, 90, 100), font=self.small)
            self.y += 20
        self.y += 48

    def bars(
        self,
        rows: list[tuple[str, str, float, float, float]],
        unit: str,
        marker: float | None = None,
    ) -> None:
        """Rows of (label, variant, value, low, high), one scale for all of them."""
        top = max([max(value, high) for _, _, value, _, high in rows] + [marker or 0.0]) or 1.0
        span = WIDTH - LABEL_W - 170
        left = LABEL_W
        for fraction in (0.25, 0.5, 0.75, 1.0):
            x = left + span * fraction
            self.pen.line([(x, self.y - 4), (x, self.y + len(rows) * (BAR_H + GAP))], fill=GRID)
            self.pen.text(
                (x - 20, self.y - 20),
                f"{top * fraction:,.0f}" if top >= 100 else f"{top * fraction:.1f}",
                fill=INK,
                font=self.small,
            )
        for label, variant, value, low, high in rows:
            self.pen.text((20, self.y + 3), label, fill=INK, font=self.text_font)
            x = left + span * value / top
            self.pen.rectangle([left, self.y, x, self.y + BAR_H], fill=COLOURS[variant])
            if high > low:  # the spread of the repetitions
                middle = self.y + BAR_H / 2
                x_low, x_high = left + span * low / top, left + span * high / top
                self.pen.line([(x_low, middle), (x_high, middle)], fill=INK, width=2)
                self.pen.line([(x_high, middle - 5), (x_high, middle + 5)], fill=INK, width=2)
            self.pen.text(
                (max(x, left + span * high / top) + 8, self.y + 3),
                f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}",
                fill=INK,
                font=self.text_font,
            )
            self.y += BAR_H + GAP
        if marker:
            x = left + span * marker / top
            for y in range(int(self.y - len(rows) * (BAR_H + GAP)), int(self.y), 8):
                self.pen.line([(x, y), (x, y + 4)], fill=COLOURS["ceiling"], width=2)

    def lines(self, rows: list[tuple[str, tuple[int, int, int]]]) -> None:
        for text, colour in rows:
            self.pen.text((20, self.y), text, fill=colour, font=self.text_font)
            self.y += 22


def _verdict(met: bool | None) -> str:
    return {True: "met    ", False: "NOT met", None: "not measured"}[met]


def _throughput_bars(
    throughput: list[dict[str, Any]], users: str, figure: str, runs: str
) -> list[tuple[str, str, float, float, float]]:
    """One bar per throughput case: its label, variant, `figure` and the spread of `runs`."""
    return [
        (
            f"{t['variant']}: {WORKLOADS[t['workload']].replace('distinct users', users)}"[:42],
            t["variant"],
            t[figure],
            min(t[runs]),
            max(t[runs]),
        )
        for t in throughput
    ]


def draw_chart(summary: dict[str, Any], path: Path) -> None:
    """Write the PNG of `summary` (as `bench.report.summarize` makes it) to `path`."""
    method, found = summary["method"], summary["machine"]
    users = f"{method['users']:,} users"
    order = list(VARIANTS)
    throughput = sorted(
        summary["throughput"],
        key=lambda t: (list(WORKLOADS).index(t["workload"]) > 0, order.index(t["variant"])),
    )
    bare = next((t["rps"] for t in throughput if t["variant"] == "bare"), None)
    verify = [m for m in summary["micro"] if "sign" not in m["name"] and "booth" not in m["name"]]
    profile = summary.get("profile") or {}
    layers = [r for r in profile.get("layers", []) if r["samples"] or r["us_per_request"]]
    rows = (
        2 * len(throughput)
        + 2 * len(summary["latency"])
        + len(verify)
        + len(layers)
        + len(summary["targets"])
        + 4
    )
    canvas = _Canvas(260 + rows * (BAR_H + GAP) + 9 * 70)

    canvas.pen.text(
        (20, canvas.y),
        "Lanyard: GET /cats?count=1 (issue 18) and ?count=10 (issue 9), one uvicorn worker",
        fill=INK,
        font=canvas.title,
    )
    canvas.y += 32
    canvas.pen.text(
        (20, canvas.y),
        f"{summary['started']}  -  {found['nproc']} x {found['cpu_model']}, Python "
        f"{found['python']}, wrk {method['connections']} connections"
        + ("  -  SMOKE RUN: figures mean nothing" if summary["smoke"] else ""),
        fill=(90, 90, 100),
        font=canvas.small,
    )
    canvas.y += 10

    canvas.heading(
        "Throughput, requests/s (median; line: spread of the runs; dashes: the bare route)",
        f"{method['seconds']:g} s x {method['repetitions']} runs each",
    )
    canvas.bars(_throughput_bars(throughput, users, "rps", "rps_runs"), "/s", bare)

    canvas.heading(
        "CPU per request, microseconds (the server process's own accounting, median)",
        "redis-server's own CPU not included",
    )
    canvas.bars(_throughput_bars(throughput, users, "cpu_us_per_request", "cpu_us_runs"), "us")

    if layers:
        canvas.heading(
            f"Where {profile['variant']}'s CPU goes, {WORKLOADS[profile['workload']]}:"
            " microseconds per request by layer (py-spy)",
            f"{profile['samples']:,} samples; each thread's CPU per request in a run without "
            f"py-spy ({profile['cpu_us_per_request']:.0f} us) divided as its samples are",
        )
        canvas.bars(
            [
                (row["layer"][:42], profile["variant"], row["us_per_request"], 0.0, 0.0)
                for row in sorted(layers, key=lambda r: -r["us_per_request"])
            ],
            "us",
        )
    elif profile:
        canvas.heading("Profile: none", profile.get("skipped") or profile.get("failed") or "")

    canvas.heading(f"Latency at a fixed ~{method['rate']:,} requests/s, ms (p50 and p99)")
    latency_rows = []
    for row in summary["latency"]:
        latency_rows.append((f"{row['variant']} p50", row["variant"], row["p50_ms"], 0.0, 0.0))
        latency_rows.append((f"{row['variant']} p99", row["variant"], row["p99_ms"], 0.0, 0.0))
    canvas.bars(latency_rows, "ms")

    half, footprint = summary.get("half_load"), summary.get("footprint")
    if half or footprint:
        canvas.heading("Latency at half capacity, start-up, memory")
        found = []
        if half:
            found.append(
                f"SQLite, count=1, at ~{half['rps']:,.0f} req/s (half of "
                f"{half['capacity_rps']:,.0f}): p50 {half['p50_ms']:.2f} ms, "
                f"p99 {half['p99_ms']:.2f} ms"
            )
        if footprint:
            found.append(f"/readyz {footprint['ready_seconds']:.2f} s after start (median)")
            found.append(
                f"RSS {footprint['rss_ready_mib']:.0f} MiB when ready, "
                f"{footprint['rss_served_mib']:.0f} MiB after {footprint['users']:,} users"
            )
        canvas.lines([(text, INK) for text in found])

    canvas.heading("Token verification, microseconds per token (in process)")
    canvas.bars(
        [
            (
                m["name"][:42],
                "sqlite" if "TokenVerifier" in m["name"] else "bare",
                m["us"],
                min(m["runs_us"]),
                max(m["runs_us"]),
            )
            for m in verify
        ],
        "us",
    )

    canvas.heading("Targets (issue 18 beside issue 9; figures from this run)")
    canvas.lines(
        [
            (
                f"#{t['issue']:<3} {_verdict(t['met'])}  {t['target']}: "
                + ("-" if t["value"] is None else f"{t['value']:.2f} {t['unit']}"),
                (30, 130, 80) if t["met"] else (190, 40, 50),
            )
            for t in summary["targets"]
        ]
    )
    canvas.image.crop((0, 0, WIDTH, canvas.y + 20)).save(path, "PNG")
