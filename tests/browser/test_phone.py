"""Every page on a 360 × 740 phone: nothing wider than the screen (no sideways scrolling) and no
text smaller than 11 px, for each role; the sandbox banner keeps to one line and the menu opens
with one tap."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.site import PASSWORD, ROLES, pages_for, site_fixture  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}

# Every element that shows text of its own, laid out and visible, smaller than 11 px.
SMALL_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest("option, script, style, template, noscript, title")) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== "visible" || style.display === "none") continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;  // visually hidden, for screen readers
    if (!el.getClientRects().length) continue;
    const size = parseFloat(style.fontSize);
    if (size < 11) small.push(`${size}px <${el.tagName.toLowerCase()} class="${el.getAttribute("class") || ""}">${node.textContent.trim().slice(0, 40)}`);
  }
  return small;
}"""


def fits(page) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("role", ["admin", "creator", "viewer"])
def test_every_page_fits_a_phone_with_readable_text(page, site, role):
    page.set_viewport_size(PHONE)
    problems = []
    page.goto("/login/")
    width, viewport = fits(page)
    if width != viewport or page.evaluate(SMALL_TEXT):
        problems.append(("/login/", width, page.evaluate(SMALL_TEXT)))
    sign_in(page, ROLES[role], PASSWORD)
    page.wait_for_url("**/")
    for url in pages_for(role, site):
        response = page.goto(url)
        assert response.status == 200, (url, response.status)
        # Open every "numbers in this chart" and similar folds: what they hold must fit too.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        width, viewport = fits(page)
        small = page.evaluate(SMALL_TEXT)
        if width != viewport or small:
            problems.append((url, width, small[:5]))
    assert not problems, "\n".join(
        f"{u}: width {w} (viewport 360); small text {s}" for u, w, s in problems
    )


def test_banner_one_line_and_menu_one_tap(page, site, settings):
    page.set_viewport_size(PHONE)
    sign_in(page, "carol", PASSWORD)
    page.wait_for_url("**/")
    banner = page.locator("#sandbox-banner")
    if banner.count():  # sandbox mode (no token in the test settings)
        line = banner.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        padding = banner.evaluate(
            "e => parseFloat(getComputedStyle(e).paddingTop) + parseFloat(getComputedStyle(e).paddingBottom)"
        )
        height = banner.evaluate("e => e.getBoundingClientRect().height")
        assert height <= line + padding + 2, (height, line)
    nav = page.locator("#main-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav.get_by_role("link", name="Gallery")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "true")
