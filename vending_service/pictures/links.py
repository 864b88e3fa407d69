"""`ImageLinks`: signed, expiring, per-caller image URLs (contract, "Images").

A picture record's `image_url` is `<PUBLIC_URL>/cats/<id>/image?sub=<caller>&exp=<epoch>&sig=<mac>`
where `mac` is HMAC-SHA256, under a secret the vending replicas share (`IMAGE_URL_SECRET_FILE`;
never the auth service's keys), over the picture id, the caller's `sub` and the expiry. Only
a record the caller was charged for carries one, so a picture loads only for someone who paid
for it once; the URL needs no `Authorization` header, so a plain `<img src>` works. Fetching
one checks the signature, the expiry and then (in the machine) that `sub` may still see it.

Expiries are rounded down to the minute, so one caller's URL for one picture stays the same
for a minute (browser caches can reuse it) and never lives longer than `IMAGE_URL_TTL`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl

from vending_service.errors import ImageLinkRefused

__all__ = ["ImageLinks"]

_CONTEXT = b"lanyard image url v1\x00"
_SUB = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_EXP = re.compile(r"[0-9]{1,12}")
_SIG = re.compile(r"[A-Za-z0-9_-]{43}")
_BUCKET = 60


class ImageLinks:
    """Signs image URL queries and checks them. `secret` is at least 32 bytes."""

    def __init__(self, secret: bytes, *, ttl: int) -> None:
        if len(secret) < 32:
            raise ValueError("the image URL secret must be at least 32 bytes")
        self._secret = secret
        self.ttl = ttl

    def __repr__(self) -> str:
        return f"ImageLinks(ttl={self.ttl})"  # never the secret

    def _mac(self, picture_id: str, sub: str, exp: int) -> str:
        message = _CONTEXT + f"{picture_id}\x00{sub}\x00{exp}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def expiry(self, now: float) -> int:
        """When a URL signed at `now` expires: within `ttl`, the same for a minute."""
        return (int(now) + self.ttl) // _BUCKET * _BUCKET

    def query(self, picture_id: str, sub: str, now: float) -> str:
        """The query string (no `?`) of `sub`'s URL for `picture_id`. Usernames and ids are
        URL-safe as they are (`[a-z0-9._-]`, `[A-Za-z0-9_-]`): nothing to escape."""
        exp = self.expiry(now)
        return f"sub={sub}&exp={exp}&sig={self._mac(picture_id, sub, exp)}"

    def verify(self, picture_id: str, query_string: str, now: float) -> str:
        """The caller a query was signed for; `ImageLinkRefused` unless it has exactly
        `sub`, `exp` and `sig`, the signature is ours for this picture, and it is unexpired."""
        params: dict[str, str] = {}
        for name, value in parse_qsl(query_string, keep_blank_values=True):
            if name not in ("sub", "exp", "sig") or name in params:
                raise ImageLinkRefused()
            params[name] = value
        sub, exp, sig = params.get("sub", ""), params.get("exp", ""), params.get("sig", "")
        if not (_SUB.fullmatch(sub) and _EXP.fullmatch(exp) and _SIG.fullmatch(sig)):
            raise ImageLinkRefused()
        if not hmac.compare_digest(sig, self._mac(picture_id, sub, int(exp))):
            raise ImageLinkRefused()
        if not now < int(exp) <= now + self.ttl:
            raise ImageLinkRefused("this image URL has expired; get a fresh picture record")
        return sub
