"""The keys as one replica sees them: read from the key store, opened with the KEK.

Every replica reads the same rows and applies the same `Timeline`, so they sign with the
same key and publish the same JWKS. A row that does not open (another KEK, corrupt bytes, a
public half that does not match the private one) is skipped, logged once and counted: it
never signs and is never published.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.keys.model import KeyRecord, Lifecycle, Position, Timeline
from auth_service.keys.port import KeyStore
from auth_service.keys.vault import KeyEncryptionKey, KeyVaultError
from shared.errors import Unavailable
from shared.tokens.jwk import jwk_thumbprint, public_jwk

__all__ = ["KeyRing", "NoSigningKey", "SigningKey", "open_record", "seal", "thumbprint"]

log = logging.getLogger("lanyard.keys")


class NoSigningKey(Unavailable):
    """No key may sign now (none stored, or all retired or not yet active)."""

    detail = "no signing key is available; try again shortly"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An opened key: its `kid` (the RFC 7638 thumbprint) and its private half."""

    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, str]:
        """The public half only: kty, use, alg, kid, n, e. Never a private member."""
        return public_jwk(self.private_key.public_key(), self.kid)


def thumbprint(key: rsa.RSAPrivateKey) -> str:
    jwk = public_jwk(key.public_key(), kid="")
    return jwk_thumbprint(jwk["n"], jwk["e"])


def seal(
    key: rsa.RSAPrivateKey,
    kek: KeyEncryptionKey,
    *,
    generation: int,
    created_at: float,
    activates_at: float,
) -> KeyRecord:
    """A new key store row for `key`."""
    kid = thumbprint(key)
    return KeyRecord(
        kid=kid,
        generation=generation,
        created_at=created_at,
        activates_at=activates_at,
        retired_at=None,
        public_jwk=json.dumps(public_jwk(key.public_key(), kid), separators=(",", ":")),
        wrapped=kek.wrap(kid, key),
        kek_id=kek.id,
    )


def open_record(record: KeyRecord, kek: KeyEncryptionKey) -> SigningKey:
    """The key in `record`, checked: it opens with `kek`, its kid is its thumbprint, and its
    stored public half is its own. `KeyVaultError` otherwise."""
    if record.kek_id != kek.id:
        raise KeyVaultError(f"key {record.kid} was sealed with another key-encryption key")
    key = kek.unwrap(record.kid, record.wrapped)
    expected = public_jwk(key.public_key(), record.kid)
    try:
        stored = json.loads(record.public_jwk)
    except ValueError as exc:
        raise KeyVaultError(f"key {record.kid} has an unreadable public half") from exc
    if thumbprint(key) != record.kid or stored != expected:
        raise KeyVaultError(f"key {record.kid} does not match its kid or public half")
    return SigningKey(record.kid, key)


class KeyRing:
    """The shared keys, opened, and the timeline that says which signs and which are shown."""

    def __init__(self, store: KeyStore, kek: KeyEncryptionKey, lifecycle: Lifecycle) -> None:
        self.store = store
        self.kek = kek
        self.lifecycle = lifecycle
        self.timeline = Timeline([], lifecycle)
        self._opened: dict[str, SigningKey] = {}
        self._refused: set[str] = set()
        self._jwks: tuple[tuple[str, ...], bytes, str] | None = None
        self.skipped = 0
        """Rows refused since start (each counted once): a metric's worth."""

    async def refresh(self) -> None:
        """Read the store again; open keys not seen before, skipping the unusable."""
        self.use(await self.store.load())

    def use(self, records: Sequence[KeyRecord]) -> None:
        usable = []
        for record in records:
            if record.kid not in self._opened and record.kid not in self._refused:
                try:
                    self._opened[record.kid] = open_record(record, self.kek)
                except KeyVaultError as exc:
                    self._refused.add(record.kid)
                    self.skipped += 1
                    log.warning("skipping signing key %s: %s", record.kid, exc.detail)
            if record.kid in self._opened:
                usable.append(record)
        self.timeline = Timeline(usable, self.lifecycle)

    @property
    def unusable(self) -> int:
        """Rows seen that do not open here (each counted once)."""
        return len(self._refused)

    def signing(self, now: float) -> SigningKey:
        """The key that signs at `now`; `NoSigningKey` when none may."""
        record = self.timeline.signer(now)
        if record is None:
            raise NoSigningKey()
        return self._opened[record.kid]

    def opened(self, kid: str) -> SigningKey | None:
        return self._opened.get(kid)

    def positions(self, now: float) -> list[Position]:
        return self.timeline.positions(now)

    def jwks(self, now: float) -> tuple[bytes, str]:
        """The JWKS document at `now` (next, current and previous keys) and its ETag."""
        shown = tuple(record.kid for record in self.timeline.published(now))
        if self._jwks is None or self._jwks[0] != shown:
            keys = [self._opened[kid].public_jwk() for kid in shown]
            body = json.dumps({"keys": keys}, separators=(",", ":")).encode("ascii")
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            self._jwks = (shown, body, etag)
        return self._jwks[1], self._jwks[2]
