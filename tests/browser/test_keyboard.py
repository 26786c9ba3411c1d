"""flowdash with the keyboard alone: sign in, skip to the content, reach the studio's prompt in
a few tab stops and submit an image that a real worker makes with the simulator; "/" to search;
the gallery's filters by keyboard (applied as they change, back button included); j/k and the
arrow keys between the items of the current view."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.gallery.factories import make_media

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-1"


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
          return {tag: e.tagName.toLowerCase(), name: e.getAttribute('name') || '',
                  text: (e.innerText || e.value || '').trim().slice(0, 60), id: e.id}; }"""
    )


def tab_until(page, matches, limit: int = 30) -> int:
    """Press Tab until the focused element matches; return how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if matches(focused(page)):
            return presses
    raise AssertionError(f"not reached in {limit} tab stops; at {focused(page)}")


def test_sign_in_to_a_submitted_image_with_the_keyboard_alone(
    page, live_server, celery_worker_process, simulator, make_user
):
    from flowdash.accounts.models import FlowAccount
    from flowdash.jobs.models import Job
    from flowdash.jobs.tasks import reconcile_jobs

    simulator.state.reset()
    FlowAccount.objects.create(
        email="ul***@gmail.com",
        full_email="ultra.creator@gmail.com",
        health="OK",
        paygate_tier="PAYGATE_TIER_TWO",
    )
    make_user("carol", "creator", PASSWORD)

    # Sign in: the cursor starts in the user name.
    page.goto("/login/")
    assert focused(page)["name"] == "username"
    page.keyboard.type("carol")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))

    # The first tab stop skips the menu; the menu's Studio link is a few stops on.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Studio", limit=4)
    page.keyboard.press("Enter")
    page.wait_for_url("**/studio/")

    # Skip link, then the prompt in a handful of stops (it took 19 without the skip link).
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    page.keyboard.press("Enter")
    stops = tab_until(page, lambda f: f["name"] == "prompt", limit=8)
    assert stops <= 6, stops
    page.keyboard.type("A paper lantern floating over a dark lake")

    # Submit from the keyboard and follow the job to its image.
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Generate images", limit=25)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/studio/\?"))
    job = Job.objects.get(params__prompt="A paper lantern floating over a dark lake")
    assert job.requested_by.username == "carol"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        # Its images download side by side: wait for all of them, not the first.
        stored = job.media.filter(kind="image", download_status="stored").count()
        if job.is_finished and stored >= job.params.get("count", 1):
            break
        reconcile_jobs()  # as beat would (beat is not running here)
        time.sleep(0.5)
    assert job.status == "completed", (job.status, job.error_message)
    assert job.media.filter(kind="image", download_status="stored").count() == job.params.get(
        "count", 1
    )
    # One paid request for it, not two.
    assert len(simulator.state.requests(method="POST", path="/images")) == 1


@pytest.fixture
def library(settings, tmp_path, make_user):
    from datetime import UTC, datetime, timedelta

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    make_user("victor", "viewer", PASSWORD)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    items = {}
    for i, (name, model) in enumerate(
        [
            ("fox", "imagen-4"),
            ("owl", "nano-banana"),
            ("lighthouse", "imagen-4"),
            ("neon", "nano-banana"),
            ("harbour", "imagen-4"),
        ]
    ):
        items[name] = make_media(
            prompt=f"A {name} picture", model=model, created_at=t0 + timedelta(hours=i)
        )
    yield items
    cache.clear()


def sign_in_by_keyboard(page, username: str) -> None:
    page.goto("/login/")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))


def test_slash_searches_filters_apply_as_they_change_and_arrows_step_through_items(page, library):
    cards = page.locator("#gallery-results .g-card")
    sign_in_by_keyboard(page, "victor")

    # "/" on a page without a search box opens the gallery with the cursor in its search.
    page.goto("/jobs/")
    page.keyboard.press("/")
    page.wait_for_url("**/gallery/#search")
    expect(page.locator("#g-q")).to_be_focused()
    expect(cards).to_have_count(5)
    # "/" on the gallery itself goes straight to the box; typing narrows the grid.
    page.locator("main h1").click()
    page.keyboard.press("/")
    expect(page.locator("#g-q")).to_be_focused()
    page.keyboard.type("lighthouse")
    expect(cards).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=lighthouse"))
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    expect(cards).to_have_count(5)

    # A filter menu by keyboard applies at once (no "Search" press), the URL follows, and the
    # browser's back button returns to the unfiltered grid.
    page.locator("select[name=model]").focus()
    page.keyboard.press("ArrowDown")  # Any model → imagen-4 (the menus are sorted)
    expect(cards).to_have_count(3)
    expect(page).to_have_url(re.compile(r"model=imagen-4"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"model="))
    expect(cards).to_have_count(5)
    page.go_forward()
    expect(cards).to_have_count(3)

    # Open the newest imagen-4 item; j / → go to older items of the same view, k / ← back.
    first = cards.first.locator("a.g-thumb")
    first.focus()
    page.keyboard.press("Enter")
    harbour, lighthouse, fox = library["harbour"], library["lighthouse"], library["fox"]
    page.wait_for_url(f"**/gallery/{harbour.pk}/?model=imagen-4")
    page.keyboard.press("j")
    page.wait_for_url(
        f"**/gallery/{lighthouse.pk}/?model=imagen-4"
    )  # skips the nano-banana owl/neon
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/gallery/{fox.pk}/?model=imagen-4")
    expect(page.locator('[data-step="next"]')).to_have_count(0)  # the oldest of this view
    page.keyboard.press("k")
    page.wait_for_url(f"**/gallery/{lighthouse.pk}/?model=imagen-4")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**/gallery/{harbour.pk}/?model=imagen-4")


def _creator_with_images(make_user, count: int):
    from django.core.files.base import ContentFile

    from flowdash.assets import services
    from tests.assets.images import png_bytes

    user = make_user("carol", "creator", PASSWORD)
    assets = []
    for i in range(count):
        data = png_bytes(color=(i * 50, 80, 120))
        assets.append(
            services.store_asset(
                ContentFile(data), name=f"k{i}.png", size=len(data), user=user
            ).asset
        )
    return user, assets


def test_a_picker_is_one_tab_stop_with_arrows_inside_and_ctrl_enter_submits(
    page, live_server, make_user, use_simulator
):
    """Three images in the reference picker: Tab goes from the picker to what follows it in one
    press, the arrow keys move between the thumbnails, Space picks, and Ctrl+Enter in the prompt
    sends the studio (no worker runs: the job is only queued)."""
    from flowdash.jobs.models import Job
    from tests.browser.conftest import sign_in

    use_simulator.state.reset()
    _user, assets = _creator_with_images(make_user, 3)
    sign_in(page, "carol", PASSWORD)
    page.goto("/studio/")
    form = page.locator("#image-form")
    picker = form.locator('[data-picker="references"]')
    boxes = picker.locator("input[type=checkbox]")
    expect(boxes).to_have_count(3)

    boxes.first.focus()
    first = focused(page)
    page.keyboard.press("ArrowRight")
    second = focused(page)
    assert second["name"] == "references" and second != first
    page.keyboard.press("Space")
    # One Tab leaves the picker (it was one stop per thumbnail).
    page.keyboard.press("Tab")
    assert focused(page)["name"] != "references", focused(page)
    page.keyboard.press("Shift+Tab")
    assert focused(page) == second  # back to the thumbnail last used, not the first
    expect(picker.locator("input:checked")).to_have_count(1)
    picked = picker.locator("input:checked").get_attribute("value")

    form.get_by_label("Prompt", exact=True).fill("a kite over the dunes")
    form.get_by_label("Prompt", exact=True).press("Control+Enter")
    expect(page.locator(".message.success")).to_contain_text("queued")
    job = Job.objects.get()
    assert job.params["prompt"] == "a kite over the dunes"
    kind, _, pk = picked.partition(":")
    assert job.params["references"] == [{kind: int(pk)}]


def test_a_viewer_gets_an_explanation_and_the_gallery_not_a_disabled_form(
    page, live_server, make_user
):
    from tests.browser.conftest import sign_in

    make_user("victor", "viewer", PASSWORD)
    sign_in(page, "victor", PASSWORD)
    page.goto("/studio/")
    expect(page.locator("[data-studio-viewer]")).to_contain_text(
        "generating needs the creator role"
    )
    expect(page.locator("form.studio-form")).to_have_count(0)
    expect(page.locator("textarea, select, button[disabled]")).to_have_count(0)
    page.get_by_role("link", name="Open the gallery").click()
    page.wait_for_url("**/gallery/")
