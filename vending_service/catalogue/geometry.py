"""Geometry on the 256-unit design grid: points, fillable shapes, curves and the head oval."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float


@dataclass(frozen=True, slots=True)
class Polygon:
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Stroke:
    points: tuple[Point, ...]
    width: float


Shape = Ellipse | Polygon | Stroke


@dataclass(frozen=True, slots=True)
class Head:
    """The head oval; features are placed by fractions of its radii."""

    cx: float
    cy: float
    rx: float
    ry: float

    def at(self, fx: float, fy: float) -> Point:
        return (self.cx + fx * self.rx, self.cy + fy * self.ry)

    def rim(self, degrees: float, reach: float = 1.0) -> Point:
        a = math.radians(degrees)
        return (
            self.cx + reach * self.rx * math.cos(a),
            self.cy - reach * self.ry * math.sin(a),
        )


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, steps: int) -> tuple[Point, ...]:
    """A cubic Bézier curve sampled at ``steps + 1`` evenly spaced parameters."""
    out: list[Point] = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        out.append(
            (
                a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
            )
        )
    return tuple(out)


def unit(a: Point, b: Point) -> Point:
    """Unit vector pointing from ``a`` to ``b``."""
    d = math.hypot(b[0] - a[0], b[1] - a[1]) or 1.0
    return ((b[0] - a[0]) / d, (b[1] - a[1]) / d)


def shrink(points: Sequence[Point], factor: float, shift: Point) -> tuple[Point, ...]:
    """Scale a polygon about its centroid, then move it by ``shift``."""
    cx = sum(p[0] for p in points) / len(points)
    cy = sum(p[1] for p in points) / len(points)
    return tuple(
        (cx + (x - cx) * factor + shift[0], cy + (y - cy) * factor + shift[1]) for x, y in points
    )
