"""OAuth clients (RFC 6749 2): the public browser app, and confidential clients with secrets.

The public client (`CLIENT_ID`, the browser app) identifies itself by `client_id` alone.
Confidential clients come from `OAUTH_CLIENTS` (`id:secret` pairs) and must prove their
secret; only they may introspect. Every client here is first party (configured by the
operator): the password grant, which RFC 9700 deprecates for third parties, is limited to
them. Secrets are compared as digests, in constant time, and never shown.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.errors import LanyardError
from shared.settings import SettingsError

__all__ = ["ClientRegistry", "InvalidClient", "OAuthClient", "parse_clients"]

_CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")
MIN_SECRET = 16


class InvalidClient(LanyardError):
    """Client authentication failed: unknown client, missing or wrong secret."""

    detail = "client authentication failed"


@dataclass(frozen=True, slots=True)
class OAuthClient:
    client_id: str
    confidential: bool
    _digest: bytes = field(default=b"", repr=False, compare=False)

    def proves(self, secret: str) -> bool:
        digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()
        return self.confidential and hmac.compare_digest(digest, self._digest)


def parse_clients(name: str, raw: str) -> tuple[tuple[str, str], ...]:
    """`OAUTH_CLIENTS` as (id, secret) pairs; `SettingsError` naming the variable if bad."""
    pairs = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        client_id, sep, secret = item.partition(":")
        if not sep or not _CLIENT_ID.fullmatch(client_id):
            raise SettingsError(f"{name} must be id:secret pairs; {client_id!r} is not an id")
        if len(secret) < MIN_SECRET:
            raise SettingsError(f"{name}: the secret of {client_id} must be {MIN_SECRET}+ chars")
        pairs.append((client_id, secret))
    if len({client_id for client_id, _ in pairs}) != len(pairs):
        raise SettingsError(f"{name} names a client twice")
    return tuple(pairs)


class ClientRegistry:
    """Who may use the token endpoint, and how each proves it."""

    def __init__(self, public: str, confidential: Iterable[tuple[str, str]] = ()) -> None:
        self._clients = {public: OAuthClient(public, confidential=False)}
        for client_id, secret in confidential:
            digest = hashlib.sha256(secret.encode("utf-8")).digest()
            self._clients[client_id] = OAuthClient(client_id, True, digest)

    def authenticate(self, client_id: str | None, secret: str | None) -> OAuthClient:
        """The client `client_id` names, if `secret` proves it (public: no secret at all)."""
        client = self._clients.get(client_id or "")
        if client is None:
            raise InvalidClient()
        if client.confidential:
            if secret is None or not client.proves(secret):
                raise InvalidClient()
        elif secret is not None:
            raise InvalidClient("the public client has no secret")
        return client
