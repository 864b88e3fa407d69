"""Pins the public names of the shared library's packages: changing them is a deliberate act."""

from __future__ import annotations

import importlib

import pytest

PUBLIC_NAMES = {
    "shared.tokens": [
        "AccessClaims",
        "CachePolicy",
        "ClaimsPolicy",
        "CompactJWS",
        "JWKSCache",
        "JWKSError",
        "KeySource",
        "TokenError",
        "TokenVerifier",
        "issue_claims",
        "jwk_thumbprint",
        "parse_jwks",
        "public_jwk",
        "read_claims",
        "sign",
    ],
    "shared.web": [
        "COMMON_PROBLEMS",
        "Edge",
        "HTTPMetrics",
        "Problem",
        "Problems",
        "edge_middleware",
        "exception_handlers",
        "management_server",
        "openapi_route",
        "problem_response",
        "read_body",
        "read_json_object",
        "replay_request",
    ],
    "shared.errors": [
        "Conflict",
        "InvalidInput",
        "LanyardError",
        "NotFound",
        "StoreUnavailable",
        "Unavailable",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC_NAMES))
def test_public_names_are_exactly_the_pinned_list(package: str) -> None:
    """Each package's `__all__` is exactly its pinned list, in sorted order."""
    module = importlib.import_module(package)
    assert module.__all__ == PUBLIC_NAMES[package]
    assert sorted(PUBLIC_NAMES[package]) == PUBLIC_NAMES[package]


@pytest.mark.parametrize(
    ("package", "name"), [(p, n) for p, names in sorted(PUBLIC_NAMES.items()) for n in names]
)
def test_every_public_name_is_importable(package: str, name: str) -> None:
    """`from <package> import <name>` works for every public name."""
    assert getattr(importlib.import_module(package), name) is not None


@pytest.mark.parametrize("package", sorted(PUBLIC_NAMES))
def test_star_import_gives_exactly_the_public_names(package: str) -> None:
    """`from <package> import *` binds the public names and nothing else."""
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)  # noqa: S102 - a fixed string, to test __all__
    assert sorted(k for k in namespace if k != "__builtins__") == PUBLIC_NAMES[package]
