"""Reading request bodies safely: size limits while streaming, strict UTF-8 JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.types import Message

from shared.errors import InvalidInput, LanyardError

__all__ = [
    "JSON_LIMIT",
    "BodyTooLarge",
    "MalformedBody",
    "UnsupportedMediaType",
    "read_body",
    "read_json_object",
    "replay_request",
]

JSON_LIMIT = 64 * 1024
# How a member's type is named to a client: in JSON's words, never Python's.
_JSON_KINDS: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "an array",
    dict: "an object",
}


class MalformedBody(LanyardError):
    """The request cannot be read: not JSON, not UTF-8, a malformed header."""


class BodyTooLarge(LanyardError):
    """The body is over the limit for this route."""


class UnsupportedMediaType(LanyardError):
    """The body's media type is not one this route takes."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate member {key!r}")
        obj[key] = value
    return obj


def _declared_length(request: Request) -> int | None:
    values = request.headers.getlist("content-length")
    if not values:
        return None
    if len(set(values)) != 1 or not values[0].isdigit():
        raise MalformedBody("invalid Content-Length")
    return int(values[0])


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing (413) as soon as it is known to pass `limit` bytes."""
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise BodyTooLarge(f"the body must be at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body must be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def replay_request(request: Request, body: bytes) -> Request:
    """A copy of `request` whose body is `body`, already read, for parsers that stream."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def _is_json_media_type(content_type: str) -> bool:
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return False
    charset = ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return charset in ("", "utf-8", "utf8")


def _encodable(value: object) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(v) for v in value)
    return True


async def read_json_object(
    request: Request,
    fields: Mapping[str, type],
    *,
    optional: Mapping[str, type] | None = None,
    limit: int = JSON_LIMIT,
) -> dict[str, Any]:
    """Read a JSON object whose members are exactly `fields` (name -> type), plus any of
    `optional` (absent ones are left out of the result).

    Not JSON or not UTF-8 -> 400; JSON of the wrong shape, a missing or unknown member,
    or a member of the wrong type -> 422, with a message in JSON's words (never a Python
    type name). Nothing unknown is ever passed on.
    """
    optional = optional or {}
    if not _is_json_media_type(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("the body must be application/json (UTF-8)")
    raw = await read_body(request, limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("the body is not valid UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except RecursionError:
        raise MalformedBody("the body is nested too deeply") from None
    except ValueError as exc:
        # json.JSONDecodeError is a ValueError; so are our duplicate and constant checks.
        raise MalformedBody("the body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise InvalidInput("the body must be a JSON object")
    if not _encodable(value):
        # A JSON escape like "\ud800" decodes to a lone surrogate: not text in any encoding.
        raise MalformedBody("the body holds a lone surrogate escape, which is not valid text")
    allowed = {**fields, **optional}
    if set(value) - set(allowed):
        # Named members only: unknown ones are refused, never stored or echoed.
        raise InvalidInput(f"the only members allowed are: {', '.join(allowed)}")
    for name, kind in allowed.items():
        if name not in value:
            if name in fields:
                raise InvalidInput(f"missing member: {name}")
            continue
        if not isinstance(value[name], kind) or isinstance(value[name], bool) != (kind is bool):
            raise InvalidInput(
                f"{name} must be {_json_kind(kind)}, not {_json_kind_of(value[name])}"
            )
    return value


def _json_kind(kind: type) -> str:
    return _JSON_KINDS.get(kind, "a valid value")


def _json_kind_of(value: object) -> str:
    """What a decoded JSON value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return _JSON_KINDS.get(type(value), "another kind of value")
