"""Pins the public names of the `shared` package: changing them is a deliberate act."""

from __future__ import annotations

import importlib

import pytest

import shared

PUBLIC_NAMES = [
    "AccessClaims",
    "BadRequest",
    "CachePolicy",
    "Conflict",
    "HTTPProblem",
    "InvalidUsername",
    "JWKSCache",
    "JWKSError",
    "LanyardError",
    "NotFound",
    "PayloadTooLarge",
    "Secret",
    "ServiceUnavailable",
    "SettingsError",
    "TokenError",
    "TokenVerifier",
    "UnprocessableContent",
    "UnsupportedMediaType",
    "canonical_username",
    "parse_jwks",
    "problem_handlers",
    "problem_response",
    "read_body",
    "read_json_object",
    "replay_request",
]


def test_public_names_are_exactly_the_pinned_list() -> None:
    """`shared.__all__` is exactly the pinned list, in sorted order."""
    assert shared.__all__ == PUBLIC_NAMES
    assert sorted(PUBLIC_NAMES) == PUBLIC_NAMES


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_every_public_name_is_importable(name: str) -> None:
    """`from shared import <name>` works for every public name."""
    module = importlib.import_module("shared")
    assert getattr(module, name) is not None


def test_star_import_gives_exactly_the_public_names() -> None:
    """`from shared import *` binds the public names and nothing else."""
    namespace: dict[str, object] = {}
    exec("from shared import *", namespace)  # noqa: S102 - a fixed string, to test __all__
    assert sorted(k for k in namespace if k != "__builtins__") == PUBLIC_NAMES
