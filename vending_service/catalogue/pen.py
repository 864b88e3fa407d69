"""The pen: ``ImageDraw`` at supersampled resolution, driven in design-grid units."""

import math
from collections.abc import Sequence

from PIL import Image, ImageDraw

from vending_service.catalogue.geometry import Point
from vending_service.catalogue.palette import Colour

Ink = Colour | int  # RGB for pictures, 0-255 for masks


class Pen:
    """``ImageDraw`` that takes design-grid coordinates and widths."""

    __slots__ = ("_d", "_k")

    def __init__(self, image: Image.Image, k: float) -> None:
        self._d = ImageDraw.Draw(image)
        self._k = k

    def _w(self, width: float) -> int:
        return max(1, round(width * self._k))

    def _pts(self, points: Sequence[Point]) -> list[tuple[float, float]]:
        k = self._k
        return [(x * k, y * k) for x, y in points]

    def _box(self, cx: float, cy: float, rx: float, ry: float) -> tuple[float, ...]:
        k = self._k
        return ((cx - rx) * k, (cy - ry) * k, (cx + rx) * k, (cy + ry) * k)

    def ellipse(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        fill: Ink | None = None,
        outline: Ink | None = None,
        width: float = 1.0,
    ) -> None:
        self._d.ellipse(self._box(cx, cy, rx, ry), fill=fill, outline=outline, width=self._w(width))

    def circle(self, c: Point, r: float, fill: Ink | None = None) -> None:
        self.ellipse(c[0], c[1], r, r, fill=fill)

    def polygon(
        self,
        points: Sequence[Point],
        fill: Ink | None = None,
        outline: Ink | None = None,
        width: float = 1.0,
    ) -> None:
        self._d.polygon(self._pts(points), fill=fill, outline=outline, width=self._w(width))

    def stroke(self, points: Sequence[Point], ink: Ink, width: float, closed: bool = False) -> None:
        """A thick polyline with round joints and round caps."""
        pts = list(points)
        if closed:
            pts.append(pts[0])
        self._d.line(self._pts(pts), fill=ink, width=self._w(width), joint="curve")
        r = width / 2
        ends = pts if closed else [pts[0], pts[-1]]
        for p in ends:
            self.circle(p, r, ink)

    def arc(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        start: float,
        end: float,
        ink: Ink,
        width: float,
    ) -> None:
        self._d.arc(self._box(cx, cy, rx, ry), start, end, fill=ink, width=self._w(width))

    def chord(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        start: float,
        end: float,
        fill: Ink,
        outline: Ink | None = None,
        width: float = 1.0,
    ) -> None:
        self._d.chord(
            self._box(cx, cy, rx, ry), start, end, fill=fill, outline=outline, width=self._w(width)
        )

    def rect(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        fill: Ink | None = None,
        outline: Ink | None = None,
        width: float = 1.0,
        radius: float = 0.0,
    ) -> None:
        k = self._k
        self._d.rounded_rectangle(
            (x0 * k, y0 * k, x1 * k, y1 * k),
            radius=radius * k,
            fill=fill,
            outline=outline,
            width=self._w(width),
        )

    def taper(self, p0: Point, p1: Point, w0: float, w1: float, ink: Ink) -> None:
        """A stripe that narrows from ``w0`` at ``p0`` to ``w1`` at ``p1``."""
        dx, dy = p1[0] - p0[0], p1[1] - p0[1]
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length, dx / length
        self.polygon(
            (
                (p0[0] + nx * w0 / 2, p0[1] + ny * w0 / 2),
                (p1[0] + nx * w1 / 2, p1[1] + ny * w1 / 2),
                (p1[0] - nx * w1 / 2, p1[1] - ny * w1 / 2),
                (p0[0] - nx * w0 / 2, p0[1] - ny * w0 / 2),
            ),
            fill=ink,
        )
        self.circle(p0, w0 / 2, ink)
        self.circle(p1, w1 / 2, ink)
