"""The head: its fur, the coat's markings on it, and the ears with their pink insides."""

import math

from PIL import Image, ImageFilter

from vending_service.catalogue.geometry import Ellipse, Point, Polygon, Shape, shrink, unit
from vending_service.catalogue.palette import INNER_EAR
from vending_service.catalogue.pen import Pen
from vending_service.catalogue.sketch import Sketch

# inner base angle, outer base angle, tip angle, tip reach, tip rounding (design units)
_EAR_SPECS: dict[str, tuple[float, float, float, float, float]] = {
    "pointy": (100.0, 150.0, 121.0, 1.55, 2.5),
    "round": (100.0, 152.0, 124.0, 1.42, 8.0),
    "big": (97.0, 157.0, 122.0, 1.72, 3.0),
    "small": (102.0, 146.0, 122.0, 1.36, 4.0),
}


def draw_head(sketch: Sketch) -> None:
    """The outlined head and ears in the coat's pattern, then the inner ears."""
    coat, h = sketch.traits.coat, sketch.head
    ears = _ears(sketch)
    shapes: list[Shape] = [Ellipse(h.cx, h.cy, h.rx, h.ry)]
    for tri, tip, r in ears:
        shapes.append(Polygon(tri))
        shapes.append(Ellipse(tip[0], tip[1], r, r))
    layer, pen = sketch.fur(coat.base)
    if coat.kind == "tabby":
        for dx, top in ((-0.22, -0.62), (0.0, -0.52), (0.22, -0.62)):
            pen.taper(h.at(dx, -1.05), h.at(dx * 0.7, top), 0.09 * h.rx, 0.03 * h.rx, coat.accent)
        for s in (-1, 1):
            for fy, ty in ((0.02, 0.1), (0.26, 0.3)):
                pen.taper(h.at(s * 1.05, fy), h.at(s * 0.74, ty), 0.08 * h.rx, 0.02, coat.accent)
    elif coat.kind == "calico":
        s = sketch.side
        pen.ellipse(*h.at(s * 0.62, -0.6), 0.5 * h.rx, 0.55 * h.ry, fill=coat.accent)
        pen.ellipse(*h.at(-s * 0.7, -0.7), 0.36 * h.rx, 0.48 * h.ry, fill=coat.accent2)
        if sketch.rng.random() < 0.5:
            pen.ellipse(*h.at(-s * 0.9, 0.3), 0.22 * h.rx, 0.2 * h.ry, fill=coat.accent)
    elif coat.kind == "tortie":
        box = (h.cx - h.rx * 1.1, h.cy - h.ry * 1.5, h.cx + h.rx * 1.1, h.cy + h.ry)
        sketch.patches(pen, box, 12)
    elif coat.kind == "bicolour":
        pen.ellipse(*h.at(0, 0.5), 0.5 * h.rx, 0.48 * h.ry, fill=coat.accent)
        pen.polygon((h.at(-0.2, 0.2), h.at(0, -0.55), h.at(0.2, 0.2)), fill=coat.accent)
        pen.stroke((h.at(0, -0.5), h.at(0, 0.2)), coat.accent, 0.08 * h.rx)
    elif coat.kind == "pointed":
        for tri, tip, r in ears:
            pen.polygon(tri, fill=coat.accent)
            pen.circle(tip, r, coat.accent)
        # a soft, blurred mask of darker fur around the nose and eyes
        mask = Image.new("L", (sketch.px, sketch.px), 0)
        Pen(mask, sketch.k).ellipse(*h.at(0, 0.22), 0.46 * h.rx, 0.4 * h.ry, fill=255)
        mask = mask.filter(ImageFilter.GaussianBlur(0.16 * h.rx * sketch.k))
        layer.paste(coat.accent, None, mask)
    sketch.paint(shapes, layer)

    # inner ears
    pen = sketch.pen
    inner = INNER_EAR if coat.kind != "pointed" else (186, 120, 124)
    for tri, _tip, r in ears:
        small = shrink(tri, 0.55, (0.0, 0.06 * h.ry))
        pen.polygon(small, fill=inner)
        pen.stroke(small, inner, max(1.5, r * 0.6), closed=True)


def _ears(sketch: Sketch) -> list[tuple[tuple[Point, ...], Point, float]]:
    """Both ears as (polygon, centre of the rounded tip, tip radius)."""
    h = sketch.head
    inner, outer, tip_deg, reach, r = _EAR_SPECS[sketch.traits.ears]
    tilt = sketch.rng.uniform(-4, 4)
    ears: list[tuple[tuple[Point, ...], Point, float]] = []
    for flip in (0.0, 180.0):  # left ear, then its mirror image on the right
        b1 = h.rim(abs(flip - inner), 0.96)
        tip = h.rim(abs(flip - (tip_deg + tilt)), reach)
        b2 = h.rim(abs(flip - outer), 0.96)
        # round the tip: a circle of radius r tangent to both sides of the ear
        u1 = unit(tip, b1)
        u2 = unit(tip, b2)
        half = math.acos(max(-1.0, min(1.0, u1[0] * u2[0] + u1[1] * u2[1]))) / 2
        bis = unit((0.0, 0.0), (u1[0] + u2[0], u1[1] + u2[1]))
        along = r / math.tan(half)
        centre_d = r / math.sin(half)
        centre = (tip[0] + bis[0] * centre_d, tip[1] + bis[1] * centre_d)
        t1 = (tip[0] + u1[0] * along, tip[1] + u1[1] * along)
        t2 = (tip[0] + u2[0] * along, tip[1] + u2[1] * along)
        ears.append(((b1, t1, t2, b2), centre, r))
    return ears
