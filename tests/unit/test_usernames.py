"""Unit tests for `shared.usernames.canonical_username`: one account however it is spelled."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.usernames import InvalidUsername, canonical_username
from shared.web.problems import COMMON_PROBLEMS, problem_for

CANONICAL = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")


@pytest.mark.parametrize("raw", ["Bruce", "bruce", "BRUCE", "ＢＲＵＣＥ", "ｂｒｕｃｅ", "BrUcE"])
def test_spellings_of_bruce_canonicalise_to_bruce(raw: str) -> None:
    """Case and fullwidth forms fold to the same canonical name (NFKC + casefold)."""
    assert canonical_username(raw) == "bruce"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("abc", "abc"),
        ("a" * 32, "a" * 32),
        ("0day", "0day"),
        ("j.doe_99-x", "j.doe_99-x"),
        ("\u212aelvin", "kelvin"),  # KELVIN SIGN -> K -> k
        ("Stra\u00dfe", "strasse"),  # sharp s casefolds to "ss"
        ("\u017fam", "sam"),  # long s -> s under NFKC
        ("ｊｏｈｎ＿ｄｏｅ", "john_doe"),
    ],
)
def test_valid_names_canonicalise_as_expected(raw: str, canonical: str) -> None:
    """Valid names, including compatibility forms, map to their ASCII canonical form."""
    assert canonical_username(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ab",
        "a" * 33,
        "x" * 300,
        ".bruce",
        "_bruce",
        "-bruce",
        "bru ce",
        " bruce",
        "bruce ",
        "bruce\n",
        "bruce@example.com",
        "bruce🐱",
        "🐱🐱🐱",
        "brüce",
        "брюс",
        "bru/ce",
        "bru\x00ce",
        "bruce\u200b",
    ],
)
def test_invalid_names_raise_invalid_username(raw: str) -> None:
    """Too short, too long, a leading symbol, spaces, '@', emoji or non-ASCII are refused."""
    with pytest.raises(InvalidUsername):
        canonical_username(raw)


def test_invalid_username_is_invalid_input_which_the_edge_answers_with_422() -> None:
    """An invalid username is a kind of invalid input; the common problem table makes it 422."""
    with pytest.raises(InvalidInput) as caught:
        canonical_username("@@")
    problem = problem_for(COMMON_PROBLEMS, caught.value)
    assert problem is not None
    assert problem.status == 422


@pytest.mark.parametrize(
    "raw", ["Bruce", "ＢＲＵＣＥ", "Stra\u00dfe", "\u212aelvin", "a.b-c_d", "X" * 32]
)
def test_canonical_username_is_idempotent(raw: str) -> None:
    """Canonicalising a canonical name gives it back unchanged."""
    once = canonical_username(raw)
    assert canonical_username(once) == once


_names = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=3, max_size=40),
    st.from_regex(r"[A-Za-z0-9._\-]{1,40}", fullmatch=True),
    st.from_regex(r"[Ａ-Ｚａ-ｚ０-９．＿－]{1,40}", fullmatch=True),
    st.text(alphabet="aAßſKİıﬀﬁ\u212a\u0130.-_0", min_size=1, max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(raw=_names)
def test_canonical_username_is_a_valid_fixed_point_or_refuses(raw: str) -> None:
    """Any text is refused, or becomes a name that fits the rule and is its own canonical form."""
    try:
        value = canonical_username(raw)
    except InvalidUsername:
        return
    assert CANONICAL.fullmatch(value)
    assert canonical_username(value) == value
