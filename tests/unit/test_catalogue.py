"""Unit tests for the vending machine's procedurally drawn cat catalogue."""

import dataclasses
import io
import re

import pytest
from PIL import Image, ImageStat

from vending_service.catalogue import CATALOGUE_OWNER, CatalogueCat, draw_cat, iter_catalogue


@pytest.fixture(scope="module")
def catalogue() -> list[CatalogueCat]:
    """The default catalogue, drawn once for the whole module."""
    return list(iter_catalogue())


def _decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_catalogue_owner_is_vending() -> None:
    """The catalogue belongs to the vending service."""
    assert CATALOGUE_OWNER == "vending"


def test_same_seed_draws_identical_png() -> None:
    """Drawing the same seed twice gives byte-identical PNG bytes and the same title."""
    assert draw_cat(7) == draw_cat(7)


def test_different_seeds_draw_different_pictures() -> None:
    """Different seeds give different pictures."""
    pictures = {draw_cat(seed)[0] for seed in range(1, 11)}
    assert len(pictures) == 10


def test_png_has_no_timestamp_chunk() -> None:
    """The PNG carries no tIME chunk, so its bytes depend on the pixels alone."""
    png, _ = draw_cat(3)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"tIME" not in png


@pytest.mark.parametrize("size", [32, 100, 256, 512])
def test_draw_cat_decodes_to_requested_size(size: int) -> None:
    """A drawn cat decodes with Pillow as a square RGB PNG of the requested size."""
    png, _ = draw_cat(11, size=size)
    image = _decode(png)
    assert image.format == "PNG"
    assert image.mode == "RGB"
    assert image.size == (size, size)


@pytest.mark.parametrize("size", [0, 31, 1025, -5])
def test_draw_cat_rejects_out_of_range_size(size: int) -> None:
    """A size outside 32..1024 pixels is refused."""
    with pytest.raises(ValueError, match="size"):
        draw_cat(1, size=size)


def test_iter_catalogue_rejects_negative_count() -> None:
    """A negative count is refused."""
    with pytest.raises(ValueError, match="count"):
        list(iter_catalogue(count=-1))


def test_iter_catalogue_with_zero_count_yields_nothing() -> None:
    """Asking for no cats yields an empty catalogue."""
    assert list(iter_catalogue(count=0)) == []


def test_catalogue_has_at_least_100_cats(catalogue: list[CatalogueCat]) -> None:
    """The default catalogue holds 120 cats, comfortably over 100."""
    assert len(catalogue) == 120
    assert len(catalogue) >= 100


def test_catalogue_ids_are_sequential_and_unique(catalogue: list[CatalogueCat]) -> None:
    """Ids run cat-001, cat-002, ... with no gaps or repeats."""
    ids = [cat.id for cat in catalogue]
    assert ids == [f"cat-{n:03d}" for n in range(1, len(catalogue) + 1)]
    assert len(set(ids)) == len(ids)


def test_catalogue_titles_are_unique(catalogue: list[CatalogueCat]) -> None:
    """No two cats in the catalogue share a title."""
    titles = [cat.title for cat in catalogue]
    assert len(set(titles)) == len(titles)


def test_catalogue_titles_are_1_to_100_characters(catalogue: list[CatalogueCat]) -> None:
    """Every title is between 1 and 100 characters long, with no stray whitespace."""
    for cat in catalogue:
        assert 1 <= len(cat.title) <= 100
        assert cat.title == cat.title.strip()


def test_catalogue_titles_have_no_html_special_characters(
    catalogue: list[CatalogueCat],
) -> None:
    """Titles never contain characters that need HTML escaping."""
    for cat in catalogue:
        assert not set(cat.title) & set("<>&\"'"), cat.title


def test_catalogue_titles_come_from_the_drawing(catalogue: list[CatalogueCat]) -> None:
    """Each title is draw_cat's title for that seed, plus ' #<n>' only when repeated."""
    seen: set[str] = set()
    for seed, cat in enumerate(catalogue, start=1):
        drawn_png, drawn_title = draw_cat(seed)
        assert cat.image == drawn_png
        if drawn_title in seen:
            assert re.fullmatch(re.escape(drawn_title) + r" #\d+", cat.title), cat.title
        else:
            assert cat.title == drawn_title
        seen.add(drawn_title)


def test_catalogue_titles_describe_the_cat(catalogue: list[CatalogueCat]) -> None:
    """Titles name a coat, as in 'Grey tabby with a yarn ball'."""
    coats = ("cat", "tabby")
    for cat in catalogue:
        assert any(word in cat.title.lower().split() for word in coats), cat.title


def test_catalogue_pngs_decode_to_stated_dimensions(catalogue: list[CatalogueCat]) -> None:
    """Every catalogue image decodes with Pillow to its stated width and height."""
    for cat in catalogue:
        image = _decode(cat.image)
        assert image.format == "PNG"
        assert image.size == (cat.width, cat.height) == (256, 256)


def test_catalogue_honours_size(catalogue: list[CatalogueCat]) -> None:
    """A smaller size draws smaller pictures of the same cats."""
    small = list(iter_catalogue(count=3, size=64))
    assert [cat.title for cat in small] == [cat.title for cat in catalogue[:3]]
    for cat in small:
        assert (cat.width, cat.height) == (64, 64)
        assert _decode(cat.image).size == (64, 64)


def test_catalogue_is_deterministic(catalogue: list[CatalogueCat]) -> None:
    """Iterating the catalogue again yields exactly the same cats."""
    again = list(iter_catalogue(count=12))
    assert again == catalogue[:12]


def test_catalogue_is_visually_varied(catalogue: list[CatalogueCat]) -> None:
    """The cats' average colours spread over many distinct values."""
    averages = set()
    for cat in catalogue:
        mean = ImageStat.Stat(_decode(cat.image)).mean
        averages.add(tuple(int(channel) // 16 for channel in mean))
    assert len(averages) >= 30


def test_catalogue_titles_are_varied(catalogue: list[CatalogueCat]) -> None:
    """Titles mention many different coats and accessories."""
    words = {word for cat in catalogue for word in cat.title.lower().split()}
    for expected in ("ginger", "black", "tabby", "calico", "siamese", "tuxedo"):
        assert expected in words
    assert len(words) >= 40


def test_catalogue_cat_is_frozen() -> None:
    """A CatalogueCat cannot be changed once made."""
    cat = CatalogueCat(id="cat-001", title="Cat", image=b"", width=1, height=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cat.title = "Dog"  # type: ignore[misc]
