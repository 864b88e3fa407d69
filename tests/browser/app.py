"""The app as a user drives it: small steps the browser tests share."""

from __future__ import annotations

import io
import re
import secrets

import httpx
from PIL import Image, ImageDraw
from playwright.sync_api import FilePayload, Page, expect

PASSWORD = "correct horse battery"
ACCESS_KEY = "lanyard.access_token"

_ALL_SHOWN = """(selector) => {
  const images = [...document.querySelectorAll(selector)];
  return images.length > 0 && images.every((i) => !i.hidden && i.complete && i.naturalWidth > 0);
}"""
_BROKEN = """() => [...document.images]
  .filter((i) => i.getAttribute("src") !== null && i.complete && i.naturalWidth === 0)
  .map((i) => i.outerHTML.slice(0, 120))"""


def new_username() -> str:
    return f"cat{secrets.token_hex(5)}"


def png(width: int = 320, height: int = 240, colour: str = "#f59e0b") -> bytes:
    """A small PNG: a coloured card with a circle on it."""
    image = Image.new("RGB", (width, height), "#e0e7ff")
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 6, 3 * width // 4, 5 * height // 6), fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def file(name: str, data: bytes, mime_type: str = "image/png") -> FilePayload:
    """A file for an <input type=file>, as if picked from the disk."""
    return {"name": name, "mimeType": mime_type, "buffer": data}


def register_directly(auth_url: str, username: str) -> None:
    """Create an account without the browser (for tests about something else)."""
    response = httpx.post(
        f"{auth_url}/register", json={"username": username, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 201, response.text


def sign_up(page: Page, username: str) -> None:
    """Register with the form; the app logs the new account in and shows the gallery."""
    page.goto("/")
    page.locator("#register-username").fill(username)
    page.locator("#register-password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Gallery", level=1)).to_be_visible()
    expect(page.locator("#whoami")).to_have_text(username)


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    page.get_by_role("button", name="Log in").click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def get_cats(page: Page, count: int) -> None:
    page.get_by_label("How many cats?").fill(str(count))
    page.get_by_role("button", name="Get cats").click()


def wait_for_images(page: Page, selector: str = "#gallery img") -> None:
    """Every image matched is shown, fully loaded (none hidden, none broken)."""
    page.wait_for_function(_ALL_SHOWN, arg=selector)


def broken_images(page: Page) -> list[str]:
    """Images with a source that failed to load (a broken-image icon on screen)."""
    return list(page.evaluate(_BROKEN))


def upload(page: Page, title: str, visibility: str, image: bytes, name: str = "cat.png") -> str:
    """Upload a picture with the form; returns its id once its own view shows it."""
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("Picture", exact=True).set_input_files(files=[file(name, image)])
    expect(page.get_by_alt_text("Preview of the chosen picture")).to_be_visible()
    page.get_by_label("Title", exact=True).fill(title)
    page.locator(f"input[name=visibility][value={visibility}]").check()
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/cats/[A-Za-z0-9_-]+$"))
    expect(page.locator("#picture-title")).to_have_text(title)
    return page.url.rsplit("/", 1)[1]


def stored_access_token(page: Page) -> str | None:
    token = page.evaluate("(key) => localStorage.getItem(key)", ACCESS_KEY)
    return None if token is None else str(token)
