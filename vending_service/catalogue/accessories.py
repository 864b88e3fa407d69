"""Accessories: what the cat wears, behind the head (collar, scarf) and in front of it.

Props that sit beside the cat (yarn, fish) are drawn by `vending_service.catalogue.props`.
"""

import math

from vending_service.catalogue.geometry import Point
from vending_service.catalogue.palette import GOLD, GOLD_DARK, WHITE, mix
from vending_service.catalogue.props import draw_fish, draw_yarn
from vending_service.catalogue.sketch import Sketch


def draw_neck_accessory(sketch: Sketch) -> None:
    """A collar or scarf, drawn before the head so the chin overlaps it."""
    acc, h, pen = sketch.traits.accessory, sketch.head, sketch.pen
    neck_y = h.cy + h.ry
    prop = sketch.traits.prop
    dark = mix(prop, (0, 0, 0), 0.4)
    if acc == "bell collar":
        pen.arc(h.cx, neck_y - 0.16 * h.ry, 0.66 * h.rx, 0.3 * h.ry, 15, 165, dark, 13)
        pen.arc(h.cx, neck_y - 0.16 * h.ry, 0.66 * h.rx, 0.3 * h.ry, 15, 165, prop, 9)
    elif acc == "scarf":
        tail_x = h.cx + sketch.side * 0.32 * h.rx
        pts = (
            (tail_x - 10, neck_y),
            (tail_x + 10, neck_y),
            (tail_x + 14 + sketch.side * 4, neck_y + 0.62 * h.ry),
            (tail_x - 6 + sketch.side * 4, neck_y + 0.62 * h.ry),
        )
        pen.polygon(pts, fill=prop, outline=dark, width=2)
        for f in (0.35, 0.5):
            y = neck_y + f * h.ry
            pen.stroke(((tail_x - 8, y), (tail_x + 12, y)), mix(prop, WHITE, 0.5), 2.4)
        pen.arc(h.cx, neck_y - 0.2 * h.ry, 0.74 * h.rx, 0.34 * h.ry, 10, 170, dark, 19)
        pen.arc(h.cx, neck_y - 0.2 * h.ry, 0.74 * h.rx, 0.34 * h.ry, 10, 170, prop, 15)
        pen.arc(
            h.cx,
            neck_y - 0.2 * h.ry,
            0.74 * h.rx,
            0.34 * h.ry,
            30,
            150,
            mix(prop, WHITE, 0.5),
            2.4,
        )


def draw_front_accessory(sketch: Sketch) -> None:
    """A hat, bow tie, bell, flower or glasses over the head, or a prop beside the cat."""
    acc, h, pen, side = sketch.traits.accessory, sketch.head, sketch.pen, sketch.side
    prop = sketch.traits.prop
    dark = mix(prop, (0, 0, 0), 0.42)
    light = mix(prop, WHITE, 0.45)
    top = h.cy - h.ry
    if acc == "bow tie":
        by = h.cy + 0.98 * h.ry
        for s in (-1, 1):
            wing = (
                (h.cx, by),
                (h.cx + s * 0.36 * h.rx, by - 0.2 * h.ry),
                (h.cx + s * 0.36 * h.rx, by + 0.2 * h.ry),
            )
            pen.stroke(wing, dark, 4.4, closed=True)
            pen.polygon(wing, fill=prop)
            pen.stroke(
                (
                    (h.cx + s * 0.12 * h.rx, by - 0.04 * h.ry),
                    (h.cx + s * 0.26 * h.rx, by - 0.1 * h.ry),
                ),
                light,
                2,
            )
        pen.ellipse(h.cx, by, 0.07 * h.rx, 0.085 * h.ry, fill=prop, outline=dark, width=2.2)
    elif acc == "bell collar":
        bx, by, r = h.cx, h.cy + 1.08 * h.ry, 0.1 * h.rx
        pen.circle((bx, by), r + 1.6, GOLD_DARK)
        pen.circle((bx, by), r, GOLD)
        pen.stroke(((bx, by + 0.25 * r), (bx, by + 0.8 * r)), GOLD_DARK, 1.6)
        pen.stroke(((bx - 0.8 * r, by + 0.1 * r), (bx + 0.8 * r, by + 0.1 * r)), GOLD_DARK, 1.4)
        pen.circle((bx - 0.35 * r, by - 0.4 * r), 0.22 * r, WHITE)
    elif acc == "party hat":
        tilt = side * 0.18 * h.rx
        base_l, base_r = (
            (h.cx - 0.3 * h.rx, top + 0.14 * h.ry),
            (h.cx + 0.3 * h.rx, top + 0.14 * h.ry),
        )
        apex = (h.cx + tilt, top - 0.92 * h.ry)
        pen.stroke((base_l, apex, base_r), dark, 4.4, closed=True)
        pen.polygon((base_l, apex, base_r), fill=prop)
        for f, g in ((0.3, -0.35), (0.55, 0.3), (0.75, -0.1), (0.25, 0.55)):
            x = h.cx + tilt * f * 1.6 + g * 0.3 * h.rx * (1 - f)
            y = top + 0.14 * h.ry - f * 1.06 * h.ry
            pen.circle((x, y), 0.035 * h.rx + 1, light)
        pen.stroke((base_l, base_r), WHITE, 5)
        pen.circle(apex, 0.08 * h.rx + 2, WHITE)
    elif acc == "top hat":
        hat = (45, 40, 52)
        rim = (22, 20, 26)
        x0, x1 = h.cx - 0.3 * h.rx, h.cx + 0.3 * h.rx
        pen.rect(
            x0,
            top - 0.72 * h.ry,
            x1,
            top + 0.06 * h.ry,
            fill=hat,
            outline=rim,
            width=2.2,
            radius=3,
        )
        pen.rect(x0, top - 0.12 * h.ry, x1, top - 0.0 * h.ry, fill=prop)
        pen.ellipse(
            h.cx, top + 0.07 * h.ry, 0.52 * h.rx, 0.1 * h.ry, fill=hat, outline=rim, width=2.2
        )
        pen.stroke(((x0 + 4, top - 0.62 * h.ry), (x0 + 4, top - 0.25 * h.ry)), (90, 84, 100), 2.2)
    elif acc == "crown":
        y0, y1 = top + 0.14 * h.ry, top - 0.12 * h.ry
        x0, x1 = h.cx - 0.34 * h.rx, h.cx + 0.34 * h.rx
        pts: list[Point] = [(x0, y0)]
        spikes = 4
        for i in range(spikes + 1):
            x = x0 + (x1 - x0) * i / spikes
            pts.append((x, top - 0.5 * h.ry))
            if i < spikes:
                pts.append((x + (x1 - x0) / spikes / 2, y1))
        pts.append((x1, y0))
        pen.stroke(pts, GOLD_DARK, 4.0, closed=True)
        pen.polygon(pts, fill=GOLD)
        for i in range(spikes + 1):
            x = x0 + (x1 - x0) * i / spikes
            pen.circle((x, top - 0.5 * h.ry), 2.6, mix(GOLD, WHITE, 0.5))
        for i, colour in enumerate((prop, (90, 170, 230), prop)):
            pen.circle((h.cx + (i - 1) * 0.2 * h.rx, (y0 + y1) / 2 + 1), 3.2, colour)
    elif acc == "flower":
        fx, fy = h.at(side * 0.56, -0.74)
        r = 0.11 * h.rx
        for i in range(5):
            a = 2 * math.pi * i / 5 - math.pi / 2
            c = (fx + 1.1 * r * math.cos(a), fy + 1.1 * r * math.sin(a))
            pen.circle(c, r + 1.5, dark)
        for i in range(5):
            a = 2 * math.pi * i / 5 - math.pi / 2
            c = (fx + 1.1 * r * math.cos(a), fy + 1.1 * r * math.sin(a))
            pen.circle(c, r, prop)
        pen.circle((fx, fy), 0.6 * r, GOLD)
    elif acc == "glasses":
        ey = h.cy - 0.02 * h.ry
        r = 0.25 * h.rx
        frame = mix(sketch.traits.prop, (0, 0, 0), 0.25)
        for s in (-1, 1):
            ex = h.cx + s * 0.38 * h.rx
            pen.ellipse(ex, ey, r, r, outline=frame, width=0.04 * h.rx + 0.8)
            pen.stroke(
                ((ex + s * r, ey - 0.2 * r), (h.cx + s * 0.98 * h.rx, ey - 0.3 * r)), frame, 2
            )
        pen.arc(h.cx, ey, 0.38 * h.rx - r, 0.12 * h.rx, 200, 340, frame, 0.04 * h.rx + 0.8)
    elif acc == "yarn":
        draw_yarn(sketch)
    elif acc == "fish":
        draw_fish(sketch)
