"""The vending machine's stock: cat pictures drawn deterministically with Pillow.

Nothing is shipped on disk and nothing is fetched from the network. Every picture is
drawn from a small integer seed with a private ``random.Random(seed)``, so the same
seed always yields byte-identical PNG bytes (Pillow writes no timestamp chunk).

Each cat is laid out on a 256-unit design grid, drawn at twice the requested size and
downscaled with LANCZOS for smooth, anti-aliased edges. The seed picks the coat (solid,
tabby, calico, tortoiseshell, bicolour, Siamese points), eye colour, ear shape, head
size, pose (face portrait or sitting), expression, background and an accessory; the
title is built from those traits.
"""

import io
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

__all__ = ["CATALOGUE_OWNER", "CatalogueCat", "draw_cat", "iter_catalogue"]

CATALOGUE_OWNER = "vending"

_MIN_SIZE = 32
_MAX_SIZE = 1024
_TITLE_MAX = 100
_SUPERSAMPLE = 2
_GRID = 256.0  # every coordinate below is on a 256 x 256 design grid

_Colour = tuple[int, int, int]
_Point = tuple[float, float]
_Ink = _Colour | int  # RGB for pictures, 0-255 for masks


@dataclass(frozen=True, slots=True)
class CatalogueCat:
    """One item of stock: a cat picture and its human title."""

    id: str
    title: str
    image: bytes
    width: int
    height: int


# --------------------------------------------------------------------------- colours


def _mix(a: _Colour, b: _Colour, t: float) -> _Colour:
    """Blend ``a`` towards ``b`` by ``t`` (0 gives ``a``, 1 gives ``b``)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _luma(c: _Colour) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


_WHITE: _Colour = (255, 255, 255)
_INK: _Colour = (38, 30, 36)
_PINK: _Colour = (242, 150, 168)
_INNER_EAR: _Colour = (244, 178, 188)
_GOLD: _Colour = (246, 198, 64)
_GOLD_DARK: _Colour = (168, 118, 28)
_FUR_WHITE: _Colour = (250, 248, 242)
_GINGER: _Colour = (234, 144, 62)
_BLACK_FUR: _Colour = (50, 46, 54)

_NAMED: tuple[tuple[str, _Colour], ...] = (
    ("red", (222, 64, 74)),
    ("blue", (72, 122, 214)),
    ("purple", (150, 92, 204)),
    ("teal", (36, 160, 150)),
    ("pink", (240, 118, 170)),
    ("yellow", (244, 202, 62)),
    ("green", (82, 170, 92)),
    ("orange", (246, 142, 44)),
)

_PASTELS: tuple[_Colour, ...] = (
    (200, 236, 216),  # mint
    (255, 220, 198),  # peach
    (224, 212, 246),  # lavender
    (202, 226, 250),  # sky
    (252, 240, 192),  # butter
    (250, 212, 222),  # rose
    (216, 230, 200),  # sage
    (196, 238, 238),  # aqua
    (240, 228, 210),  # oatmeal
    (255, 204, 170),  # apricot
)


# --------------------------------------------------------------------------- traits


@dataclass(frozen=True, slots=True)
class _Coat:
    name: str  # as it appears in the title
    kind: str  # solid | tabby | calico | tortie | bicolour | pointed
    base: _Colour
    accent: _Colour = (0, 0, 0)  # stripes, patches, points or the white of a bicolour
    accent2: _Colour = (0, 0, 0)


_COATS: tuple[_Coat, ...] = (
    _Coat("ginger cat", "solid", _GINGER),
    _Coat("black cat", "solid", _BLACK_FUR),
    _Coat("white cat", "solid", _FUR_WHITE),
    _Coat("grey cat", "solid", (152, 154, 164)),
    _Coat("blue-grey cat", "solid", (122, 138, 160)),
    _Coat("cream cat", "solid", (244, 216, 172)),
    _Coat("chocolate cat", "solid", (128, 86, 62)),
    _Coat("ginger tabby", "tabby", (238, 156, 74), (188, 94, 34)),
    _Coat("grey tabby", "tabby", (168, 168, 174), (82, 82, 94)),
    _Coat("brown tabby", "tabby", (184, 140, 96), (94, 64, 42)),
    _Coat("calico cat", "calico", _FUR_WHITE, _GINGER, _BLACK_FUR),
    _Coat("tortoiseshell cat", "tortie", (62, 46, 40), (206, 122, 54), (150, 82, 42)),
    _Coat("tuxedo cat", "bicolour", (44, 42, 50), _FUR_WHITE),
    _Coat("ginger and white cat", "bicolour", _GINGER, _FUR_WHITE),
    _Coat("grey and white cat", "bicolour", (140, 144, 156), _FUR_WHITE),
    _Coat("Siamese cat", "pointed", (244, 230, 206), (92, 62, 50)),
)

_EYES: tuple[tuple[str, _Colour], ...] = (
    ("green", (118, 192, 88)),
    ("amber", (238, 178, 46)),
    ("blue", (96, 160, 232)),
    ("copper", (214, 118, 48)),
    ("hazel", (164, 154, 72)),
)

# expression -> adjective used in the title ("" means none)
_EXPRESSIONS: tuple[tuple[str, str], ...] = (
    ("content", ""),
    ("happy", "happy"),
    ("sleepy", "sleepy"),
    ("curious", "curious"),
    ("wink", "cheeky"),
    ("surprised", "startled"),
    ("blep", "playful"),
)

_EARS = ("pointy", "pointy", "round", "big", "small")
_BACKGROUNDS = (
    "plain",
    "dots",
    "stripes",
    "gingham",
    "stars",
    "hearts",
    "confetti",
    "gradient",
    "sunburst",
)
_ACCESSORIES = (
    "none",
    "bow tie",
    "party hat",
    "top hat",
    "crown",
    "bell collar",
    "yarn",
    "fish",
    "glasses",
    "scarf",
    "flower",
)


@dataclass(frozen=True, slots=True)
class _Traits:
    coat: _Coat
    eye_name: str
    eyes: tuple[_Colour, _Colour]
    expression: str
    adjective: str
    pose: str  # portrait | sitting
    ears: str
    head_scale: float
    background: str
    backdrop: _Colour
    accessory: str
    prop_name: str
    prop: _Colour
    blush: bool
    side: int  # +1 or -1: which way the tail, props and flower go


def _pick_traits(rng: random.Random) -> _Traits:
    coat = rng.choice(_COATS)
    eye_name, eye = rng.choice(_EYES)
    eyes = (eye, eye)
    if coat.kind == "pointed":
        eye_name, eyes = "blue", (_EYES[2][1], _EYES[2][1])
    elif coat.name == "white cat" and rng.random() < 0.35:
        eye_name, eyes = "odd", (_EYES[2][1], _EYES[1][1])
    expression, adjective = rng.choice(_EXPRESSIONS)
    pose = rng.choice(("portrait", "sitting"))
    ears = rng.choice(_EARS)
    head_scale = rng.uniform(0.9, 1.06)
    background = rng.choice(_BACKGROUNDS)
    backdrop = rng.choice(_PASTELS)
    accessory = rng.choice(_ACCESSORIES)
    prop_name, prop = rng.choice(_NAMED)
    blush = expression in ("happy", "blep", "wink") or rng.random() < 0.3
    side = rng.choice((-1, 1))
    return _Traits(
        coat=coat,
        eye_name=eye_name,
        eyes=eyes,
        expression=expression,
        adjective=adjective,
        pose=pose,
        ears=ears,
        head_scale=head_scale,
        background=background,
        backdrop=backdrop,
        accessory=accessory,
        prop_name=prop_name,
        prop=prop,
        blush=blush,
        side=side,
    )


def _title(t: _Traits) -> str:
    subject = f"{t.adjective} {t.coat.name}" if t.adjective else t.coat.name
    eyes = t.eye_name
    phrases = {
        "none": f"with {eyes} eyes",
        "bow tie": f"in a {t.prop_name} bow tie",
        "party hat": f"in a {t.prop_name} party hat",
        "top hat": f"in a top hat with a {t.prop_name} band",
        "crown": f"with {eyes} eyes and a golden crown",
        "bell collar": f"with a {t.prop_name} bell collar",
        "yarn": f"with a {t.prop_name} yarn ball",
        "fish": f"with {eyes} eyes and a fish",
        "glasses": f"in {t.prop_name} round glasses",
        "scarf": f"in a {t.prop_name} scarf",
        "flower": f"with a {t.prop_name} flower",
    }
    text = f"{subject} {phrases[t.accessory]}".replace(" a orange", " an orange")
    return (text[0].upper() + text[1:])[:_TITLE_MAX]


# --------------------------------------------------------------------------- drawing


class _Pen:
    """``ImageDraw`` that takes design-grid coordinates and widths."""

    __slots__ = ("_d", "_k")

    def __init__(self, image: Image.Image, k: float) -> None:
        self._d = ImageDraw.Draw(image)
        self._k = k

    def _w(self, width: float) -> int:
        return max(1, round(width * self._k))

    def _pts(self, points: Sequence[_Point]) -> list[tuple[float, float]]:
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
        fill: _Ink | None = None,
        outline: _Ink | None = None,
        width: float = 1.0,
    ) -> None:
        self._d.ellipse(self._box(cx, cy, rx, ry), fill=fill, outline=outline, width=self._w(width))

    def circle(self, c: _Point, r: float, fill: _Ink | None = None) -> None:
        self.ellipse(c[0], c[1], r, r, fill=fill)

    def polygon(
        self,
        points: Sequence[_Point],
        fill: _Ink | None = None,
        outline: _Ink | None = None,
        width: float = 1.0,
    ) -> None:
        self._d.polygon(self._pts(points), fill=fill, outline=outline, width=self._w(width))

    def stroke(
        self, points: Sequence[_Point], ink: _Ink, width: float, closed: bool = False
    ) -> None:
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
        ink: _Ink,
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
        fill: _Ink,
        outline: _Ink | None = None,
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
        fill: _Ink | None = None,
        outline: _Ink | None = None,
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

    def taper(self, p0: _Point, p1: _Point, w0: float, w1: float, ink: _Ink) -> None:
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


@dataclass(frozen=True, slots=True)
class _Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float


@dataclass(frozen=True, slots=True)
class _Polygon:
    points: tuple[_Point, ...]


@dataclass(frozen=True, slots=True)
class _Stroke:
    points: tuple[_Point, ...]
    width: float


_Shape = _Ellipse | _Polygon | _Stroke


def _fill_shape(pen: _Pen, shape: _Shape, ink: _Ink, grow: float) -> None:
    """Fill ``shape``, enlarged by ``grow`` on every side (used to build outlines)."""
    if isinstance(shape, _Ellipse):
        pen.ellipse(shape.cx, shape.cy, shape.rx + grow, shape.ry + grow, fill=ink)
    elif isinstance(shape, _Polygon):
        pen.polygon(shape.points, fill=ink)
        if grow > 0:
            pen.stroke(shape.points, ink, 2 * grow, closed=True)
    else:
        pen.stroke(shape.points, ink, shape.width + 2 * grow)


def _bezier(p0: _Point, p1: _Point, p2: _Point, p3: _Point, steps: int) -> tuple[_Point, ...]:
    out: list[_Point] = []
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


def _unit(a: _Point, b: _Point) -> _Point:
    """Unit vector pointing from ``a`` to ``b``."""
    d = math.hypot(b[0] - a[0], b[1] - a[1]) or 1.0
    return ((b[0] - a[0]) / d, (b[1] - a[1]) / d)


def _shrink(points: Sequence[_Point], factor: float, shift: _Point) -> tuple[_Point, ...]:
    """Scale a polygon about its centroid, then move it by ``shift``."""
    cx = sum(p[0] for p in points) / len(points)
    cy = sum(p[1] for p in points) / len(points)
    return tuple(
        (cx + (x - cx) * factor + shift[0], cy + (y - cy) * factor + shift[1]) for x, y in points
    )


@dataclass(frozen=True, slots=True)
class _Head:
    cx: float
    cy: float
    rx: float
    ry: float

    def at(self, fx: float, fy: float) -> _Point:
        return (self.cx + fx * self.rx, self.cy + fy * self.ry)

    def rim(self, degrees: float, reach: float = 1.0) -> _Point:
        a = math.radians(degrees)
        return (
            self.cx + reach * self.rx * math.cos(a),
            self.cy - reach * self.ry * math.sin(a),
        )


# inner base angle, outer base angle, tip angle, tip reach, tip rounding (design units)
_EAR_SPECS: dict[str, tuple[float, float, float, float, float]] = {
    "pointy": (100.0, 150.0, 121.0, 1.55, 2.5),
    "round": (100.0, 152.0, 124.0, 1.42, 8.0),
    "big": (97.0, 157.0, 122.0, 1.72, 3.0),
    "small": (102.0, 146.0, 122.0, 1.36, 4.0),
}


class _CatPainter:
    """Draws one cat from its traits; ``rng`` supplies the small random details."""

    def __init__(self, traits: _Traits, rng: random.Random, size: int) -> None:
        self.t = traits
        self.rng = rng
        self.px = size * _SUPERSAMPLE
        self.k = self.px / _GRID
        self.canvas = Image.new("RGB", (self.px, self.px), traits.backdrop)
        self.pen = _Pen(self.canvas, self.k)
        coat = traits.coat
        self.outline = _mix(coat.base, (20, 14, 18), 0.62)
        if _luma(coat.base) < 70:  # a dark outline would vanish into dark fur
            self.outline = _mix(coat.base, (150, 140, 165), 0.45)
        self.outline_w = 2.6
        self.side = traits.side
        hs = traits.head_scale
        if traits.pose == "portrait":
            drop = 12.0 if traits.accessory in ("party hat", "top hat", "crown") else 0.0
            self.head = _Head(128.0, 134.0 + drop, 84.0 * hs, 70.0 * hs)
        else:
            drop = 8.0 if traits.accessory in ("party hat", "top hat", "crown") else 0.0
            self.head = _Head(128.0, 98.0 + drop, 60.0 * hs, 50.0 * hs)
        self.muzzle = self._muzzle_colour()

    # -- helpers ---------------------------------------------------------------

    def _muzzle_colour(self) -> _Colour:
        coat = self.t.coat
        if coat.kind in ("calico", "bicolour"):
            return _FUR_WHITE
        if coat.kind == "pointed":
            return coat.accent
        return coat.base

    def _paint(self, shapes: Sequence[_Shape], fur: Image.Image) -> None:
        """Composite one body part: a dark outline, then the patterned fur inside it."""
        size = (self.px, self.px)
        fill_mask = Image.new("L", size, 0)
        line_mask = Image.new("L", size, 0)
        fill_pen = _Pen(fill_mask, self.k)
        line_pen = _Pen(line_mask, self.k)
        for shape in shapes:
            _fill_shape(line_pen, shape, 255, self.outline_w)
            _fill_shape(fill_pen, shape, 255, 0.0)
        box = line_mask.getbbox()  # only composite the part the shapes cover
        if box is None:
            return
        self.canvas.paste(self.outline, box, line_mask.crop(box))
        self.canvas.paste(fur.crop(box), box, fill_mask.crop(box))

    def _fur(self, colour: _Colour) -> tuple[Image.Image, _Pen]:
        layer = Image.new("RGB", (self.px, self.px), colour)
        return layer, _Pen(layer, self.k)

    def _patches(self, pen: _Pen, box: tuple[float, float, float, float], n: int) -> None:
        coat = self.t.coat
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

    # -- background -------------------------------------------------------------

    def background(self) -> None:
        t, pen, rng = self.t, self.pen, self.rng
        bg = t.backdrop
        deep = _mix(bg, (120, 90, 110), 0.14)
        light = _mix(bg, _WHITE, 0.55)
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
                pen.rect(0, i, 256, i + 14, fill=_mix(bg, _WHITE, 0.45))
                pen.rect(i, 0, i + 14, 256, fill=_mix(bg, _WHITE, 0.45))
            for i in range(0, 256, 32):
                for j in range(0, 256, 32):
                    pen.rect(i, j, i + 14, j + 14, fill=_mix(bg, _WHITE, 0.75))
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
                colour = _mix(rng.choice(_NAMED)[1], bg, 0.45)
                fx, fy = rng.uniform(0, 256), rng.uniform(0, 256)
                if rng.random() < 0.5:
                    pen.circle((fx, fy), rng.uniform(2, 3.5), colour)
                else:
                    angle = rng.uniform(0, math.pi)
                    dx, dy = 4 * math.cos(angle), 4 * math.sin(angle)
                    pen.stroke(((fx - dx, fy - dy), (fx + dx, fy + dy)), colour, 2.6)
        elif kind == "gradient":
            top = Image.new("RGB", (self.px, self.px), _mix(bg, _WHITE, 0.6))
            ramp = Image.linear_gradient("L").resize((self.px, self.px))
            self.canvas.paste(top, None, Image.eval(ramp, lambda v: 255 - v))
        elif kind == "sunburst":
            cx, cy = self.head.cx, self.head.cy
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
                    fill=_mix(bg, _WHITE, 0.4),
                )
        if t.pose == "sitting":
            floor = _mix(bg, (150, 110, 90), 0.22)
            pen.rect(-2, 212, 258, 258, fill=floor)
            pen.rect(-2, 212, 258, 215, fill=_mix(floor, _WHITE, 0.25))
            pen.ellipse(128, 241, 76, 10, fill=_mix(floor, (60, 40, 40), 0.22))

    # -- body -------------------------------------------------------------------

    def body(self) -> None:
        if self.t.pose == "portrait":
            self._shoulders()
        else:
            self._sitting_body()

    def _shoulders(self) -> None:
        coat = self.t.coat
        shoulders = _Ellipse(128, 276, 104, 80)
        layer, pen = self._fur(coat.base)
        if coat.kind == "tabby":
            for i in range(4):
                y = 214 + i * 13
                pen.taper((16, y - 4), (56, y + 6), 7, 2, coat.accent)
                pen.taper((240, y - 4), (200, y + 6), 7, 2, coat.accent)
        elif coat.kind in ("calico", "tortie"):
            self._patches(pen, (30, 200, 226, 256), 4 if coat.kind == "calico" else 12)
        elif coat.kind == "bicolour":
            pen.ellipse(128, 262, 44, 64, fill=coat.accent)
        elif coat.kind == "pointed":
            pen.ellipse(128, 290, 120, 70, fill=_mix(coat.base, coat.accent, 0.12))
        self._paint([shoulders], layer)

    def _sitting_body(self) -> None:
        coat, side = self.t.coat, self.side
        cx = 128.0
        # tail, curling up behind the body on one side
        tail = _Stroke(
            _bezier(
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
            tail_colour = coat.accent if self.rng.random() < 0.5 else coat.accent2
        layer, pen = self._fur(tail_colour)
        if coat.kind == "tabby":
            for i in range(3, len(tail.points) - 1, 3):
                (x0, y0), (x1, y1) = tail.points[i - 1], tail.points[i + 1]
                dx, dy = x1 - x0, y1 - y0
                n = math.hypot(dx, dy) or 1.0
                px, py = tail.points[i]
                nx, ny = -dy / n * 9, dx / n * 9
                pen.stroke(((px - nx, py - ny), (px + nx, py + ny)), coat.accent, 4)
        elif coat.kind == "tortie":
            self._patches(pen, (cx + side * 40 - 40, 130, cx + side * 104 + 40, 236), 6)
        elif coat.kind == "bicolour" and coat.name != "tuxedo cat":
            pen.circle(tail.points[-1], 10, coat.accent)
        self._paint([tail], layer)

        # body: a round chest above wide haunches
        body = [_Ellipse(cx, 178, 56, 54), _Ellipse(cx, 212, 66, 26)]
        layer, pen = self._fur(coat.base)
        if coat.kind == "tabby":
            for i in range(5):
                y = 150 + i * 17
                pen.taper((cx - 72, y - 5), (cx - 34, y + 5), 8, 2, coat.accent)
                pen.taper((cx + 72, y - 5), (cx + 34, y + 5), 8, 2, coat.accent)
        elif coat.kind == "calico":
            self._patches(pen, (cx - 60, 140, cx + 60, 236), 4)
        elif coat.kind == "tortie":
            self._patches(pen, (cx - 66, 126, cx + 66, 238), 14)
        elif coat.kind == "bicolour":
            pen.ellipse(cx, 196, 30, 48, fill=coat.accent)
        elif coat.kind == "pointed":
            pen.ellipse(cx, 238, 80, 30, fill=_mix(coat.base, coat.accent, 0.18))
        self._paint(body, layer)

        # front paws
        paws = [_Ellipse(cx - 20, 234, 15, 9), _Ellipse(cx + 20, 234, 15, 9)]
        paw_colour = coat.base
        if coat.kind in ("bicolour", "calico"):
            paw_colour = _FUR_WHITE
        elif coat.kind == "pointed":
            paw_colour = coat.accent
        layer, pen = self._fur(paw_colour)
        self._paint(paws, layer)
        toe = _mix(paw_colour, self.outline, 0.75)
        for x in (cx - 20, cx + 20):
            for dx in (-4.5, 4.5):
                self.pen.stroke(((x + dx, 238), (x + dx, 242)), toe, 1.6)

    # -- neck accessories (behind the head) ---------------------------------------

    def neck_accessory(self) -> None:
        acc, h, pen = self.t.accessory, self.head, self.pen
        neck_y = h.cy + h.ry
        prop = self.t.prop
        dark = _mix(prop, (0, 0, 0), 0.4)
        if acc == "bell collar":
            pen.arc(h.cx, neck_y - 0.16 * h.ry, 0.66 * h.rx, 0.3 * h.ry, 15, 165, dark, 13)
            pen.arc(h.cx, neck_y - 0.16 * h.ry, 0.66 * h.rx, 0.3 * h.ry, 15, 165, prop, 9)
        elif acc == "scarf":
            tail_x = h.cx + self.side * 0.32 * h.rx
            pts = (
                (tail_x - 10, neck_y),
                (tail_x + 10, neck_y),
                (tail_x + 14 + self.side * 4, neck_y + 0.62 * h.ry),
                (tail_x - 6 + self.side * 4, neck_y + 0.62 * h.ry),
            )
            pen.polygon(pts, fill=prop, outline=dark, width=2)
            for f in (0.35, 0.5):
                y = neck_y + f * h.ry
                pen.stroke(((tail_x - 8, y), (tail_x + 12, y)), _mix(prop, _WHITE, 0.5), 2.4)
            pen.arc(h.cx, neck_y - 0.2 * h.ry, 0.74 * h.rx, 0.34 * h.ry, 10, 170, dark, 19)
            pen.arc(h.cx, neck_y - 0.2 * h.ry, 0.74 * h.rx, 0.34 * h.ry, 10, 170, prop, 15)
            pen.arc(
                h.cx,
                neck_y - 0.2 * h.ry,
                0.74 * h.rx,
                0.34 * h.ry,
                30,
                150,
                _mix(prop, _WHITE, 0.5),
                2.4,
            )

    # -- head -------------------------------------------------------------------

    def _ears(self) -> list[tuple[tuple[_Point, ...], _Point, float]]:
        """Both ears as (polygon, centre of the rounded tip, tip radius)."""
        h = self.head
        inner, outer, tip_deg, reach, r = _EAR_SPECS[self.t.ears]
        tilt = self.rng.uniform(-4, 4)
        ears: list[tuple[tuple[_Point, ...], _Point, float]] = []
        for flip in (0.0, 180.0):  # left ear, then its mirror image on the right
            b1 = h.rim(abs(flip - inner), 0.96)
            tip = h.rim(abs(flip - (tip_deg + tilt)), reach)
            b2 = h.rim(abs(flip - outer), 0.96)
            # round the tip: a circle of radius r tangent to both sides of the ear
            u1 = _unit(tip, b1)
            u2 = _unit(tip, b2)
            half = math.acos(max(-1.0, min(1.0, u1[0] * u2[0] + u1[1] * u2[1]))) / 2
            bis = _unit((0.0, 0.0), (u1[0] + u2[0], u1[1] + u2[1]))
            along = r / math.tan(half)
            centre_d = r / math.sin(half)
            centre = (tip[0] + bis[0] * centre_d, tip[1] + bis[1] * centre_d)
            t1 = (tip[0] + u1[0] * along, tip[1] + u1[1] * along)
            t2 = (tip[0] + u2[0] * along, tip[1] + u2[1] * along)
            ears.append(((b1, t1, t2, b2), centre, r))
        return ears

    def head_and_face(self) -> None:
        coat, h = self.t.coat, self.head
        ears = self._ears()
        shapes: list[_Shape] = [_Ellipse(h.cx, h.cy, h.rx, h.ry)]
        for tri, tip, r in ears:
            shapes.append(_Polygon(tri))
            shapes.append(_Ellipse(tip[0], tip[1], r, r))
        layer, pen = self._fur(coat.base)
        if coat.kind == "tabby":
            for dx, top in ((-0.22, -0.62), (0.0, -0.52), (0.22, -0.62)):
                pen.taper(
                    h.at(dx, -1.05), h.at(dx * 0.7, top), 0.09 * h.rx, 0.03 * h.rx, coat.accent
                )
            for s in (-1, 1):
                for fy, ty in ((0.02, 0.1), (0.26, 0.3)):
                    pen.taper(
                        h.at(s * 1.05, fy), h.at(s * 0.74, ty), 0.08 * h.rx, 0.02, coat.accent
                    )
        elif coat.kind == "calico":
            s = self.side
            pen.ellipse(*h.at(s * 0.62, -0.6), 0.5 * h.rx, 0.55 * h.ry, fill=coat.accent)
            pen.ellipse(*h.at(-s * 0.7, -0.7), 0.36 * h.rx, 0.48 * h.ry, fill=coat.accent2)
            if self.rng.random() < 0.5:
                pen.ellipse(*h.at(-s * 0.9, 0.3), 0.22 * h.rx, 0.2 * h.ry, fill=coat.accent)
        elif coat.kind == "tortie":
            box = (h.cx - h.rx * 1.1, h.cy - h.ry * 1.5, h.cx + h.rx * 1.1, h.cy + h.ry)
            self._patches(pen, box, 12)
        elif coat.kind == "bicolour":
            pen.ellipse(*h.at(0, 0.5), 0.5 * h.rx, 0.48 * h.ry, fill=coat.accent)
            pen.polygon((h.at(-0.2, 0.2), h.at(0, -0.55), h.at(0.2, 0.2)), fill=coat.accent)
            pen.stroke((h.at(0, -0.5), h.at(0, 0.2)), coat.accent, 0.08 * h.rx)
        elif coat.kind == "pointed":
            for tri, tip, r in ears:
                pen.polygon(tri, fill=coat.accent)
                pen.circle(tip, r, coat.accent)
            # a soft, blurred mask of darker fur around the nose and eyes
            mask = Image.new("L", (self.px, self.px), 0)
            _Pen(mask, self.k).ellipse(*h.at(0, 0.22), 0.46 * h.rx, 0.4 * h.ry, fill=255)
            mask = mask.filter(ImageFilter.GaussianBlur(0.16 * h.rx * self.k))
            layer.paste(coat.accent, None, mask)
        self._paint(shapes, layer)

        # inner ears
        pen = self.pen
        inner = _INNER_EAR if coat.kind != "pointed" else (186, 120, 124)
        for tri, _tip, r in ears:
            small = _shrink(tri, 0.55, (0.0, 0.06 * h.ry))
            pen.polygon(small, fill=inner)
            pen.stroke(small, inner, max(1.5, r * 0.6), closed=True)
        self._face()

    def _face(self) -> None:
        t, h, pen = self.t, self.head, self.pen
        dark_muzzle = _luma(self.muzzle) < 110
        line = (236, 228, 230) if dark_muzzle else _mix(self.outline, _INK, 0.5)
        whisker = (240, 236, 236) if dark_muzzle else (70, 58, 60)

        # blush
        if t.blush:
            blush = _mix(self.muzzle, (255, 120, 150), 0.45)
            for s in (-1, 1):
                pen.ellipse(*h.at(s * 0.6, 0.28), 0.13 * h.rx, 0.08 * h.ry, fill=blush)

        # eyes
        ey = h.cy - 0.02 * h.ry
        lid = (236, 228, 230) if _luma(t.coat.base) < 110 else _INK
        for i, s in enumerate((-1, 1)):
            ex = h.cx + s * 0.38 * h.rx
            closed = t.expression in ("happy", "sleepy") or (t.expression == "wink" and s == 1)
            if closed:
                self._closed_eye(ex, ey, lid)
            else:
                self._open_eye(ex, ey, t.eyes[i])

        # nose
        nose_y = h.cy + 0.22 * h.ry
        nw, nh = 0.075 * h.rx, 0.055 * h.ry
        nose_colour = (84, 56, 50) if t.coat.kind == "pointed" else _PINK
        nose = ((h.cx - nw, nose_y - nh), (h.cx + nw, nose_y - nh), (h.cx, nose_y + nh))
        pen.polygon(nose, fill=nose_colour)
        pen.stroke(nose, nose_colour, 0.04 * h.rx, closed=True)
        pen.circle(
            (h.cx - nw * 0.35, nose_y - nh * 0.55), 0.018 * h.rx, _mix(nose_colour, _WHITE, 0.5)
        )

        # mouth
        mw = 0.075 * h.rx
        my = nose_y + nh + 0.06 * h.ry
        lw = 0.026 * h.rx
        if t.expression == "happy":
            pen.chord(h.cx, my, 1.5 * mw, 1.6 * mw, 0, 180, (150, 52, 70), line, lw)
            pen.chord(h.cx, my + 0.7 * mw, 0.9 * mw, 0.8 * mw, 180, 360, _PINK)
            pen.stroke(((h.cx, nose_y + nh), (h.cx, my)), line, lw)
        elif t.expression == "surprised":
            pen.stroke(((h.cx, nose_y + nh), (h.cx, my)), line, lw)
            pen.ellipse(
                h.cx,
                my + 0.7 * mw,
                0.55 * mw,
                0.75 * mw,
                fill=(120, 44, 60),
                outline=line,
                width=lw,
            )
        else:
            if t.expression == "blep":
                tongue = (h.cx + 0.25 * mw, my + 1.35 * mw)
                pen.ellipse(
                    *tongue,
                    0.75 * mw,
                    1.05 * mw,
                    fill=_PINK,
                    outline=_mix(_PINK, _INK, 0.5),
                    width=lw * 0.8,
                )
                pen.stroke(
                    ((tongue[0], tongue[1] - 0.2 * mw), (tongue[0], tongue[1] + 0.5 * mw)),
                    _mix(_PINK, _INK, 0.3),
                    lw * 0.6,
                )
            pen.stroke(((h.cx, nose_y + nh), (h.cx, my)), line, lw)
            pen.arc(h.cx - mw, my - 0.2 * mw, mw, mw, 10, 170, line, lw)
            pen.arc(h.cx + mw, my - 0.2 * mw, mw, mw, 10, 170, line, lw)

        # whiskers
        for s in (-1, 1):
            for j, fy in enumerate((-0.06, 0.06, 0.18)):
                start = h.at(s * 0.34, 0.26 + fy * 0.5)
                end = h.at(s * (1.2 - 0.05 * j), 0.16 + fy * 1.6)
                pen.stroke((start, end), whisker, 0.018 * h.rx + 0.6)

        if t.expression == "sleepy":
            zx, zy = h.at(self.side * 1.0, -1.05)
            for scale, (ox, oy) in ((1.0, (0.0, 0.0)), (0.65, (self.side * 16.0, -16.0))):
                z = 7 * scale
                pts = (
                    (zx + ox - z, zy + oy - z),
                    (zx + ox + z, zy + oy - z),
                    (zx + ox - z, zy + oy + z),
                    (zx + ox + z, zy + oy + z),
                )
                pen.stroke(pts, (90, 90, 140), 2.6 * scale)

    def _open_eye(self, ex: float, ey: float, iris: _Colour) -> None:
        h, pen, expr = self.head, self.pen, self.t.expression
        w, hh = 0.155 * h.rx, 0.2 * h.ry
        pupil_w, pupil_h = 0.5, 0.78
        if expr == "curious":
            w, hh, pupil_w, pupil_h = 0.19 * h.rx, 0.2 * h.rx, 0.7, 0.72
        elif expr == "surprised":
            w, hh, pupil_w, pupil_h = 0.17 * h.rx, 0.17 * h.rx, 0.28, 0.3
        ring = 0.03 * h.rx
        pen.ellipse(ex, ey, w, hh, fill=iris, outline=_INK, width=ring)
        pen.ellipse(ex, ey + 0.06 * hh, w * 0.62, hh * 0.62, fill=_mix(iris, _WHITE, 0.3))
        pen.ellipse(ex, ey + 0.04 * hh, w * pupil_w, hh * pupil_h, fill=(24, 20, 26))
        pen.circle((ex + 0.22 * w, ey - 0.3 * hh), 0.24 * w, _WHITE)
        pen.circle((ex - 0.3 * w, ey + 0.4 * hh), 0.1 * w, _WHITE)

    def _closed_eye(self, ex: float, ey: float, ink: _Colour) -> None:
        h, pen = self.head, self.pen
        w = 0.15 * h.rx
        width = 0.035 * h.rx
        if self.t.expression == "sleepy":
            pen.arc(ex, ey - 0.35 * w, w, 0.8 * w, 20, 160, ink, width)
        else:
            pen.arc(ex, ey + 0.35 * w, w, 0.9 * w, 200, 340, ink, width)

    # -- front accessories ----------------------------------------------------------

    def front_accessory(self) -> None:
        acc, h, pen, side = self.t.accessory, self.head, self.pen, self.side
        prop = self.t.prop
        dark = _mix(prop, (0, 0, 0), 0.42)
        light = _mix(prop, _WHITE, 0.45)
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
            pen.circle((bx, by), r + 1.6, _GOLD_DARK)
            pen.circle((bx, by), r, _GOLD)
            pen.stroke(((bx, by + 0.25 * r), (bx, by + 0.8 * r)), _GOLD_DARK, 1.6)
            pen.stroke(
                ((bx - 0.8 * r, by + 0.1 * r), (bx + 0.8 * r, by + 0.1 * r)), _GOLD_DARK, 1.4
            )
            pen.circle((bx - 0.35 * r, by - 0.4 * r), 0.22 * r, _WHITE)
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
            pen.stroke((base_l, base_r), _WHITE, 5)
            pen.circle(apex, 0.08 * h.rx + 2, _WHITE)
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
            pen.stroke(
                ((x0 + 4, top - 0.62 * h.ry), (x0 + 4, top - 0.25 * h.ry)), (90, 84, 100), 2.2
            )
        elif acc == "crown":
            y0, y1 = top + 0.14 * h.ry, top - 0.12 * h.ry
            x0, x1 = h.cx - 0.34 * h.rx, h.cx + 0.34 * h.rx
            pts: list[_Point] = [(x0, y0)]
            spikes = 4
            for i in range(spikes + 1):
                x = x0 + (x1 - x0) * i / spikes
                pts.append((x, top - 0.5 * h.ry))
                if i < spikes:
                    pts.append((x + (x1 - x0) / spikes / 2, y1))
            pts.append((x1, y0))
            pen.stroke(pts, _GOLD_DARK, 4.0, closed=True)
            pen.polygon(pts, fill=_GOLD)
            for i in range(spikes + 1):
                x = x0 + (x1 - x0) * i / spikes
                pen.circle((x, top - 0.5 * h.ry), 2.6, _mix(_GOLD, _WHITE, 0.5))
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
            pen.circle((fx, fy), 0.6 * r, _GOLD)
        elif acc == "glasses":
            ey = h.cy - 0.02 * h.ry
            r = 0.25 * h.rx
            frame = _mix(self.t.prop, (0, 0, 0), 0.25)
            for s in (-1, 1):
                ex = h.cx + s * 0.38 * h.rx
                pen.ellipse(ex, ey, r, r, outline=frame, width=0.04 * h.rx + 0.8)
                pen.stroke(
                    ((ex + s * r, ey - 0.2 * r), (h.cx + s * 0.98 * h.rx, ey - 0.3 * r)), frame, 2
                )
            pen.arc(h.cx, ey, 0.38 * h.rx - r, 0.12 * h.rx, 200, 340, frame, 0.04 * h.rx + 0.8)
        elif acc == "yarn":
            self._yarn()
        elif acc == "fish":
            self._fish()

    def _yarn(self) -> None:
        pen, prop, side = self.pen, self.t.prop, -self.side
        if self.t.pose == "portrait":
            cx, cy, r = 128 + side * 86, 214.0, 24.0
        else:
            cx, cy, r = 128 + side * 84, 222.0, 20.0
        dark = _mix(prop, (0, 0, 0), 0.42)
        light = _mix(prop, _WHITE, 0.35)
        loose = _bezier(
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

    def _fish(self) -> None:
        pen, side = self.pen, -self.side
        if self.t.pose == "portrait":
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
        pen.circle((cx + d * 18 * s, cy - 3 * s), 3.2 * s, _WHITE)
        pen.circle((cx + d * 18.6 * s, cy - 3 * s), 1.8 * s, _INK)

    # -- all together -------------------------------------------------------------

    def draw(self) -> Image.Image:
        self.background()
        self.body()
        self.neck_accessory()
        self.head_and_face()
        self.front_accessory()
        size = self.px // _SUPERSAMPLE
        return self.canvas.resize((size, size), Image.Resampling.LANCZOS)


def _encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No pnginfo and no tIME chunk: the bytes depend on the pixels alone.
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def _check_size(size: int) -> None:
    if not _MIN_SIZE <= size <= _MAX_SIZE:
        raise ValueError(f"size must be between {_MIN_SIZE} and {_MAX_SIZE} pixels, got {size}")


def draw_cat(seed: int, size: int = 256) -> tuple[bytes, str]:
    """Draw one cat from seed; return (PNG bytes, title)."""
    _check_size(size)
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets; must be reproducible
    traits = _pick_traits(rng)
    image = _CatPainter(traits, rng, size).draw()
    return _encode_png(image), _title(traits)


def iter_catalogue(count: int = 120, size: int = 256) -> Iterator[CatalogueCat]:
    """Yield `count` cats, seeds 1..count, deterministic."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    _check_size(size)
    seen: dict[str, int] = {}
    for seed in range(1, count + 1):
        png, title = draw_cat(seed, size)
        times = seen.get(title, 0) + 1
        seen[title] = times
        if times > 1:
            suffix = f" #{times}"
            title = title[: _TITLE_MAX - len(suffix)] + suffix
        yield CatalogueCat(id=f"cat-{seed:03d}", title=title, image=png, width=size, height=size)
