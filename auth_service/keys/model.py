"""Signing keys and their lifecycle, from timestamps alone.

A key is published from the moment it is stored, signs from `activates_at` (its
publication lead later), stops signing when a newer key activates, and stays published
until every token it signed has expired (its linger). Where every key stands at an instant
follows from the stored rows and a clock, so auth replicas that share the key store agree
on the signer without talking to each other. An operator may retire a key at once
(`retired_at`): it leaves the JWKS and never signs again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = ["KeyRecord", "KeyState", "Lifecycle", "Position", "Timeline"]


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A signing key as the key store keeps it: its private half wrapped under the KEK."""

    kid: str
    generation: int
    created_at: float
    activates_at: float
    retired_at: float | None
    public_jwk: str
    wrapped: bytes
    kek_id: str


class KeyState(Enum):
    NEXT = "next"
    """Published, not signing yet: every verifier learns it before it signs."""
    CURRENT = "current"
    """The one key that signs now."""
    PREVIOUS = "previous"
    """Signs no more; published while tokens it signed may still be valid."""
    EXPIRED = "expired"
    """No token it signed can still be valid: no longer published."""
    RETIRED = "retired"
    """Taken out at once by an operator: not published, its tokens refused."""


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """How long a key is published before it signs (`lead`) and after it stops (`linger`)."""

    lead: float
    linger: float

    @classmethod
    def for_settings(
        cls, *, jwks_max_age: float, access_token_ttl: float, margin: float
    ) -> Lifecycle:
        """A lead that outlasts every verifier's JWKS copy, and a linger that outlasts every
        token (plus the copies of the JWKS that still name the key)."""
        return cls(lead=jwks_max_age + margin, linger=access_token_ttl + jwks_max_age + margin)


@dataclass(frozen=True, slots=True)
class Position:
    """Where one key stands at an instant."""

    record: KeyRecord
    state: KeyState
    stopped_at: float | None
    """When it stopped signing (a newer key activated), if it did."""
    published_until: float | None
    """When it leaves the JWKS, if that is known yet."""


class Timeline:
    """The keys of a store ordered by activation, and what each is at a given instant."""

    def __init__(self, records: Sequence[KeyRecord], lifecycle: Lifecycle) -> None:
        self.records = sorted(records, key=lambda r: (r.activates_at, r.generation))
        self.lifecycle = lifecycle

    def _live(self, record: KeyRecord, now: float) -> bool:
        return record.retired_at is None or record.retired_at > now

    def signer(self, now: float) -> KeyRecord | None:
        """The key that signs at `now`: the last activated one that is not retired."""
        candidates = [r for r in self.records if r.activates_at <= now and self._live(r, now)]
        return candidates[-1] if candidates else None

    def position(self, record: KeyRecord, now: float) -> Position:
        if not self._live(record, now):
            return Position(record, KeyState.RETIRED, None, None)
        if record.activates_at > now:
            return Position(record, KeyState.NEXT, None, None)
        if self.signer(now) is record:
            return Position(record, KeyState.CURRENT, None, None)
        later = self.records[self.records.index(record) + 1 :]
        stopped = min(r.activates_at for r in later if r.activates_at <= now and self._live(r, now))
        until = stopped + self.lifecycle.linger
        state = KeyState.PREVIOUS if now < until else KeyState.EXPIRED
        return Position(record, state, stopped, until)

    def positions(self, now: float) -> list[Position]:
        return [self.position(record, now) for record in self.records]

    def published(self, now: float) -> list[KeyRecord]:
        """The keys the JWKS names at `now`: next, current and previous."""
        shown = {KeyState.NEXT, KeyState.CURRENT, KeyState.PREVIOUS}
        return [p.record for p in self.positions(now) if p.state in shown]

    def pending(self, now: float) -> KeyRecord | None:
        """A key waiting to sign, if one is."""
        waiting = [r for r in self.records if r.activates_at > now and self._live(r, now)]
        return waiting[-1] if waiting else None

    def newest_generation(self) -> int:
        return max((r.generation for r in self.records), default=0)
