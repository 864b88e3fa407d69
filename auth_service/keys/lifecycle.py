"""The rules of the key lifecycle: first key, rotation (by hand or on schedule), retirement.

Every rule acts on the shared key store and then reads it back, so what it reports is
what every replica will see. Two rotations at once both try to store the next generation;
the store keeps one, and both report it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.keys.model import KeyRecord, KeyState
from auth_service.keys.ring import KeyRing, seal
from auth_service.keys.vault import new_private_key
from shared.errors import Conflict, NotFound

__all__ = ["KeyKeeper", "LastSigningKey", "Rotation", "UnknownKid"]


class UnknownKid(NotFound):
    """No key with that kid is in the key store."""

    detail = "no signing key has that kid"


class LastSigningKey(Conflict):
    """Retiring this key would leave no key to sign."""

    detail = "that is the only key that can sign now; retire it with --force"


@dataclass(frozen=True, slots=True)
class Rotation:
    """The key a rotation leaves waiting, and whether this call made it."""

    record: KeyRecord
    created: bool


class KeyKeeper:
    """Applies the lifecycle's rules to the key store behind `ring`."""

    def __init__(
        self,
        ring: KeyRing,
        *,
        interval: float = 30 * 86400,
        bits: int = 2048,
        clock: Callable[[], float] = time.time,
        make_key: Callable[[int], rsa.RSAPrivateKey] = new_private_key,
    ) -> None:
        self.ring = ring
        self.interval = interval
        self.bits = bits
        self.clock = clock
        self.make_key = make_key

    async def _look(self) -> int:
        """Read the store (the ring too); the generation a new key would take. A decision
        made on this reading stores its key under that generation, so two replicas that
        decided alike cannot both store one."""
        records = await self.ring.store.load()
        self.ring.use(records)
        return max((r.generation for r in records), default=0) + 1

    async def _add(
        self, generation: int, activates_at: float, key: rsa.RSAPrivateKey | None = None
    ) -> KeyRecord | None:
        """Store a new key as `generation`; None if another replica took it first."""
        if key is None:
            key = await anyio.to_thread.run_sync(self.make_key, self.bits)
        record = seal(
            key,
            self.ring.kek,
            generation=generation,
            created_at=self.clock(),
            activates_at=activates_at,
        )
        added = await self.ring.store.add(record)
        await self.ring.refresh()
        return record if added else None

    async def bootstrap(self, legacy: Sequence[rsa.RSAPrivateKey] = ()) -> None:
        """Make sure a key can sign. An empty store takes the key files of releases before
        the key store (`legacy`, oldest first: the last signs, the others are published as
        previous keys); with none, or when nothing can sign or is about to, a new key signs
        at once. Replicas starting together store one key each generation, not two."""
        now = self.clock()
        generation = await self._look()
        if legacy and generation == 1:
            # Oldest first, a millisecond apart: the newest file signs, the others linger.
            for index, key in enumerate(legacy):
                await self._add(index + 1, now - (len(legacy) - 1 - index) / 1000, key)
            generation = await self._look()
        if self.ring.timeline.signer(now) is None and self.ring.timeline.pending(now) is None:
            await self._add(generation, activates_at=now)

    async def import_key(self, key: rsa.RSAPrivateKey, *, activate_now: bool) -> KeyRecord:
        """Bring an existing private key into the store (a key file from before the key
        store, say): it signs at once, or after the publication lead."""
        now = self.clock()
        generation = await self._look()
        activates_at = now if activate_now else now + self.ring.lifecycle.lead
        record = await self._add(generation, activates_at, key)
        if record is None:
            raise Conflict("another key was stored at the same moment; try again")
        return record

    async def rotate(self) -> Rotation:
        """A new key that signs once its publication lead has passed. If one already waits,
        that one stands (a second rotation would only shorten its turn)."""
        generation = await self._look()
        now = self.clock()
        waiting = self.ring.timeline.pending(now)
        if waiting is not None:
            return Rotation(waiting, created=False)
        created = await self._add(generation, activates_at=now + self.ring.lifecycle.lead)
        if created is not None:
            return Rotation(created, created=True)
        # Another rotation stored its key first: that one is the next key.
        waiting = self.ring.timeline.pending(now)
        if waiting is None:
            raise Conflict("a rotation raced this one and its key is not readable here")
        return Rotation(waiting, created=False)

    async def rotate_if_due(self) -> Rotation | None:
        """The scheduled rotation: a new key once the current one has signed for
        `interval` less the lead, so each key signs for about `interval`."""
        if not self.interval:
            return None
        now = self.clock()
        timeline = self.ring.timeline
        signer = timeline.signer(now)
        if signer is None or timeline.pending(now) is not None:
            return None
        if now < signer.activates_at + self.interval - self.ring.lifecycle.lead:
            return None
        return await self.rotate()

    async def retire(self, kid: str, *, force: bool = False) -> KeyRecord:
        """Take `kid` out at once: it leaves the JWKS and never signs again. Refused for the
        only key that can sign now, unless `force`, which first makes a fresh key that signs
        at once."""
        generation = await self._look()
        now = self.clock()
        if kid not in {r.kid for r in await self.ring.store.load()}:
            raise UnknownKid()
        others = [
            r
            for r in self.ring.timeline.records
            if r.kid != kid
            and self.ring.timeline.position(r, now).state in (KeyState.CURRENT, KeyState.PREVIOUS)
        ]
        if not others:
            if not force:
                raise LastSigningKey()
            if await self._add(generation, activates_at=now) is None:
                raise Conflict("another key was stored at the same moment; try again")
        await self.ring.store.retire(kid, self.clock())
        await self.ring.refresh()
        [record] = [r for r in await self.ring.store.load() if r.kid == kid]
        return record
