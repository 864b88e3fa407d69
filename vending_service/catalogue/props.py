"""Props: a ball of yarn or a fish on the floor beside the cat."""

from vending_service.catalogue.geometry import bezier
from vending_service.catalogue.palette import INK, WHITE, mix
from vending_service.catalogue.sketch import Sketch


def draw_yarn(sketch: Sketch) -> None:
    """A ball of yarn with a loose thread, opposite ``sketch.side`` (away from the tail)."""
    pen, prop, side = sketch.pen, sketch.traits.prop, -sketch.side
    if sketch.traits.pose == "portrait":
        cx, cy, r = 128 + side * 86, 214.0, 24.0
    else:
        cx, cy, r = 128 + side * 84, 222.0, 20.0
    dark = mix(prop, (0, 0, 0), 0.42)
    light = mix(prop, WHITE, 0.35)
    loose = bezier(
        (cx - side * r * 0.2, cy + r),
        (cx - side * r * 0.8, cy + r * 1.6),
        (cx - side * r * 1.6, cy + r * 0.6),
        (cx - side * r * 2.2, cy + r * 1.4),
        12,
    )
    pen.stroke(loose, dark, 2.2)
    pen.circle((cx, cy), r + 2.2, dark)
    pen.circle((cx, cy), r, prop)
    for i in range(4):
        pen.arc(
            cx + r * (0.5 - 0.3 * i),
            cy - r * 0.2,
            r * 0.9,
            r * 0.7,
            200 + 12 * i,
            330,
            light,
            2,
        )
    for i in range(3):
        pen.arc(cx - r * 0.4, cy + r * (0.1 * i - 0.1), r * 0.9, r * 0.8, 300, 60, dark, 1.6)


def draw_fish(sketch: Sketch) -> None:
    """A fish facing the cat, opposite ``sketch.side`` (away from the tail)."""
    pen, side = sketch.pen, -sketch.side
    if sketch.traits.pose == "portrait":
        cx, cy, s = 128 + side * 84, 230.0, 1.1
    else:
        cx, cy, s = 128 + side * 80, 228.0, 0.9
    scale, belly = (126, 170, 206), (206, 226, 240)
    edge = (52, 76, 104)
    d = -side  # fish faces towards the cat
    tail = (
        (cx - d * 24 * s, cy),
        (cx - d * 38 * s, cy - 12 * s),
        (cx - d * 38 * s, cy + 12 * s),
    )
    pen.stroke(tail, edge, 4, closed=True)
    pen.polygon(tail, fill=scale)
    pen.ellipse(cx, cy, 27 * s + 2, 12 * s + 2, fill=edge)
    pen.ellipse(cx, cy, 27 * s, 12 * s, fill=scale)
    pen.chord(cx, cy, 27 * s, 12 * s, 10, 170, fill=belly)
    pen.arc(cx + d * 12 * s, cy, 6 * s, 9 * s, 270 - 60 * d, 270 + 60 * d, edge, 1.6)
    pen.circle((cx + d * 18 * s, cy - 3 * s), 3.2 * s, WHITE)
    pen.circle((cx + d * 18.6 * s, cy - 3 * s), 1.8 * s, INK)
