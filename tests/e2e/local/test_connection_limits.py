"""A service's port, as a real uvicorn process, against hostile connections: heads that
never end, heads of 64 MiB, more connections than it takes, bytes that are not HTTP."""

from __future__ import annotations

import asyncio
import json
import select
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.keys import keys_folder
from tests.support.services import Service, start_service
from tests.support.waits import eventually
from tools.processes import free_port

BIG_HEADER = 64 * 1024 * 1024
CHUNK = 64 * 1024
SLOW_HEADS = 50
DEADLINE = 30.0


@contextmanager
def auth_service(tmp_path: Path, env: Mapping[str, str]) -> Iterator[Service]:
    """The auth service alone, on a free port, with `env` added to its settings."""
    settings = {
        "KEYS_DIR": str(keys_folder(tmp_path / "keys")),
        "DATA_DIR": str(tmp_path / "data"),
        "ISSUER": "http://127.0.0.1",
        **env,
    }
    service = start_service("auth", "auth_service", free_port(), settings, tmp_path)
    try:
        service.wait_ready("/healthz")
        yield service
    finally:
        service.stop()


def address(service: Service) -> tuple[str, int]:
    host, port = service.url.removeprefix("http://").split(":")
    return host, int(port)


def split_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def assert_problem(raw: bytes, status: int) -> dict[str, object]:
    code, headers, body = split_response(raw)
    assert code == status, raw[:300]
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["request_id"] == headers["x-request-id"]
    return dict(problem)


def send_until_answered(sock: socket.socket, head: bytes, filler: int) -> tuple[int, bytes]:
    """Send `head` and then up to `filler` bytes of header value, stopping as soon as an
    answer can be read or the server stops reading; the bytes sent, and the answer."""
    sock.sendall(head)
    sent, chunk = 0, b"a" * CHUNK
    while sent < filler:
        readable, writable, _ = select.select([sock], [sock], [], DEADLINE)
        if readable:
            break
        assert writable, "the server neither read nor answered"
        try:
            sent += sock.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
    answer = b""
    sock.settimeout(DEADLINE)
    try:
        while part := sock.recv(65536):
            answer += part
    except ConnectionResetError:
        pass
    return sent, answer


def test_a_64_mib_header_is_refused_with_431_long_before_it_is_read(tmp_path: Path) -> None:
    """A header value of 64 MiB gets `431` problem+json once the head passes its limit, not
    after the server read it all; the port serves others straight after."""
    with auth_service(tmp_path, {}) as service:
        with socket.create_connection(address(service)) as sock:
            head = b"GET /healthz HTTP/1.1\r\nHost: lanyard\r\nX-Filler: "
            sent, answer = send_until_answered(sock, head, BIG_HEADER)
        problem = assert_problem(answer, 431)
        assert "32768 bytes" in str(problem["detail"])
        assert sent < BIG_HEADER // 4
        assert httpx.get(f"{service.url}/healthz", timeout=5).status_code == 200


def test_a_request_line_over_the_head_limit_is_refused_with_414(tmp_path: Path) -> None:
    """A path of 64 KiB gets `414` problem+json."""
    with (
        auth_service(tmp_path, {"MAX_REQUEST_HEAD_BYTES": "8192"}) as service,
        socket.create_connection(address(service)) as sock,
    ):
        sock.sendall(b"GET /" + b"a" * CHUNK + b" HTTP/1.1\r\nHost: lanyard\r\n\r\n")
        _, answer = send_until_answered(sock, b"", 0)
    assert_problem(answer, 414)


async def test_fifty_heads_never_finished_are_closed_and_others_still_served(
    tmp_path: Path,
) -> None:
    """50 connections that stop half-way through a head are answered `408` and closed
    after REQUEST_HEAD_TIMEOUT; a connection that sends nothing is closed; meanwhile a
    complete request is served."""
    with auth_service(tmp_path, {"REQUEST_HEAD_TIMEOUT": "2"}) as service:
        host, port = address(service)
        slow = [await asyncio.open_connection(host, port) for _ in range(SLOW_HEADS)]
        for _, writer in slow:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: lanyard\r\nX-Slow: ")
            await writer.drain()
        idle_reader, idle_writer = await asyncio.open_connection(host, port)
        async with httpx.AsyncClient(timeout=5) as client:
            assert (await client.get(f"{service.url}/healthz")).status_code == 200

        async def closed(reader: asyncio.StreamReader) -> bytes:
            return await asyncio.wait_for(reader.read(), DEADLINE)

        answers = await asyncio.gather(*(closed(reader) for reader, _ in slow))
        for answer in answers:
            assert_problem(answer, 408)
        assert await closed(idle_reader) == b""
        for _, writer in [*slow, (idle_reader, idle_writer)]:
            writer.close()


async def test_a_request_over_max_connections_gets_503_problem_json(tmp_path: Path) -> None:
    """With MAX_CONNECTIONS=5 and five connections open, the next request is `503`
    problem+json with `Retry-After`; once they close, requests are served again."""
    with auth_service(tmp_path, {"MAX_CONNECTIONS": "5"}) as service:
        host, port = address(service)
        held = [await asyncio.open_connection(host, port) for _ in range(5)]
        refused: list[httpx.Response] = []

        async def over_the_limit() -> bool:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(f"{service.url}/healthz")
            refused.append(response)
            return response.status_code == 503

        await eventually(over_the_limit, DEADLINE, "a 503 over the connection limit")
        response = refused[-1]
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        assert response.json()["request_id"] == response.headers["x-request-id"]
        for _, writer in held:
            writer.close()

        async def served() -> bool:
            async with httpx.AsyncClient(timeout=5) as client:
                return (await client.get(f"{service.url}/healthz")).status_code == 200

        await eventually(served, DEADLINE, "requests served once the connections closed")


def test_bytes_that_are_not_http_get_400_problem_json(tmp_path: Path) -> None:
    """A request line of control bytes gets `400` problem+json, not uvicorn's plain text."""
    with (
        auth_service(tmp_path, {}) as service,
        socket.create_connection(address(service)) as sock,
    ):
        sock.sendall(b"\x00\x01\x02 / HTTP/1.1\r\n\r\n")
        _, answer = send_until_answered(sock, b"", 0)
    assert_problem(answer, 400)


async def test_a_later_head_on_a_kept_connection_is_timed_from_its_first_byte(
    tmp_path: Path,
) -> None:
    """On a kept-alive connection the time between requests does not count: a request
    sent after 1.5 timeouts of quiet is served; a later head that stalls is answered 408,
    no sooner than REQUEST_HEAD_TIMEOUT after its first byte."""
    timeout = 2.0
    # uvicorn closes a connection idle for 5 s: 1.5 timeouts of quiet stay below that.
    with auth_service(tmp_path, {"REQUEST_HEAD_TIMEOUT": f"{timeout:g}"}) as service:
        reader, writer = await asyncio.open_connection(*address(service))
        request = b"GET /healthz HTTP/1.1\r\nHost: lanyard\r\n\r\n"

        async def answer() -> bytes:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DEADLINE)
            _, headers, _ = split_response(head)
            length = int(headers.get("content-length", "0"))
            return head + await asyncio.wait_for(reader.readexactly(length), DEADLINE)

        writer.write(request)
        assert split_response(await answer())[0] == 200
        await asyncio.sleep(1.5 * timeout)  # the quiet is what is tested, not a wait for it
        writer.write(request)
        assert split_response(await answer())[0] == 200

        writer.write(b"GET /healthz HTTP/1.1\r\nHost: lanyard\r\nX-Slow: ")
        first_byte = time.monotonic()
        assert_problem(await answer(), 408)
        assert time.monotonic() - first_byte >= timeout * 0.95
        writer.close()
