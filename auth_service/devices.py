"""Device tokens (OWASP "device cookies"): proof that a browser or client logged in as a
user before, so attacks on the user's name cannot lock them out of the devices they use.

After a successful password login the booth hands out a device token: a device id (random),
the canonical username it is bound to and when it was issued, MACed with HMAC-SHA256 under a
key derived (HKDF) from the key-encryption key every replica already shares. It is opaque to
clients and cannot be forged, moved to another user or altered. A login that presents a
valid one for the username it names is throttled only by that device's own failures; any
other value (missing, altered, expired, another user's) is simply an unknown device.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable

__all__ = ["DEVICE_KEY_PURPOSE", "DEVICE_TOKEN_LIFETIME", "MAX_DEVICE_TOKEN", "DeviceTokens"]

DEVICE_KEY_PURPOSE = "lanyard device tokens v1"
"""The purpose the MAC key is derived from the KEK for (`KeyEncryptionKey.derive`)."""
DEVICE_TOKEN_LIFETIME = 365 * 86400
"""How long a device token is honoured after it was issued (each login issues a new one)."""
MAX_DEVICE_TOKEN = 512
"""Longer values are not read at all (a real one is about 150 characters)."""
_PREFIX = "dt1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DeviceTokens:
    """Issues and reads device tokens under one 256-bit MAC key."""

    def __init__(
        self,
        key: bytes,
        *,
        lifetime: int = DEVICE_TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(key) < 32:
            raise ValueError("a device-token key must be at least 32 bytes")
        self._key = key
        self.lifetime = lifetime
        self.clock = clock

    def __repr__(self) -> str:
        return "DeviceTokens(<key hidden>)"

    @classmethod
    def ephemeral(cls, *, clock: Callable[[], float] = time.time) -> DeviceTokens:
        """Under a random key: right for one process (tests); replicas need a shared key."""
        return cls(secrets.token_bytes(32), clock=clock)

    def issue(self, username: str, device_id: str | None = None) -> str:
        """A device token binding `device_id` (a new one if None) to `username`."""
        claims = {
            "sub": username,
            "did": device_id or secrets.token_urlsafe(16),
            "iat": int(self.clock()),
        }
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        return f"{_PREFIX}.{payload}.{self._mac(payload)}"

    def device_of(self, token: str | None, username: str) -> str | None:
        """The device id of a valid, unexpired token issued to `username`; None otherwise."""
        if not token or len(token) > MAX_DEVICE_TOKEN or not username:
            return None
        prefix, _, rest = token.partition(".")
        payload, _, mac = rest.partition(".")
        expected = self._mac(payload).encode("ascii")
        if prefix != _PREFIX or not hmac.compare_digest(mac.encode("utf-8", "replace"), expected):
            return None
        try:
            claims = json.loads(_unb64(payload))
        except (binascii.Error, ValueError):
            return None
        if not isinstance(claims, dict) or claims.get("sub") != username:
            return None
        device, issued = claims.get("did"), claims.get("iat")
        if not isinstance(device, str) or not device or not isinstance(issued, int):
            return None
        if not issued <= self.clock() + 60 < issued + self.lifetime + 60:
            return None
        return device

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode("ascii", "replace"), hashlib.sha256)
        return _b64(digest.digest())
