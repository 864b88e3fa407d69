"""The sketch: one cat being drawn, and what every body part shares while it is drawn.

The canvas is ``SUPERSAMPLE`` times the requested size; coordinates are on a
``GRID``-unit design grid, scaled by ``k``. Fur is painted part by part: each part is a
set of shapes filled from a patterned fur layer and ringed by a dark outline.
"""

import random
from collections.abc import Sequence

from PIL import Image

from vending_service.catalogue.geometry import Ellipse, Head, Polygon, Shape
from vending_service.catalogue.palette import FUR_WHITE, Colour, luma, mix
from vending_service.catalogue.pen import Ink, Pen
from vending_service.catalogue.traits import Traits

SUPERSAMPLE = 2
GRID = 256.0  # every coordinate is on a 256 x 256 design grid


class Sketch:
    """Draws one cat from its traits; ``rng`` supplies the small random details."""

    def __init__(self, traits: Traits, rng: random.Random, size: int) -> None:
        self.traits = traits
        self.rng = rng
        self.px = size * SUPERSAMPLE
        self.k = self.px / GRID
        self.canvas = Image.new("RGB", (self.px, self.px), traits.backdrop)
        self.pen = Pen(self.canvas, self.k)
        coat = traits.coat
        self.outline = mix(coat.base, (20, 14, 18), 0.62)
        if luma(coat.base) < 70:  # a dark outline would vanish into dark fur
            self.outline = mix(coat.base, (150, 140, 165), 0.45)
        self.outline_w = 2.6
        self.side = traits.side
        hs = traits.head_scale
        if traits.pose == "portrait":
            drop = 12.0 if traits.accessory in ("party hat", "top hat", "crown") else 0.0
            self.head = Head(128.0, 134.0 + drop, 84.0 * hs, 70.0 * hs)
        else:
            drop = 8.0 if traits.accessory in ("party hat", "top hat", "crown") else 0.0
            self.head = Head(128.0, 98.0 + drop, 60.0 * hs, 50.0 * hs)
        self.muzzle = _muzzle_colour(traits)

    def paint(self, shapes: Sequence[Shape], fur: Image.Image) -> None:
        """Composite one body part: a dark outline, then the patterned fur inside it."""
        size = (self.px, self.px)
        fill_mask = Image.new("L", size, 0)
        line_mask = Image.new("L", size, 0)
        fill_pen = Pen(fill_mask, self.k)
        line_pen = Pen(line_mask, self.k)
        for shape in shapes:
            _fill_shape(line_pen, shape, 255, self.outline_w)
            _fill_shape(fill_pen, shape, 255, 0.0)
        box = line_mask.getbbox()  # only composite the part the shapes cover
        if box is None:
            return
        self.canvas.paste(self.outline, box, line_mask.crop(box))
        self.canvas.paste(fur.crop(box), box, fill_mask.crop(box))

    def fur(self, colour: Colour) -> tuple[Image.Image, Pen]:
        """A canvas-sized fur layer of ``colour`` and a pen to pattern it."""
        layer = Image.new("RGB", (self.px, self.px), colour)
        return layer, Pen(layer, self.k)

    def patches(self, pen: Pen, box: tuple[float, float, float, float], n: int) -> None:
        """Scatter ``n`` random patches of the coat's two accents inside ``box``."""
        coat = self.traits.coat
        x0, y0, x1, y1 = box
        for i in range(n):
            colour = coat.accent if i % 2 == 0 else coat.accent2
            pen.ellipse(
                self.rng.uniform(x0, x1),
                self.rng.uniform(y0, y1),
                self.rng.uniform(0.18, 0.34) * (x1 - x0),
                self.rng.uniform(0.16, 0.3) * (y1 - y0),
                fill=colour,
            )


def _muzzle_colour(traits: Traits) -> Colour:
    coat = traits.coat
    if coat.kind in ("calico", "bicolour"):
        return FUR_WHITE
    if coat.kind == "pointed":
        return coat.accent
    return coat.base


def _fill_shape(pen: Pen, shape: Shape, ink: Ink, grow: float) -> None:
    """Fill ``shape``, enlarged by ``grow`` on every side (used to build outlines)."""
    if isinstance(shape, Ellipse):
        pen.ellipse(shape.cx, shape.cy, shape.rx + grow, shape.ry + grow, fill=ink)
    elif isinstance(shape, Polygon):
        pen.polygon(shape.points, fill=ink)
        if grow > 0:
            pen.stroke(shape.points, ink, 2 * grow, closed=True)
    else:
        pen.stroke(shape.points, ink, shape.width + 2 * grow)
