"""Malformed and oversized requests that the gateway must refuse itself, each with the
status it answers: the sweep both gateway suites run (tests/e2e/gateway, tests/e2e/compose)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.raw_http import RawResponse, exchange, request_bytes

__all__ = ["MALFORMED", "Malformed", "assert_problem"]


@dataclass(frozen=True)
class Malformed:
    """One hostile request and the status the gateway answers it with."""

    name: str
    raw: bytes
    status: int


def _header(name: str, size: int) -> tuple[str, str]:
    return name, "a" * size


MALFORMED = [
    Malformed("unknown path", request_bytes("GET", "/no/such/page"), 404),
    Malformed("metrics through the gateway", request_bytes("GET", "/api/metrics"), 404),
    Malformed("NUL in the path", request_bytes("GET", "/api/cats%00"), 400),
    Malformed("NUL in a static path", request_bytes("GET", "/index%00.html"), 400),
    Malformed("path above the root", request_bytes("GET", "/../../etc/passwd"), 400),
    Malformed("not a request line", b"\x16\x03\x01 hello\r\n\r\n", 400),
    Malformed("TRACE", request_bytes("TRACE", "/api/cats"), 405),
    Malformed("POST to a static file", request_bytes("POST", "/index.html"), 405),
    Malformed("DELETE at the root", request_bytes("DELETE", "/"), 405),
    Malformed("HTTP/2.0 on HTTP/1", request_bytes("GET", "/", version="HTTP/2.0"), 505),
    Malformed("request line of 20 KiB", request_bytes("GET", "/api/" + "a" * 20_000), 414),
    Malformed(
        "one header of 20 KiB", request_bytes("GET", "/api/me", [_header("X-Big", 20_000)]), 431
    ),
    Malformed(
        "headers of 80 KiB in all",
        request_bytes("GET", "/api/me", [_header(f"X-Part-{i}", 8_000) for i in range(10)]),
        431,
    ),
    Malformed(
        "64 MiB header",
        request_bytes("GET", "/api/me", [_header("X-Huge", 64 * 1024 * 1024)]),
        431,
    ),
    Malformed(
        "body over 6 MiB announced",
        request_bytes("POST", "/api/cats", [("Content-Length", str(7 * 1024 * 1024))]),
        413,
    ),
    Malformed(
        "body over 6 MiB chunked",
        request_bytes(
            "POST",
            "/auth/register",
            [("Transfer-Encoding", "chunked")],
            b"".join(b"100000\r\n" + b"a" * 0x100000 + b"\r\n" for _ in range(7)) + b"0\r\n\r\n",
        ),
        413,
    ),
    Malformed(
        "two Authorization headers",
        request_bytes(
            "GET", "/api/me", [("Authorization", "Bearer a.b.c"), ("Authorization", "Bearer d.e.f")]
        ),
        400,
    ),
    Malformed("two Host headers", request_bytes("GET", "/api/me", [("Host", "evil.test")]), 400),
    Malformed(
        "Content-Length and Transfer-Encoding",
        request_bytes(
            "POST",
            "/auth/login",
            [("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
            b"0\r\n\r\n",
        ),
        400,
    ),
    Malformed(
        "unknown transfer coding",
        request_bytes("POST", "/auth/login", [("Transfer-Encoding", "gzip")], b"x"),
        501,
    ),
    Malformed(
        "bad Content-Length",
        request_bytes("POST", "/auth/login", [("Content-Length", "-1")]),
        400,
    ),
]
"""Hostile requests, each answered by nginx itself (never forwarded)."""


def assert_problem(response: RawResponse, status: int) -> None:
    """`response` is a problem+json body for `status`, naming the id in `X-Request-ID`."""
    assert response.status == status, (response.status, response.body[:300])
    assert response.headers.get("content-type") == "application/problem+json", response.headers
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["request_id"] == response.headers["x-request-id"]


def sweep(base_url: str) -> list[tuple[str, int, str]]:
    """Every request of `MALFORMED` sent to `base_url`: what failed, as (name, status,
    reason); empty when every answer was the expected problem+json."""
    failures = []
    for case in MALFORMED:
        try:
            assert_problem(exchange(base_url, case.raw), case.status)
        except (AssertionError, ValueError, KeyError, OSError) as exc:
            failures.append((case.name, case.status, repr(exc)[:300]))
    return failures
