"""Best of N in Chromium: select a range with shift-click, tag it, compare two, keep one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from flowdash.gallery.models import Media, Tag
from tests.browser.conftest import sign_in
from tests.gallery.factories import make_media, mp4_bytes, png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shots(settings, tmp_path, make_user):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    carol = make_user("carol", "creator")
    now = timezone.now()
    made = []
    for n, (prompt, colour) in enumerate(
        [
            ("Harbour at dawn, take one", (200, 120, 40)),
            ("Harbour at dawn, take two", (40, 120, 200)),
            ("Harbour at dawn, take three", (40, 200, 120)),
            ("A lone tree on a hill", (120, 40, 200)),
        ]
    ):
        made.append(
            make_media(
                prompt=prompt,
                seed=100 + n,
                model="imagen-4",
                created_by=carol,
                data=png_bytes(colour, (96, 54)),
                created_at=now - timedelta(minutes=n),  # newest first: the list order
            )
        )
    yield made
    cache.clear()


def card(page, media):
    return page.locator(f'#gallery-results .g-card[data-card="{media.pk}"]')


def pick(page, media):
    return card(page, media).locator("input[data-pick]")


def test_select_a_range_tag_it_compare_two_and_keep_one(page, shots):
    one, two, three, tree = shots
    sign_in(page, "carol", "a-long-password-1")
    expect(page).not_to_have_url(re.compile(r"/login/"))
    page.goto("/gallery/")
    expect(page.locator("#gallery-results .g-card")).to_have_count(4)
    count = page.locator("[data-count]")

    # Click the first, shift-click the third: the three in between are selected.
    pick(page, one).click()
    expect(count).to_have_text(re.compile(r"^1 item selected"))
    pick(page, three).click(modifiers=["Shift"])
    expect(count).to_have_text(re.compile(r"^3 items selected"))
    for media in (one, two, three):
        expect(pick(page, media)).to_be_checked()
        expect(card(page, media)).to_have_class(re.compile(r"is-selected"))
    expect(pick(page, tree)).not_to_be_checked()
    expect(page.get_by_role("button", name="Compare")).to_be_enabled()  # 2 to 4 compare

    # Tag the three at once.
    page.get_by_label("Tag for the selection").fill("harbour picks")
    page.get_by_role("button", name="Tag", exact=True).click()
    expect(page.locator(".message")).to_contain_text("3 items tagged “harbour picks”")
    tagged = set(Tag.objects.get(name="harbour picks").media.values_list("pk", flat=True))
    assert tagged == {one.pk, two.pk, three.pk}

    # Esc clears; the keyboard's x toggles the focused card.
    pick(page, tree).click()
    expect(count).to_have_text(re.compile(r"^1 item selected"))
    expect(page.get_by_role("button", name="Compare")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(count).to_have_text(re.compile(r"^Nothing selected"))
    card(page, one).locator("a.g-thumb").focus()
    page.keyboard.press("x")
    card(page, two).locator("a.g-thumb").focus()
    page.keyboard.press("x")
    expect(count).to_have_text(re.compile(r"^2 items selected"))

    # Compare the two: side by side at the same size, with prompts, models and seeds.
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare 2 items")).to_be_visible()
    columns = page.locator("[data-compare-item]")
    expect(columns).to_have_count(2)
    expect(columns.nth(0)).to_contain_text("take one")
    expect(columns.nth(0)).to_contain_text("imagen-4")
    expect(columns.nth(0)).to_contain_text("100")
    expect(columns.nth(1)).to_contain_text("take two")
    expect(columns.nth(1)).to_contain_text("101")
    boxes = [columns.nth(i).locator(".g-compare-media").bounding_box() for i in range(2)]
    assert boxes[0]["width"] == boxes[1]["width"] and boxes[0]["height"] == boxes[1]["height"]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 1  # side by side

    # Keep the second: it becomes a favourite; the first is archived.
    columns.nth(1).get_by_role("button", name="Keep this one").click()
    expect(page.locator(".message")).to_contain_text("1 other archived")
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.archived and not two.archived
    assert list(
        Media.objects.filter(favourited_by__username="carol").values_list("pk", flat=True)
    ) == [two.pk]

    # The default gallery hides the archived one; the Archived filter shows it (URL in sync).
    page.goto("/gallery/")
    expect(page.locator("#gallery-results .g-card")).to_have_count(3)
    expect(card(page, one)).to_have_count(0)
    page.get_by_label("Archived only").check()
    expect(page).to_have_url(re.compile(r"archived=1"))
    expect(page.locator("#gallery-results .g-card")).to_have_count(1)
    expect(card(page, one)).to_be_visible()
    page.reload()
    expect(page.get_by_label("Archived only")).to_be_checked()
    expect(page.locator("#gallery-results .g-card")).to_have_count(1)


def test_compared_videos_follow_one_scrubber(page, settings, tmp_path, make_user):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    make_user("carol", "creator")
    clips = [
        make_media(kind="video", prompt=f"Waves, clip {n}", data=mp4_bytes(frames=24))
        for n in range(2)
    ]
    sign_in(page, "carol", "a-long-password-1")
    expect(page).not_to_have_url(re.compile(r"/login/"))
    page.goto(f"/gallery/compare/?ids={clips[0].pk}&ids={clips[1].pk}")
    expect(page.get_by_role("heading", name="Compare 2 items")).to_be_visible()
    videos = page.locator("video[data-sync-video]")
    expect(videos).to_have_count(2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('video[data-sync-video]')]"
        ".every(v => v.readyState >= 1 && isFinite(v.duration))"
    )
    page.locator("[data-sync-scrub]").fill("500")  # half-way through the longest
    times = page.eval_on_selector_all("video[data-sync-video]", "vs => vs.map(v => v.currentTime)")
    assert times[0] > 0 and abs(times[0] - times[1]) < 0.05
    expect(page.locator("[data-sync-time]")).not_to_have_text("0.0 s")
