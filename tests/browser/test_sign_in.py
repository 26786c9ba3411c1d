from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_signs_in_with_chromium_and_sees_every_section(page, make_user):
    make_user("alice", "admin")
    broken = []  # a missing icon, script or style shows up as a console error
    page.on(
        "console", lambda message: broken.append(message.text) if message.type == "error" else None
    )
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    sign_in(page, "alice", "a-long-password-1")
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()
    nav = page.get_by_role("navigation")
    for section in [
        "Studio",
        "Gallery",
        "Jobs",
        "Accounts",
        "Load balancing",
        "Captcha",
        "Settings",
        "Users",
    ]:
        expect(nav.get_by_role("link", name=section, exact=True)).to_be_visible()
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert broken == []


def test_a_wrong_password_is_explained_in_the_browser(page, make_user):
    make_user("alice", "admin")
    sign_in(page, "alice", "not-the-password")
    expect(page.get_by_text("That user name and password do not match")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login/"))


def test_a_viewer_sees_no_admin_menu_and_gets_not_allowed(page, make_user):
    make_user("victor", "viewer")
    sign_in(page, "victor", "a-long-password-1")
    expect(page.get_by_role("heading", name="Welcome, victor")).to_be_visible()
    expect(page.get_by_role("link", name="Settings", exact=True)).to_have_count(0)
    page.goto("/settings/")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_dark_mode_toggle_is_remembered(page, make_user):
    make_user("alice", "admin")
    sign_in(page, "alice", "a-long-password-1")
    page.get_by_role("button", name="Light / dark").click()
    first = page.evaluate("document.documentElement.getAttribute('data-theme')")
    page.reload()
    assert page.evaluate("document.documentElement.getAttribute('data-theme')") == first
    assert first in {"light", "dark"}


def test_the_layout_fits_a_phone(page, make_user):
    make_user("alice", "admin")
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, "alice", "a-long-password-1")
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()
    nav_link = page.get_by_role("link", name="Gallery", exact=True)
    expect(nav_link).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav_link).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
