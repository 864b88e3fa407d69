"""Unit tests for `shared.web.bodies.read_json_object`: strict JSON in, 4xx for anything else."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from starlette.requests import Request
from starlette.types import Message

from shared.errors import InvalidInput, LanyardError
from shared.web.bodies import (
    JSON_LIMIT,
    BodyTooLarge,
    MalformedBody,
    UnsupportedMediaType,
    read_json_object,
)
from shared.web.problems import COMMON_PROBLEMS, problem_for

CREDENTIALS: dict[str, type] = {"username": str, "password": str}


class Body:
    """An ASGI receive callable serving `chunks` in order, counting how many were read."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = list(chunks)
        self.reads = 0

    async def __call__(self) -> Message:
        index = self.reads
        self.reads += 1
        if index >= len(self.chunks):
            return {"type": "http.disconnect"}
        more = index < len(self.chunks) - 1
        return {"type": "http.request", "body": self.chunks[index], "more_body": more}


def make_request(
    body: bytes | Sequence[bytes],
    *,
    content_type: str | None = "application/json",
    content_length: str | bool | None = True,
) -> tuple[Request, Body]:
    """A POST request; `content_length=True` declares the real length, a string declares that."""
    chunks = [body] if isinstance(body, bytes) else list(body)
    headers: list[tuple[bytes, bytes]] = []
    if content_type is not None:
        headers.append((b"content-type", content_type.encode("latin-1")))
    if content_length is True:
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    elif isinstance(content_length, str):
        headers.append((b"content-length", content_length.encode("latin-1")))
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/login",
        "raw_path": b"/login",
        "query_string": b"",
        "headers": headers,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("198.51.100.7", 50000),
    }
    receive = Body(chunks)
    return Request(scope, receive), receive


async def read(
    body: bytes | Sequence[bytes], fields: dict[str, type] = CREDENTIALS, **kwargs: Any
) -> dict[str, Any]:
    request, _ = make_request(body, **kwargs)
    return await read_json_object(request, fields)


async def test_valid_object_is_returned() -> None:
    """An object with exactly the named members, of the right types, is returned as is."""
    body = json.dumps({"username": "bruce", "password": "correct horse"}).encode()
    assert await read(body) == {"username": "bruce", "password": "correct horse"}


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8"],
)
async def test_json_content_types_are_accepted(content_type: str) -> None:
    """application/json, with or without a UTF-8 charset, in any case, is accepted."""
    body = b'{"username": "bruce", "password": "pw"}'
    assert (await read(body, content_type=content_type))["username"] == "bruce"


async def test_body_split_across_chunks_is_read_whole() -> None:
    """A body streamed in several chunks is joined before parsing."""
    chunks = [b'{"username": "br', b'uce", "pass', b'word": "pw"}']
    assert await read(chunks, content_length=False) == {"username": "bruce", "password": "pw"}


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"{", b'{"username": "bruce",}', b"{'username': 'bruce'}", b"\x00"],
)
async def test_body_that_is_not_json_is_a_bad_request(body: bytes) -> None:
    """A body that does not parse as JSON is a 400."""
    with pytest.raises(MalformedBody):
        await read(body)


@pytest.mark.parametrize(
    "body",
    [b'{"username": "br\xffuce", "password": "pw"}', b"\xfe\xff{}", "{}".encode("utf-16")],
)
async def test_body_that_is_not_utf8_is_a_bad_request(body: bytes) -> None:
    """A body that is not valid UTF-8 is a 400."""
    with pytest.raises(MalformedBody):
        await read(body)


@pytest.mark.parametrize(
    "body", [b"[" * 60_000, b'{"a":' * 12_000, b'{"username": ' + b"[" * 50_000]
)
async def test_deeply_nested_body_is_a_bad_request(body: bytes) -> None:
    """JSON nested deeper than the parser allows is a 400, never a crash."""
    assert len(body) <= JSON_LIMIT
    with pytest.raises(MalformedBody):
        await read(body)


async def test_deeply_nested_body_under_a_larger_limit_is_a_bad_request() -> None:
    """With room for it, 100,000 open brackets are still only a 400."""
    request, _ = make_request(b"[" * 100_000)
    with pytest.raises(MalformedBody):
        await read_json_object(request, CREDENTIALS, limit=200_000)


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "bruce", "username": "admin", "password": "pw"}',
        b'{"username": "bruce", "password": "pw", "password": "pw"}',
        b'{"username": {"a": 1, "a": 2}, "password": "pw"}',
    ],
)
async def test_duplicate_members_are_a_bad_request(body: bytes) -> None:
    """A member given twice, at any depth, is refused rather than silently resolved."""
    with pytest.raises(MalformedBody):
        await read(body)


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
async def test_nan_and_infinity_are_a_bad_request(constant: bytes) -> None:
    """NaN and Infinity are not JSON."""
    with pytest.raises(MalformedBody):
        await read(b'{"username": "bruce", "password": ' + constant + b"}")


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "application/jsonp",
    ],
)
async def test_wrong_content_type_is_unsupported_media_type(content_type: str | None) -> None:
    """Only JSON in UTF-8 is taken; anything else is a 415, even with a JSON body."""
    body = b'{"username": "bruce", "password": "pw"}'
    with pytest.raises(UnsupportedMediaType):
        await read(body, content_type=content_type)


async def test_body_over_64_kib_by_content_length_is_refused_before_reading() -> None:
    """A declared Content-Length over the limit is a 413 before any byte is read."""
    request, receive = make_request(b"{}", content_length=str(JSON_LIMIT + 1))
    with pytest.raises(BodyTooLarge):
        await read_json_object(request, CREDENTIALS)
    assert receive.reads == 0


async def test_body_over_64_kib_without_content_length_is_refused_while_streaming() -> None:
    """Without a Content-Length, reading stops with a 413 at the chunk that passes the limit."""
    chunk = b" " * (16 * 1024)
    request, receive = make_request([chunk] * 100, content_length=False)
    with pytest.raises(BodyTooLarge):
        await read_json_object(request, CREDENTIALS)
    assert receive.reads == JSON_LIMIT // len(chunk) + 1


async def test_body_over_64_kib_that_understates_its_length_is_refused() -> None:
    """A Content-Length that lies low does not get a larger body past the limit."""
    request, _ = make_request([b" " * (JSON_LIMIT + 1)], content_length="2")
    with pytest.raises(BodyTooLarge):
        await read_json_object(request, CREDENTIALS)


async def test_body_of_exactly_64_kib_is_read() -> None:
    """The limit is inclusive: a valid 64 KiB body is accepted."""
    prefix = b'{"username": "bruce", "password": "'
    body = prefix + b"x" * (JSON_LIMIT - len(prefix) - 2) + b'"}'
    assert len(body) == JSON_LIMIT
    assert len((await read(body))["password"]) == JSON_LIMIT - len(prefix) - 2


@pytest.mark.parametrize("content_length", ["abc", "-1", "1.0", " 12"])
async def test_invalid_content_length_is_a_bad_request(content_length: str) -> None:
    """A Content-Length that is not a plain number is a 400."""
    with pytest.raises(MalformedBody):
        await read(b"{}", content_length=content_length)


@pytest.mark.parametrize(
    "body",
    [
        [{"username": "bruce", "password": "pw"}],
        "bruce",
        42,
        None,
        True,
    ],
)
async def test_json_that_is_not_an_object_is_unprocessable(body: object) -> None:
    """Valid JSON that is not an object is a 422."""
    with pytest.raises(InvalidInput):
        await read(json.dumps(body).encode())


async def test_unknown_member_is_unprocessable_and_not_echoed() -> None:
    """An unknown member is a 422 whose detail names only the allowed members."""
    body = {"username": "bruce", "password": "pw", "is_admin<script>": True}
    with pytest.raises(InvalidInput) as caught:
        await read(json.dumps(body).encode())
    assert "is_admin" not in str(caught.value.detail)
    assert "username" in str(caught.value.detail)


@pytest.mark.parametrize("missing", ["username", "password"])
async def test_missing_member_is_unprocessable(missing: str) -> None:
    """Each named member is required."""
    body = {k: v for k, v in {"username": "bruce", "password": "pw"}.items() if k != missing}
    with pytest.raises(InvalidInput, match=missing):
        await read(json.dumps(body).encode())


@pytest.mark.parametrize(
    "password", [True, False, None, 12345678, 1.5, ["pw"], {"pw": "pw"}], ids=repr
)
async def test_member_of_the_wrong_type_is_unprocessable(password: object) -> None:
    """A member whose JSON type is not the named type (a bool for a str included) is a 422."""
    body = {"username": "bruce", "password": password}
    with pytest.raises(InvalidInput, match="password"):
        await read(json.dumps(body).encode())


@pytest.mark.parametrize("count", [True, False, "3", 3.0, None])
async def test_bool_or_other_type_for_an_int_member_is_unprocessable(count: object) -> None:
    """A bool is not accepted where an int is named, though Python counts bool as int."""
    with pytest.raises(InvalidInput):
        await read(json.dumps({"count": count}).encode(), {"count": int})


async def test_bool_member_accepts_only_booleans() -> None:
    """A member named as bool takes true/false and refuses 1."""
    assert await read(b'{"flag": true}', {"flag": bool}) == {"flag": True}
    with pytest.raises(InvalidInput):
        await read(b'{"flag": 1}', {"flag": bool})


@pytest.mark.parametrize(
    ("body", "kwargs", "status"),
    [
        (b"nope", {}, 400),
        (b"{}", {"content_type": "text/plain"}, 415),
        (b"{}", {"content_length": str(JSON_LIMIT + 1)}, 413),
        (b"[]", {}, 422),
    ],
)
async def test_every_refusal_is_a_lanyard_error_the_common_table_makes_a_4xx(
    body: bytes, kwargs: dict[str, Any], status: int
) -> None:
    """Refusals are Lanyard errors that the common problem table answers with a 4xx."""
    with pytest.raises(LanyardError) as caught:
        await read(body, **kwargs)
    problem = problem_for(COMMON_PROBLEMS, caught.value)
    assert problem is not None
    assert problem.status == status
