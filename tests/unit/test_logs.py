"""JSON log lines: one object per line, the request's id in each, no secret in any."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from shared.logs import REQUEST_ID, JSONFormatter, configure_logging, scrub

TOKEN = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9."
    "eyJzdWIiOiJicnVjZSIsImV4cCI6MTcwMDAwMDAwMH0."
    "c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through `JSONFormatter` to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter("test"))
    logger = logging.getLogger("lanyard.test-logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_time_level_logger_message_and_service(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    """Every record becomes one JSON object on one line, with the fixed members."""
    logger, stream = logged
    logger.warning("two\nlines %s", "here")
    (line,) = lines(stream)
    assert line["message"] == "two\nlines here"
    assert line["level"] == "warning"
    assert line["logger"] == "lanyard.test-logs"
    assert line["service"] == "test"
    assert line["time"].endswith("Z")
    assert "request_id" not in line


def test_a_line_written_while_a_request_is_served_carries_its_id(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    """The id in `REQUEST_ID` is in every line of that context, and in no other."""
    logger, stream = logged
    reset = REQUEST_ID.set("abc-123")
    try:
        logger.info("inside")
    finally:
        REQUEST_ID.reset(reset)
    logger.info("outside")
    inside, outside = lines(stream)
    assert inside["request_id"] == "abc-123"
    assert "request_id" not in outside


def test_extra_members_are_kept_and_scrubbed_like_the_message(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    """`extra` members become members of the line; strings in them are scrubbed."""
    logger, stream = logged
    logger.info("login", extra={"outcome": "success", "count": 3, "note": f"token {TOKEN}"})
    (line,) = lines(stream)
    assert line["outcome"] == "success"
    assert line["count"] == 3
    assert TOKEN not in line["note"]
    assert "color_message" not in line


def test_an_exception_is_one_scrubbed_member(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    """A traceback is a member of the line; a token in its message is redacted."""
    logger, stream = logged
    try:
        raise ValueError(f"bad header Authorization: Bearer {TOKEN}")
    except ValueError:
        logger.exception("failed")
    (line,) = lines(stream)
    assert "Traceback" in line["exception"]
    assert TOKEN not in line["exception"]
    assert "Bearer [redacted]" in line["exception"]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"got {TOKEN} from a client", TOKEN),
        ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ('{"password": "correct horse battery"}', "correct"),
        ('{"refresh_token":"Vx3kq9-Z_aa"}', "Vx3kq9-Z_aa"),
        ("device_token=QmFzZTY0 next", "QmFzZTY0"),
        ("postgresql+asyncpg://lanyard:s3cret@postgres:5432/db", "s3cret"),
        ("GET /api/cats?access_token=opaque123&count=1", "opaque123"),
    ],
)
def test_scrub_removes_tokens_credentials_and_passwords(text: str, secret: str) -> None:
    """Each kind of secret is replaced by `[redacted]`; the words around it stay."""
    cleaned = scrub(text)
    assert secret not in cleaned
    assert "[redacted]" in cleaned


def test_scrub_leaves_ordinary_sentences_alone() -> None:
    """Sentences about tokens, without one, are unchanged."""
    text = "the access token is invalid; refresh token reused: chain revoked (3 of 5)"
    assert scrub(text) == text


def test_configure_logging_sends_every_logger_uvicorns_too_to_one_json_stream() -> None:
    """After `configure_logging`, uvicorn's loggers and ours write JSON to the stream."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    try:
        configure_logging("svc", stream=stream)
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 7)
        logging.getLogger("lanyard.anything").warning("hello")
        logging.getLogger("httpx").info("one line per request: dropped")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    started, hello = lines(stream)
    assert (started["logger"], started["message"]) == (
        "uvicorn.error",
        "Started server process [7]",
    )
    assert (hello["service"], hello["level"]) == ("svc", "warning")
