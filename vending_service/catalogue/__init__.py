"""The vending machine's stock: cat pictures drawn deterministically with Pillow.

Nothing is shipped on disk and nothing is fetched from the network. Every picture is
drawn from a small integer seed with a private ``random.Random(seed)``, so the same
seed always yields byte-identical PNG bytes (Pillow writes no timestamp chunk).

Each cat is laid out on a 256-unit design grid, drawn at twice the requested size and
downscaled with LANCZOS for smooth, anti-aliased edges. The seed picks the coat (solid,
tabby, calico, tortoiseshell, bicolour, Siamese points), eye colour, ear shape, head
size, pose (face portrait or sitting), expression, background and an accessory; the
title is built from those traits.

The parts, back to front: `traits` (what the seed decides, and the title), `sketch` (the
canvas and what the parts share), `backgrounds`, `body`, `accessories` and `props`,
`head`, `face`; drawn with `pen` in `palette` colours on `geometry`'s grid. `drawing`
puts them together.
"""

from vending_service.catalogue.drawing import (
    CATALOGUE_OWNER,
    CatalogueCat,
    draw_cat,
    iter_catalogue,
)

__all__ = ["CATALOGUE_OWNER", "CatalogueCat", "draw_cat", "iter_catalogue"]
