"""Log lines as JSON on stdout, each carrying the id of the request it was written for.

`REQUEST_ID` holds the current request's id (the edge sets it, per request task); every
line logged while it is set carries it as `request_id`. `JSONFormatter` writes one object
per line and scrubs what must never be written down: compact JWS tokens, bearer
credentials, `password=`/`token=`-style values and the password of a URL. The services
log no token or password on purpose; the scrubbing is for what a library might put in an
exception message.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = [
    "REQUEST_ID",
    "JSONFormatter",
    "configure_logging",
    "scrub",
]

REQUEST_ID: ContextVar[str | None] = ContextVar("lanyard_request_id", default=None)
"""The id of the request being served in this context, if any."""

_SECRETS = (
    # A compact JWS (JWT): its header is base64url JSON, so it begins with `eyJ`.
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"), "[redacted]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (
        re.compile(
            r"(?i)\b([a-z_]*(?:password|passwd|secret|token)[a-z_]*)"
            r"([\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]+"
        ),
        r"\1\2[redacted]",
    ),
    # The password of a URL such as postgresql://user:password@host/db.
    (re.compile(r"(://[^:/@\s]+:)[^@/\s]+@"), r"\1[redacted]@"),
)
# Attributes every LogRecord has; anything else on a record was passed as `extra`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_SKIPPED = frozenset({"color_message", "request_id"})


def scrub(text: str) -> str:
    """`text` with tokens, credentials and passwords replaced by `[redacted]`."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return scrub(str(value))


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, service, request_id, and
    whatever the call passed as `extra` (scrubbed like the message)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "service": self.service,
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for name, value in record.__dict__.items():
            if name not in _STANDARD and name not in _SKIPPED and name not in entry:
                entry[name] = _clean(value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def configure_logging(
    service: str, *, level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Every logger of the process (uvicorn's too) writes JSON lines to `stream` (stdout)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JSONFormatter(service))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's loggers pass their lines up to this handler rather than their own.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per JWKS fetch is noise
    # Alembic announces each of its plugins at INFO when imported; only migrations matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return handler
