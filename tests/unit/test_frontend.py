"""The frontend's files and its static server: rules a browser run would only catch late."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tools.frontend_server import FRONTEND, FrontendSettings, create_app

SCRIPTS = sorted(FRONTEND.glob("*.js"))
PAGES = sorted(FRONTEND.glob("*.html"))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


async def _get(settings: FrontendSettings, *paths: str) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://frontend.test") as client:
        return [await client.get(path) for path in paths]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_no_script_parses_html_or_evaluates_strings(script: Path) -> None:
    """No innerHTML, outerHTML, insertAdjacentHTML, document.write, eval or new Function."""
    sinks = re.compile(
        r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(|new Function\("
    )
    assert sinks.findall(_text(script)) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_pages_have_no_inline_script_style_or_handlers(page: Path) -> None:
    """Scripts come from files, and no element carries style= or an on…= handler."""
    html = _text(page)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<style\b", html) == []
    assert re.findall(r"\s(style|on[a-z]+)\s*=", html) == []


@pytest.mark.parametrize("path", [*SCRIPTS, *PAGES], ids=lambda path: path.name)
def test_nothing_is_fetched_from_another_site(path: Path) -> None:
    """No CDN or third-party address: every file the app needs is in frontend/."""
    addresses = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[/\"']", _text(path))
    assert [a for a in addresses if "www.w3.org" not in a] == []


def test_the_static_config_points_at_the_gateway_or_the_local_ports() -> None:
    """config.js uses :8001/:8002 when served from :8000, else same-origin /auth and /api."""
    config = _text(FRONTEND / "config.js")
    assert 'location.port === "8000"' in config
    assert '"/auth"' in config
    assert '"/api"' in config


async def test_the_server_sends_the_strict_policy_and_security_headers() -> None:
    """Every response carries the CSP (no inline script), nosniff, no referrer, no framing."""
    [response] = await _get(FrontendSettings(), "/")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "img-src 'self' blob: http://127.0.0.1:8002 http://localhost:8002;" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "connect-src 'self' http://127.0.0.1:8001 http://127.0.0.1:8002" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


async def test_without_addresses_the_static_config_is_served() -> None:
    """With no service addresses set, /config.js is the file in frontend/."""
    [response] = await _get(FrontendSettings(), "/config.js")
    assert response.text == _text(FRONTEND / "config.js")
    assert "javascript" in response.headers["content-type"]


async def test_with_addresses_config_and_policy_follow_them() -> None:
    """Given the services' URLs, /config.js names them, connect-src allows only them and
    img-src only the vending service (where the signed image URLs point)."""
    settings = FrontendSettings(
        auth_url="http://127.0.0.1:9101/", vending_url="http://127.0.0.1:9102"
    )
    config, page = await _get(settings, "/config.js", "/")
    assert config.text == (
        'export const config = Object.freeze({"authUrl": "http://127.0.0.1:9101", '
        '"apiUrl": "http://127.0.0.1:9102"});\n'
    )
    assert "javascript" in config.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "connect-src 'self' http://127.0.0.1:9101 http://127.0.0.1:9102;" in policy
    assert "img-src 'self' blob: http://127.0.0.1:9102;" in policy
    assert "8001" not in policy


@pytest.mark.parametrize(
    ("auth_url", "vending_url"),
    [("http://127.0.0.1:9101", None), ("javascript:alert(1)", "http://127.0.0.1:9102")],
)
def test_settings_refuse_half_or_bad_addresses(auth_url: str, vending_url: str | None) -> None:
    """Both addresses or neither, and each an http(s) URL."""
    with pytest.raises(ValueError, match="URL"):
        FrontendSettings(auth_url=auth_url, vending_url=vending_url)
