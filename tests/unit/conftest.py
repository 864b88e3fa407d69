"""Fixtures for the unit tier: RSA keys, generated once because generation is slow."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    """A second 2048-bit RSA key, unrelated to `rsa_key`."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def third_rsa_key() -> rsa.RSAPrivateKey:
    """A third 2048-bit RSA key, for key sets that grow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
