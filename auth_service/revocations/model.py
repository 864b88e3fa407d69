"""One revocation: what it names, until when it matters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from shared.tokens.revocations import RevocationList

__all__ = ["Revocation", "RevocationKind", "as_list"]


class RevocationKind(Enum):
    SESSION = "sid"
    """A refresh chain: every access token issued from it."""
    TOKEN = "jti"  # noqa: S105 - a claim name, not a secret
    """One access token."""
    KEY = "kid"
    """A retired key: every token it signed."""
    USER = "sub"
    """A user: every token issued before `not_before`."""


@dataclass(frozen=True, slots=True)
class Revocation:
    kind: RevocationKind
    value: str
    expires_at: float
    """After this no token it could refuse is still valid: it leaves the list."""
    not_before: float | None = None
    """For a user: tokens issued before this instant are revoked."""


def as_list(
    entries: Iterable[Revocation], *, issued_at: float, expires_at: float
) -> RevocationList:
    """`entries` as the verifiers' `RevocationList` (a user's latest not-before wins)."""
    ids: dict[RevocationKind, set[str]] = {kind: set() for kind in RevocationKind}
    subs: dict[str, float] = {}
    for entry in entries:
        ids[entry.kind].add(entry.value)
        if entry.kind is RevocationKind.USER and entry.not_before is not None:
            subs[entry.value] = max(subs.get(entry.value, 0.0), entry.not_before)
    return RevocationList(
        issued_at=issued_at,
        expires_at=expires_at,
        sids=frozenset(ids[RevocationKind.SESSION]),
        jtis=frozenset(ids[RevocationKind.TOKEN]),
        kids=frozenset(ids[RevocationKind.KEY]),
        subs=subs,
    )
