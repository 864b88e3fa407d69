"""The body below the head: shoulders for a portrait, or a sitting body with tail and paws."""

import math

from vending_service.catalogue.geometry import Ellipse, Stroke, bezier
from vending_service.catalogue.palette import FUR_WHITE, mix
from vending_service.catalogue.sketch import Sketch


def draw_body(sketch: Sketch) -> None:
    """The fur below the head, drawn before it: shoulders or a sitting body."""
    if sketch.traits.pose == "portrait":
        _shoulders(sketch)
    else:
        _sitting_body(sketch)


def _shoulders(sketch: Sketch) -> None:
    coat = sketch.traits.coat
    shoulders = Ellipse(128, 276, 104, 80)
    layer, pen = sketch.fur(coat.base)
    if coat.kind == "tabby":
        for i in range(4):
            y = 214 + i * 13
            pen.taper((16, y - 4), (56, y + 6), 7, 2, coat.accent)
            pen.taper((240, y - 4), (200, y + 6), 7, 2, coat.accent)
    elif coat.kind in ("calico", "tortie"):
        sketch.patches(pen, (30, 200, 226, 256), 4 if coat.kind == "calico" else 12)
    elif coat.kind == "bicolour":
        pen.ellipse(128, 262, 44, 64, fill=coat.accent)
    elif coat.kind == "pointed":
        pen.ellipse(128, 290, 120, 70, fill=mix(coat.base, coat.accent, 0.12))
    sketch.paint([shoulders], layer)


def _sitting_body(sketch: Sketch) -> None:
    coat, side = sketch.traits.coat, sketch.side
    cx = 128.0
    # tail, curling up behind the body on one side
    tail = Stroke(
        bezier(
            (cx + side * 40, 226),
            (cx + side * 104, 232),
            (cx + side * 104, 160),
            (cx + side * 78, 138),
            18,
        ),
        14,
    )
    tail_colour = coat.base
    if coat.kind == "pointed":
        tail_colour = coat.accent
    elif coat.kind == "calico":
        tail_colour = coat.accent if sketch.rng.random() < 0.5 else coat.accent2
    layer, pen = sketch.fur(tail_colour)
    if coat.kind == "tabby":
        for i in range(3, len(tail.points) - 1, 3):
            (x0, y0), (x1, y1) = tail.points[i - 1], tail.points[i + 1]
            dx, dy = x1 - x0, y1 - y0
            n = math.hypot(dx, dy) or 1.0
            px, py = tail.points[i]
            nx, ny = -dy / n * 9, dx / n * 9
            pen.stroke(((px - nx, py - ny), (px + nx, py + ny)), coat.accent, 4)
    elif coat.kind == "tortie":
        sketch.patches(pen, (cx + side * 40 - 40, 130, cx + side * 104 + 40, 236), 6)
    elif coat.kind == "bicolour" and coat.name != "tuxedo cat":
        pen.circle(tail.points[-1], 10, coat.accent)
    sketch.paint([tail], layer)

    # body: a round chest above wide haunches
    body = [Ellipse(cx, 178, 56, 54), Ellipse(cx, 212, 66, 26)]
    layer, pen = sketch.fur(coat.base)
    if coat.kind == "tabby":
        for i in range(5):
            y = 150 + i * 17
            pen.taper((cx - 72, y - 5), (cx - 34, y + 5), 8, 2, coat.accent)
            pen.taper((cx + 72, y - 5), (cx + 34, y + 5), 8, 2, coat.accent)
    elif coat.kind == "calico":
        sketch.patches(pen, (cx - 60, 140, cx + 60, 236), 4)
    elif coat.kind == "tortie":
        sketch.patches(pen, (cx - 66, 126, cx + 66, 238), 14)
    elif coat.kind == "bicolour":
        pen.ellipse(cx, 196, 30, 48, fill=coat.accent)
    elif coat.kind == "pointed":
        pen.ellipse(cx, 238, 80, 30, fill=mix(coat.base, coat.accent, 0.18))
    sketch.paint(body, layer)

    # front paws
    paws = [Ellipse(cx - 20, 234, 15, 9), Ellipse(cx + 20, 234, 15, 9)]
    paw_colour = coat.base
    if coat.kind in ("bicolour", "calico"):
        paw_colour = FUR_WHITE
    elif coat.kind == "pointed":
        paw_colour = coat.accent
    layer, pen = sketch.fur(paw_colour)
    sketch.paint(paws, layer)
    toe = mix(paw_colour, sketch.outline, 0.75)
    for x in (cx - 20, cx + 20):
        for dx in (-4.5, 4.5):
            sketch.pen.stroke(((x + dx, 238), (x + dx, 242)), toe, 1.6)
