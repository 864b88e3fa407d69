"""How the machine's answers look on the wire: picture records, quotas, their headers,
and the problem table. The only module besides routes.py that knows HTTP and JSON."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from shared.web.problems import COMMON_PROBLEMS, Problem, Problems
from vending_service.bearer import (
    BearerError,
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    NotAuthenticated,
    challenge,
)
from vending_service.errors import ImageLinkRefused, UnsupportedImage
from vending_service.pictures import Picture
from vending_service.pictures.links import ImageLinks
from vending_service.quotas import DAY, Quota, QuotaExceeded

__all__ = [
    "PROBLEMS",
    "PictureRecords",
    "quota_json",
    "quota_record",
    "rate_limit_headers",
    "rate_limit_raw_headers",
]


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=8)
def _reset_text(resets_at: datetime) -> str:
    """A quota's reset instant as text: the same few days all day, so written once each."""
    return _rfc3339(resets_at)


def quota_record(quota: Quota) -> dict[str, Any]:
    """The contract's quota object."""
    return {
        "limit": quota.limit,
        "used": quota.used,
        "remaining": quota.remaining,
        "resets_at": _reset_text(quota.resets_at),
    }


def quota_json(quota: Quota) -> str:
    """`quota_record(quota)` as compact JSON text (integers and a fixed-format instant)."""
    return (
        f'{{"limit":{quota.limit},"used":{quota.used},"remaining":{quota.remaining},'
        f'"resets_at":"{_reset_text(quota.resets_at)}"}}'
    )


def rate_limit_raw_headers(quota: Quota, now: float) -> list[tuple[bytes, bytes]]:
    """RateLimit (IETF httpapi draft) and the older X-RateLimit-* headers, as ASGI raw
    headers: what a successful answer adds to its own, without a header object between."""
    remaining = quota.remaining
    return [
        (b"ratelimit-policy", b'"daily";q=%d;w=%d' % (quota.limit, DAY)),
        (b"ratelimit", b'"daily";r=%d;t=%d' % (remaining, quota.seconds_to_reset(now))),
        (b"x-ratelimit-limit", b"%d" % quota.limit),
        (b"x-ratelimit-remaining", b"%d" % remaining),
        (b"x-ratelimit-reset", b"%d" % quota.reset_epoch),
    ]


def rate_limit_headers(quota: Quota, now: float) -> dict[str, str]:
    """`rate_limit_raw_headers` as a mapping (for a problem's headers)."""
    return {name.decode(): value.decode() for name, value in rate_limit_raw_headers(quota, now)}


_json_text = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
"""Compact JSON text, as Starlette's `JSONResponse` writes it."""


class PictureRecords:
    """Picture records as JSON text, each picture's fixed members encoded once.

    Everything in a record but `image_url` is the picture's own and never changes, so its
    JSON text is kept (in two halves, cut where the URL goes) for the pictures seen last:
    a gallery of ten costs ten lookups, ten signatures and string joins, not ten encoder runs
    (docs/benchmarks.md). Kept per app; at most `max_pictures`, forgotten all at once.

    `image_url` is signed for one viewer by `links` (`ImageLinks`); a record made without a
    viewer (or without `links`, as the benchmarks' reference app does) names the bare path,
    which the service answers with 403.
    """

    def __init__(
        self, public_url: str, links: ImageLinks | None = None, *, max_pictures: int = 4096
    ) -> None:
        self.public_url = public_url
        self.links = links
        self.max_pictures = max_pictures
        self._halves: dict[str, tuple[Picture, str, str]] = {}

    def image_url(self, picture: Picture, viewer: str | None = None, now: float = 0.0) -> str:
        # Picture ids are [A-Za-z0-9_-]: nothing to escape.
        url = f"{self.public_url}/cats/{picture.id}/image"
        if self.links is None or viewer is None:
            return url
        return f"{url}?{self.links.query(picture.id, viewer, now)}"

    def location(self, picture: Picture) -> str:
        return f"{self.public_url}/cats/{picture.id}"

    def record(
        self, picture: Picture, viewer: str | None = None, now: float = 0.0
    ) -> dict[str, Any]:
        """The contract's picture record, its `image_url` signed for `viewer`."""
        return {
            "id": picture.id,
            "title": picture.title,
            "owner": picture.owner,
            "visibility": picture.visibility,
            "image_url": self.image_url(picture, viewer, now),
            "width": picture.width,
            "height": picture.height,
            "created_at": _rfc3339(datetime.fromtimestamp(picture.created_at, UTC)),
        }

    def json(self, picture: Picture, viewer: str | None = None, now: float = 0.0) -> str:
        """`record(picture, viewer, now)` as compact JSON text."""
        kept = self._halves.get(picture.id)
        if kept is None or kept[0] is not picture:
            if len(self._halves) >= self.max_pictures:
                self._halves.clear()
            kept = self._halves[picture.id] = (picture, *self._split(picture))
        _, before, after = kept
        return f"{before}{encode_basestring(self.image_url(picture, viewer, now))}{after}"

    def _split(self, picture: Picture) -> tuple[str, str]:
        items = list(self.record(picture).items())
        cut = [name for name, _ in items].index("image_url")
        before, after = _json_text(dict(items[:cut])), _json_text(dict(items[cut + 1 :]))
        return f'{before[:-1]},"image_url":', f",{after[1:]}"

    def gallery(self, pictures: list[Picture], quota: Quota, viewer: str, now: float) -> str:
        """The `GET /cats` body, every `image_url` signed for `viewer`."""
        cats = ",".join(self.json(picture, viewer, now) for picture in pictures)
        return f'{{"cats":[{cats}],"quota":{quota_json(quota)}}}'


def _challenge(exc: BearerError) -> Mapping[str, str]:
    return {"WWW-Authenticate": challenge(exc)}


def _error_code(exc: BearerError) -> Mapping[str, str]:
    return {"error": exc.error} if exc.error else {}


def _quota_headers(exc: QuotaExceeded) -> Mapping[str, str]:
    retry_after = str(exc.quota.seconds_to_reset(exc.at))
    return {"Retry-After": retry_after, **rate_limit_headers(exc.quota, exc.at)}


def _quota_members(exc: QuotaExceeded) -> Mapping[str, Any]:
    return {"requested": exc.requested, **quota_record(exc.quota)}


PROBLEMS: Problems = {
    **COMMON_PROBLEMS,
    UnsupportedImage: Problem(415, "Unsupported Media Type"),
    ImageLinkRefused: Problem(403, "Forbidden"),
    QuotaExceeded: Problem(
        429, "Too Many Requests", headers=_quota_headers, extensions=_quota_members
    ),
    NotAuthenticated: Problem(401, "Unauthorized", headers=_challenge),
    InvalidToken: Problem(401, "Unauthorized", headers=_challenge, extensions=_error_code),
    InvalidRequest: Problem(400, "Bad Request", headers=_challenge, extensions=_error_code),
    InsufficientScope: Problem(403, "Forbidden", headers=_challenge, extensions=_error_code),
}
"""Every error the machine answers with, and what it becomes."""
