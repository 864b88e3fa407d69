"""Canonical usernames: one account however the name is spelled (NFKC + casefold)."""

from __future__ import annotations

import re
import unicodedata

from shared.errors import InvalidInput

__all__ = ["InvalidUsername", "canonical_username"]

_CANONICAL = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")
# Far longer than any valid name; bounds the work normalisation does on hostile input.
_MAX_RAW = 256


class InvalidUsername(InvalidInput):
    """The username is not 3-32 characters of a-z 0-9 . _ - starting with a letter or digit."""


def canonical_username(raw: str) -> str:
    """Return the canonical form of `raw`, or raise `InvalidUsername`.

    Idempotent: `canonical_username(canonical_username(x)) == canonical_username(x)`.
    """
    if len(raw) > _MAX_RAW:
        raise InvalidUsername("username must be 3-32 characters")
    name = unicodedata.normalize("NFKC", raw).casefold()
    # casefold can un-normalise (e.g. "ß" -> "ss" is fine, but others may not be): redo it.
    name = unicodedata.normalize("NFKC", name)
    if not _CANONICAL.fullmatch(name):
        raise InvalidUsername(
            "username must be 3-32 characters of a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name
