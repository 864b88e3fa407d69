"""Does a real response match what a service's OpenAPI document says? schemathesis's validators.

The integration tests check responses of the in-process apps with `Conformance`; the fuzz tests
run the same `CONFORMANCE_CHECKS`, plus "no 5xx", on every generated case against the real
processes. A documented 503 conforms: whether a 5xx may happen at all is the caller's question.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from schemathesis import openapi
from schemathesis.checks import CheckFunction
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

__all__ = [
    "CONFORMANCE_CHECKS",
    "DOCUMENTS",
    "Conformance",
    "NonConformance",
    "load_document",
]

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = {
    "auth": ROOT / "auth_service" / "openapi.json",
    "vending": ROOT / "vending_service" / "openapi.json",
}
CONFORMANCE_CHECKS: tuple[CheckFunction, ...] = (
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
)


class NonConformance(AssertionError):
    """A response the document does not describe: an undocumented status, content type,
    header or body."""


def load_document(service: str) -> dict[str, Any]:
    """A fresh copy of a service's document as shipped (`auth` or `vending`)."""
    return copy.deepcopy(_parsed(service))


@cache
def _parsed(service: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(DOCUMENTS[service].read_text(encoding="utf-8"))
    return value


class Conformance:
    """Checks responses against one OpenAPI document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.schema = openapi.from_dict(dict(copy.deepcopy(document)))

    def check(self, response: httpx.Response, path: str) -> None:
        """Raise `NonConformance` unless `response` is one the document allows for the
        operation `path` (a template such as `/cats/{picture_id}`) and the request's method."""
        method = response.request.method
        operation = self.schema[path][method]
        case = operation.Case(path_parameters=_path_parameters(path, response.request.url.path))
        response.request.read()  # a multipart request body is a stream until read
        try:
            case.validate_response(response, checks=list(CONFORMANCE_CHECKS))
        except FailureGroup as exc:
            raise NonConformance(f"{method} {path} -> {response.status_code}:\n{exc}") from None


def _path_parameters(template: str, path: str) -> dict[str, str]:
    """The values a request path gives a template's `{name}` segments."""
    pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
    match = re.fullmatch(pattern, path)
    if match is None:
        raise NonConformance(f"{path} is not an instance of {template}")
    return match.groupdict()
