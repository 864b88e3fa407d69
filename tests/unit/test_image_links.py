"""Signed image URLs: bound to picture, caller and expiry; refused when changed or late."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.settings import SettingsError
from vending_service.errors import ImageLinkRefused
from vending_service.pictures.links import ImageLinks
from vending_service.settings import VendingSettings

SECRET = b"k" * 32
NOW = 1_800_000_000.0


def test_a_query_verifies_for_its_picture_and_names_its_caller() -> None:
    """What `query` signs, `verify` accepts and answers with the caller."""
    links = ImageLinks(SECRET, ttl=3600)
    assert links.verify("cat-1", links.query("cat-1", "alice", NOW), NOW) == "alice"


def test_the_expiry_is_at_most_the_ttl_away_and_steady_for_a_minute() -> None:
    """Expiries fall on the minute, within `ttl` of signing: one URL per minute per picture."""
    links = ImageLinks(SECRET, ttl=600)
    first = dict(parse_qsl(links.query("cat-1", "alice", NOW)))
    assert NOW + 540 < int(first["exp"]) <= NOW + 600
    assert links.query("cat-1", "alice", NOW + 1) == links.query("cat-1", "alice", NOW)


def test_another_secret_or_picture_does_not_verify() -> None:
    """A URL signed under another secret (another deployment), or for another picture, is
    refused."""
    query = ImageLinks(b"z" * 32, ttl=3600).query("cat-1", "alice", NOW)
    with pytest.raises(ImageLinkRefused):
        ImageLinks(SECRET, ttl=3600).verify("cat-1", query, NOW)
    with pytest.raises(ImageLinkRefused):
        ImageLinks(b"z" * 32, ttl=3600).verify("cat-2", query, NOW)


def test_an_expired_url_or_one_reaching_past_the_ttl_is_refused() -> None:
    """At its expiry a URL is refused; so is one whose expiry is further off than the ttl
    (the ttl was lowered since)."""
    links = ImageLinks(SECRET, ttl=3600)
    query = links.query("cat-1", "alice", NOW)
    exp = int(dict(parse_qsl(query))["exp"])
    with pytest.raises(ImageLinkRefused, match="expired"):
        links.verify("cat-1", query, exp)
    with pytest.raises(ImageLinkRefused):
        ImageLinks(SECRET, ttl=600).verify("cat-1", query, NOW)


@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_changing_any_character_of_the_query_is_refused(position: int, replacement: str) -> None:
    """One changed character anywhere in the query: refused, never another caller's image."""
    links = ImageLinks(SECRET, ttl=3600)
    query = links.query("cat-1", "alice", NOW)
    index = position % len(query)
    changed = query[:index] + replacement + query[index + 1 :]
    if changed != query:
        with pytest.raises(ImageLinkRefused):
            links.verify("cat-1", changed, NOW)


@pytest.mark.parametrize(
    "query",
    ["", "sub=alice", "sub=alice&exp=1&sig=", "sub=Alice&exp=1&sig=" + "A" * 43, "a=b&c=d"],
)
def test_incomplete_or_malformed_queries_are_refused(query: str) -> None:
    """Missing or malformed parameters are refused without computing anything on them."""
    with pytest.raises(ImageLinkRefused):
        ImageLinks(SECRET, ttl=3600).verify("cat-1", query, NOW)


def test_a_short_secret_is_refused_and_the_secret_never_shows_in_a_repr() -> None:
    """Secrets under 32 bytes are refused; `repr` shows the ttl only."""
    with pytest.raises(ValueError, match="32 bytes"):
        ImageLinks(b"short", ttl=3600)
    assert "k" * 8 not in repr(ImageLinks(SECRET, ttl=3600))


def _secret_file(tmp_path: Path, content: bytes, mode: int) -> Path:
    path = tmp_path / "image-url-secret"
    path.write_bytes(content)
    os.chmod(path, mode)
    return path


def test_the_image_url_secret_comes_from_its_file_and_stays_out_of_the_repr(
    tmp_path: Path,
) -> None:
    """IMAGE_URL_SECRET_FILE (0600) is read, its whitespace dropped; repr does not show it."""
    path = _secret_file(tmp_path, b"s" * 40 + b"\n", 0o600)
    settings = VendingSettings.from_env({"IMAGE_URL_SECRET_FILE": str(path)})
    assert settings.image_url_secret == b"s" * 40
    assert "s" * 40 not in repr(settings)
    assert VendingSettings.from_env({}).image_url_secret is None


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (b"s" * 40, 0o644, "every user"),
        (b"s" * 40, 0o606, "every user"),
        (b"s" * 31, 0o600, "at least 32 bytes"),
    ],
)
def test_a_world_readable_or_short_secret_file_is_refused_loudly(
    tmp_path: Path, content: bytes, mode: int, message: str
) -> None:
    """A secret file open to every user, or too short, stops the service naming the variable
    and never printing the content."""
    path = _secret_file(tmp_path, content, mode)
    with pytest.raises(SettingsError, match=message) as raised:
        VendingSettings.from_env({"IMAGE_URL_SECRET_FILE": str(path)})
    assert "IMAGE_URL_SECRET_FILE" in str(raised.value)
    assert "sss" not in str(raised.value)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_a_missing_secret_file_names_its_variable(tmp_path: Path) -> None:
    """A path that does not exist is a SettingsError naming IMAGE_URL_SECRET_FILE."""
    with pytest.raises(SettingsError, match="IMAGE_URL_SECRET_FILE"):
        VendingSettings.from_env({"IMAGE_URL_SECRET_FILE": str(tmp_path / "nope")})


def test_image_limits_are_read_from_the_environment_with_safe_defaults() -> None:
    """16 MP, 8192 a side, one decode at a time with sixteen waiting, URLs for an hour; each
    settable and the URL lifetime capped at the contract's hour."""
    defaults = VendingSettings.from_env({})
    assert (defaults.max_image_pixels, defaults.max_image_side) == (16_000_000, 8192)
    assert (defaults.image_decode_concurrency, defaults.image_decode_queue) == (1, 16)
    assert defaults.image_url_ttl == 3600
    env = {
        "MAX_IMAGE_PIXELS": "1000000",
        "MAX_IMAGE_SIDE": "2000",
        "IMAGE_DECODE_CONCURRENCY": "4",
        "IMAGE_DECODE_QUEUE": "0",
        "IMAGE_URL_TTL": "300",
    }
    changed = VendingSettings.from_env(env)
    assert (changed.max_image_pixels, changed.max_image_side) == (1_000_000, 2000)
    assert (changed.image_decode_concurrency, changed.image_decode_queue) == (4, 0)
    assert changed.image_url_ttl == 300
    with pytest.raises(SettingsError, match="IMAGE_URL_TTL"):
        VendingSettings.from_env({"IMAGE_URL_TTL": "7200"})
