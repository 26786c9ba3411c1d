"""Content-Security-Policy: the main pages load in Chromium with no violation, and htmx works."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium reports every blocked script, style or eval in two ways: a console error and a
# securitypolicyviolation event. The event is collected by a script Playwright injects, which
# the page's policy does not govern.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber);
});
"""

PAGES = [
    "/",
    "/studio/",
    "/jobs/",
    "/gallery/",
    "/gallery/{media}/",
    "/gallery/collections/",
    "/assets/",
    "/postprod/scene/",
    "/postprod/media/{media}/",
    "/postprod/media/{media}/lineage/",
    "/accounts/",
    "/accounts/add/",
    "/alerts/",
    "/settings/",
    "/load-balancing/",
    "/captcha/",
    "/users/",
    "/password/",
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    from tests.gallery.factories import make_media

    return make_media()


def test_every_main_page_loads_without_a_csp_violation(page, make_user, media):
    make_user("alice", "admin")
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{page.url}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.add_init_script(WATCH_VIOLATIONS)

    response = page.goto("/login/")
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2]
        for part in response.headers["content-security-policy"].split(";")
    )
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert directives["default-src"] == "'self'" and directives["style-src"] == "'self'"
    sign_in(page, "alice", "a-long-password-1")
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()

    for path in PAGES:
        url = path.format(media=media.pk)
        response = page.goto(url)
        assert response.status == 200, url
        assert "content-security-policy" in response.headers, url
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # lazy htmx panels and deferred scripts
        problems += [f"{url}: {v}" for v in page.evaluate("window.__cspViolations")]
        # htmx is loaded from static/ and configured without its inline indicator style.
        assert page.evaluate("window.htmx && htmx.config.includeIndicatorStyles === false"), url
    assert problems == []


def test_htmx_still_swaps_under_the_policy(page, make_user, media):
    """A favourite toggle is an htmx POST that swaps its button: it must work under the policy."""
    make_user("alice", "admin")
    page.add_init_script(WATCH_VIOLATIONS)
    sign_in(page, "alice", "a-long-password-1")
    page.goto(f"/gallery/{media.pk}/")
    button = page.locator("#favourite-button button")
    expect(button).to_have_attribute("aria-pressed", "false")
    with page.expect_response(lambda r: f"/gallery/{media.pk}/favourite/" in r.url) as answer:
        button.click()
    # htmx sent it (not a full page post: the answer is the partial, not a redirect)...
    assert answer.value.request.headers.get("hx-request") == "true"
    # ...and swapped the button in place.
    expect(page.locator("#favourite-button button")).to_have_attribute("aria-pressed", "true")
    assert media.favourited_by.filter(username="alice").exists()
    assert page.evaluate("window.__cspViolations") == []
