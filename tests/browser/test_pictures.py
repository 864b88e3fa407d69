"""Uploading, viewing, sharing and deleting pictures; text stays text; the CSP holds."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.app import (
    broken_images,
    file,
    new_username,
    png,
    sign_up,
    upload,
    wait_for_images,
)
from tests.browser.conftest import Site

NOT_VISIBLE = "This picture doesn't exist, or it isn't shared with you."


def test_a_private_picture_is_seen_by_its_owner_and_whom_it_is_shared_with_only(
    open_page: Callable[[], Page],
) -> None:
    """A second user can't see a private picture; after sharing they can; after unsharing not."""
    alice, bob = open_page(), open_page()
    alice_name, bob_name = new_username(), new_username()
    sign_up(alice, alice_name)
    sign_up(bob, bob_name)

    picture_id = upload(alice, "Whiskers in the window", "private", png())
    expect(alice.locator("#picture-visibility")).to_have_text("Private")
    expect(alice.locator("#picture-owner")).to_have_text(f"{alice_name} (you)")
    wait_for_images(alice, "#picture-image")

    bob.goto(f"/#/cats/{picture_id}")
    expect(bob.locator("#picture-message")).to_have_text(NOT_VISIBLE)
    expect(bob.locator("#picture")).to_be_hidden()

    alice.get_by_label("Their username").fill(bob_name.upper())
    alice.get_by_role("button", name="Share", exact=True).click()
    expect(alice.locator("#owner-message")).to_have_text(f"Shared with {bob_name}.")
    expect(alice.locator("#share-list li")).to_have_count(1)

    bob.reload()
    expect(bob.locator("#picture-title")).to_have_text("Whiskers in the window")
    expect(bob.locator("#picture-owner")).to_have_text(alice_name)
    expect(bob.locator("#owner-tools")).to_be_hidden()
    wait_for_images(bob, "#picture-image")

    alice.get_by_role("button", name=f"Take back from {bob_name}").click()
    expect(alice.locator("#owner-message")).to_have_text(
        f"Taken back: {bob_name} can no longer see it."
    )
    expect(alice.locator("#share-list li")).to_have_count(0)

    bob.reload()
    expect(bob.locator("#picture-message")).to_have_text(NOT_VISIBLE)
    expect(bob.locator("#picture")).to_be_hidden()
    assert broken_images(bob) == []


def test_the_owner_deletes_a_picture_and_it_is_gone(page: Page) -> None:
    """Delete asks once more, then the picture is gone from the server and the list."""
    sign_up(page, new_username())
    picture_id = upload(page, "Soon gone", "public", png(colour="#10b981"))
    expect(page.locator("#public-note")).to_be_visible()

    page.get_by_role("button", name="Delete this picture").click()
    expect(page.locator("#delete-question")).to_have_text("Delete “Soon gone” for good?")
    expect(page.get_by_role("button", name="Keep it")).to_be_focused()
    page.get_by_role("button", name="Yes, delete it").click()

    expect(page.locator("#flash")).to_have_text("Deleted “Soon gone”.")
    expect(page.get_by_role("heading", name="Gallery", level=1)).to_be_visible()
    expect(page.locator("#my-uploads")).to_be_hidden()
    page.goto(f"/#/cats/{picture_id}")
    expect(page.locator("#picture-message")).to_have_text(NOT_VISIBLE)


def test_uploads_are_checked_before_anything_is_sent(page: Page, site: Site) -> None:
    """A file that isn't an image, one over 5 MiB, or a missing title never reach the server."""
    sign_up(page, new_username())
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("link", name="Upload", exact=True).click()
    picture = page.get_by_label("Picture", exact=True)
    message = page.locator("#upload-message")

    picture.set_input_files(files=[file("notes.txt", b"hi", "text/plain")])
    expect(message).to_have_text("“notes.txt” isn't a PNG, JPEG, GIF or WebP image.")
    picture.set_input_files(files=[file("fake.png", b"GIF? no, text" * 10)])
    expect(message).to_have_text(
        "“fake.png” doesn't look like a PNG, JPEG, GIF or WebP image inside."
    )
    picture.set_input_files(files=[file("huge.png", png()[:64] + bytes(5 * 1024 * 1024))])
    expect(message).to_have_text("“huge.png” is 5.0 MB; pictures can be at most 5 MiB.")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(message).to_contain_text("at most 5 MiB")

    picture.set_input_files(files=[file("ok.png", png())])
    expect(page.get_by_alt_text("Preview of the chosen picture")).to_be_visible()
    page.get_by_label("Title", exact=True).fill("   ")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(message).to_have_text("Please give the picture a title.")
    expect(page.get_by_label("Title", exact=True)).to_be_focused()
    assert [url for url in posts if url.startswith(site.vending.url)] == []


def test_a_title_with_markup_is_shown_as_text_and_runs_nothing(page: Page) -> None:
    """`<img src=x onerror=alert(1)>` as a title shows as those characters; no dialog fires."""
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    sign_up(page, new_username())
    title = "<img src=x onerror=alert(1)>"

    upload(page, title, "public", png(colour="#ef4444"))

    expect(page.locator("#picture-title")).to_have_text(title)
    expect(page.locator("#flash")).to_have_text(f"Uploaded “{title}”.")
    page.get_by_role("link", name="Gallery", exact=True).click()
    expect(page.locator("#my-uploads-list .cat-title")).to_have_text([title])
    wait_for_images(page, "#my-uploads-list img")
    assert page.locator("img[src='x']").count() == 0
    assert broken_images(page) == []
    assert dialogs == []


def test_the_content_security_policy_refuses_inline_script(page: Page, site: Site) -> None:
    """Inline <script>, inline handlers and script added from JS never run under the CSP."""
    page.add_init_script(
        """window.violations = [];
        document.addEventListener("securitypolicyviolation",
          (event) => window.violations.push(event.effectiveDirective));"""
    )

    def with_inline_script(route: Route) -> None:
        original = route.fetch()
        injected = (
            "<script>window.pwned = 'inline';</script>"
            "<img src='logo.svg' alt='' onload=\"window.pwned = 'handler'\">"
            "</body>"
        )
        route.fulfill(response=original, body=original.text().replace("</body>", injected))

    page.route(lambda url: url == f"{site.url}/", with_inline_script)
    response = page.goto("/")

    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    page.wait_for_function(
        """() => ["script-src-elem", "script-src-attr"]
          .every((directive) => window.violations.includes(directive))"""
    )
    with pytest.raises(PlaywrightError, match="TrustedScript"):
        page.add_script_tag(content="window.pwned = 'added'")
    assert page.evaluate("() => window.pwned") is None
