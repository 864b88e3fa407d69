"""Colours: the fixed inks every cat shares, the named and pastel sets, and mixing."""

Colour = tuple[int, int, int]


def mix(a: Colour, b: Colour, t: float) -> Colour:
    """Blend ``a`` towards ``b`` by ``t`` (0 gives ``a``, 1 gives ``b``)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def luma(c: Colour) -> float:
    """Perceived brightness, 0-255: picks light or dark lines against a fur colour."""
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


WHITE: Colour = (255, 255, 255)
INK: Colour = (38, 30, 36)
PINK: Colour = (242, 150, 168)
INNER_EAR: Colour = (244, 178, 188)
GOLD: Colour = (246, 198, 64)
GOLD_DARK: Colour = (168, 118, 28)
FUR_WHITE: Colour = (250, 248, 242)
GINGER: Colour = (234, 144, 62)
BLACK_FUR: Colour = (50, 46, 54)

# the colours an accessory can come in, named as they appear in the title
NAMED: tuple[tuple[str, Colour], ...] = (
    ("red", (222, 64, 74)),
    ("blue", (72, 122, 214)),
    ("purple", (150, 92, 204)),
    ("teal", (36, 160, 150)),
    ("pink", (240, 118, 170)),
    ("yellow", (244, 202, 62)),
    ("green", (82, 170, 92)),
    ("orange", (246, 142, 44)),
)

# backdrops
PASTELS: tuple[Colour, ...] = (
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
