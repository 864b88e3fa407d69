"""Device tokens: unforgeable, bound to one user, expiring; anything else is no device."""

from __future__ import annotations

import base64
import json

import pytest

from auth_service.devices import DEVICE_TOKEN_LIFETIME, DeviceTokens
from auth_service.keys import KeyEncryptionKey
from tests.support.clock import FakeClock


@pytest.fixture
def devices(clock: FakeClock) -> DeviceTokens:
    return DeviceTokens(b"d" * 32, clock=clock)


def test_a_token_names_its_device_for_its_own_user(devices: DeviceTokens) -> None:
    """The device id comes back for the username it was issued to, and is kept on reissue."""
    token = devices.issue("bruce", "device-1")
    assert devices.device_of(token, "bruce") == "device-1"
    fresh = devices.device_of(devices.issue("bruce"), "bruce")
    assert fresh
    assert fresh != "device-1"


def test_a_token_is_no_device_for_another_user(devices: DeviceTokens) -> None:
    """Bound to the user: the victim's device token does nothing for another name."""
    assert devices.device_of(devices.issue("bruce"), "alice") is None


def test_an_altered_or_forged_token_is_no_device(devices: DeviceTokens) -> None:
    """A changed payload, a changed MAC, a token under another key, junk: all None."""
    token = devices.issue("bruce", "device-1")
    prefix, payload, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "alice"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    other = DeviceTokens(b"e" * 32, clock=devices.clock)
    for bad in (
        f"{prefix}.{forged}.{mac}",
        f"{prefix}.{payload}.{mac[:-2]}AA",
        other.issue("bruce", "device-1"),
        "",
        "x" * 600,
        "dt1..",
        "dt1.ünïcödé.ü",
    ):
        assert devices.device_of(bad, "bruce") is None
        assert devices.device_of(bad, "alice") is None


def test_a_token_expires_after_its_lifetime(devices: DeviceTokens, clock: FakeClock) -> None:
    """A year after issue the device is unknown again."""
    token = devices.issue("bruce", "device-1")
    clock.advance(DEVICE_TOKEN_LIFETIME - 1)
    assert devices.device_of(token, "bruce") == "device-1"
    clock.advance(1)
    assert devices.device_of(token, "bruce") is None


def test_replicas_sharing_a_kek_read_each_others_tokens(clock: FakeClock) -> None:
    """The MAC key comes from the shared KEK: what one replica issues, another reads; the
    derived key is not the KEK itself."""
    secret = b"k" * 32
    one = DeviceTokens(KeyEncryptionKey(secret).derive("purpose"), clock=clock)
    two = DeviceTokens(KeyEncryptionKey(secret).derive("purpose"), clock=clock)
    assert two.device_of(one.issue("bruce", "device-1"), "bruce") == "device-1"
    assert KeyEncryptionKey(secret).derive("purpose") != secret
    assert KeyEncryptionKey(secret).derive("other") != KeyEncryptionKey(secret).derive("purpose")


def test_the_key_never_appears_in_a_repr(devices: DeviceTokens) -> None:
    assert "ddd" not in repr(devices)
