"""Traits: what the seed decides about a cat before any drawing, and the title they make."""

import random
from dataclasses import dataclass

from vending_service.catalogue.palette import (
    BLACK_FUR,
    FUR_WHITE,
    GINGER,
    NAMED,
    PASTELS,
    Colour,
)

TITLE_MAX = 100


@dataclass(frozen=True, slots=True)
class Coat:
    name: str  # as it appears in the title
    kind: str  # solid | tabby | calico | tortie | bicolour | pointed
    base: Colour
    accent: Colour = (0, 0, 0)  # stripes, patches, points or the white of a bicolour
    accent2: Colour = (0, 0, 0)


_COATS: tuple[Coat, ...] = (
    Coat("ginger cat", "solid", GINGER),
    Coat("black cat", "solid", BLACK_FUR),
    Coat("white cat", "solid", FUR_WHITE),
    Coat("grey cat", "solid", (152, 154, 164)),
    Coat("blue-grey cat", "solid", (122, 138, 160)),
    Coat("cream cat", "solid", (244, 216, 172)),
    Coat("chocolate cat", "solid", (128, 86, 62)),
    Coat("ginger tabby", "tabby", (238, 156, 74), (188, 94, 34)),
    Coat("grey tabby", "tabby", (168, 168, 174), (82, 82, 94)),
    Coat("brown tabby", "tabby", (184, 140, 96), (94, 64, 42)),
    Coat("calico cat", "calico", FUR_WHITE, GINGER, BLACK_FUR),
    Coat("tortoiseshell cat", "tortie", (62, 46, 40), (206, 122, 54), (150, 82, 42)),
    Coat("tuxedo cat", "bicolour", (44, 42, 50), FUR_WHITE),
    Coat("ginger and white cat", "bicolour", GINGER, FUR_WHITE),
    Coat("grey and white cat", "bicolour", (140, 144, 156), FUR_WHITE),
    Coat("Siamese cat", "pointed", (244, 230, 206), (92, 62, 50)),
)

_EYES: tuple[tuple[str, Colour], ...] = (
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
class Traits:
    coat: Coat
    eye_name: str
    eyes: tuple[Colour, Colour]
    expression: str
    adjective: str
    pose: str  # portrait | sitting
    ears: str
    head_scale: float
    background: str
    backdrop: Colour
    accessory: str
    prop_name: str
    prop: Colour
    blush: bool
    side: int  # +1 or -1: which way the tail, props and flower go


def pick_traits(rng: random.Random) -> Traits:
    """Choose every trait of one cat; the order of the ``rng`` calls fixes the catalogue."""
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
    backdrop = rng.choice(PASTELS)
    accessory = rng.choice(_ACCESSORIES)
    prop_name, prop = rng.choice(NAMED)
    blush = expression in ("happy", "blep", "wink") or rng.random() < 0.3
    side = rng.choice((-1, 1))
    return Traits(
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


def title(t: Traits) -> str:
    """The human title, e.g. "Sleepy ginger tabby in a blue scarf"."""
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
    return (text[0].upper() + text[1:])[:TITLE_MAX]
