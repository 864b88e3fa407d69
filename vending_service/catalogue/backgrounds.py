"""Backgrounds: the backdrop pattern behind the cat, and the floor a sitting cat sits on."""

import math

from PIL import Image

from vending_service.catalogue.palette import NAMED, WHITE, mix
from vending_service.catalogue.sketch import Sketch


def draw_background(sketch: Sketch) -> None:
    """Pattern the backdrop; a sitting cat also gets a floor and a shadow."""
    t, pen, rng = sketch.traits, sketch.pen, sketch.rng
    bg = t.backdrop
    deep = mix(bg, (120, 90, 110), 0.14)
    light = mix(bg, WHITE, 0.55)
    kind = t.background
    if kind == "dots":
        for row in range(10):
            for col in range(10):
                x = col * 30 + (15 if row % 2 else 0)
                pen.circle((x, row * 30 + 8), 5.5, light)
    elif kind == "stripes":
        for i in range(-256, 300, 32):
            pen.stroke(((i, -10), (i + 266, 256)), deep, 11)
    elif kind == "gingham":
        for i in range(0, 256, 32):
            pen.rect(0, i, 256, i + 14, fill=mix(bg, WHITE, 0.45))
            pen.rect(i, 0, i + 14, 256, fill=mix(bg, WHITE, 0.45))
        for i in range(0, 256, 32):
            for j in range(0, 256, 32):
                pen.rect(i, j, i + 14, j + 14, fill=mix(bg, WHITE, 0.75))
    elif kind == "stars":
        for _ in range(16):
            cx, cy, r = rng.uniform(6, 250), rng.uniform(6, 250), rng.uniform(4, 8)
            pts = [
                (
                    cx + (r if i % 2 == 0 else r * 0.45) * math.sin(math.pi * i / 5),
                    cy - (r if i % 2 == 0 else r * 0.45) * math.cos(math.pi * i / 5),
                )
                for i in range(10)
            ]
            pen.polygon(pts, fill=light)
    elif kind == "hearts":
        for row in range(7):
            for col in range(7):
                x = col * 40 + (20 if row % 2 else 0)
                y = row * 40 + 12
                pen.circle((x - 3.2, y), 4.2, deep)
                pen.circle((x + 3.2, y), 4.2, deep)
                pen.polygon(((x - 7.2, y + 1.2), (x + 7.2, y + 1.2), (x, y + 10)), fill=deep)
    elif kind == "confetti":
        for _ in range(40):
            colour = mix(rng.choice(NAMED)[1], bg, 0.45)
            fx, fy = rng.uniform(0, 256), rng.uniform(0, 256)
            if rng.random() < 0.5:
                pen.circle((fx, fy), rng.uniform(2, 3.5), colour)
            else:
                angle = rng.uniform(0, math.pi)
                dx, dy = 4 * math.cos(angle), 4 * math.sin(angle)
                pen.stroke(((fx - dx, fy - dy), (fx + dx, fy + dy)), colour, 2.6)
    elif kind == "gradient":
        top = Image.new("RGB", (sketch.px, sketch.px), mix(bg, WHITE, 0.6))
        ramp = Image.linear_gradient("L").resize((sketch.px, sketch.px))
        sketch.canvas.paste(top, None, Image.eval(ramp, lambda v: 255 - v))
    elif kind == "sunburst":
        cx, cy = sketch.head.cx, sketch.head.cy
        rays = 18
        for i in range(0, rays, 2):
            a0 = 2 * math.pi * i / rays
            a1 = 2 * math.pi * (i + 1) / rays
            pen.polygon(
                (
                    (cx, cy),
                    (cx + 400 * math.cos(a0), cy + 400 * math.sin(a0)),
                    (cx + 400 * math.cos(a1), cy + 400 * math.sin(a1)),
                ),
                fill=mix(bg, WHITE, 0.4),
            )
    if t.pose == "sitting":
        floor = mix(bg, (150, 110, 90), 0.22)
        pen.rect(-2, 212, 258, 258, fill=floor)
        pen.rect(-2, 212, 258, 215, fill=mix(floor, WHITE, 0.25))
        pen.ellipse(128, 241, 76, 10, fill=mix(floor, (60, 40, 40), 0.22))
