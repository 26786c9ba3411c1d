"""The scene builder in Chromium, without the API: clips join in the order they are ticked,
clips another account or aspect ratio cannot join are greyed out with the reason, and the
preview plays the chosen clips one after another with their trims."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.gallery.factories import make_media, mp4_bytes

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-1"


@pytest.fixture
def clips(settings, tmp_path, make_user):
    from flowdash.accounts.models import FlowAccount

    settings.MEDIA_ROOT = tmp_path / "media"
    make_user("carol", "creator", PASSWORD)
    ultra = FlowAccount.objects.create(email="ul***@gmail.com", full_email="ultra@gmail.com")
    other = FlowAccount.objects.create(email="ot***@gmail.com", full_email="other@gmail.com")
    three_seconds = mp4_bytes(frames=36, size=(64, 36))  # 12 fps

    def video(n: int, account, aspect: str = "landscape"):
        return make_media(
            kind="video",
            prompt=f"clip {n}",
            model="veo-3.1-fast",
            aspect_ratio=aspect,
            account=account,
            account_email=account.email,
            media_generation_id=f"gen-{n}",
            duration_seconds=3.0,
            width=64,
            height=36,
            data=three_seconds,
        )

    # Made oldest first: the page lists them newest first.
    return {
        "a": video(1, ultra),
        "b": video(2, ultra),
        "c": video(3, ultra),
        "elsewhere": video(4, other),
        "tall": video(5, ultra, aspect="portrait"),
    }


def order(page) -> list[int]:
    return [
        int(x)
        for x in page.locator("#scene-list .pp-clip").evaluate_all(
            "rows => rows.map(r => r.dataset.clip)"
        )
    ]


def test_order_kept_other_account_greyed_and_preview_plays(page, clips):
    a, b, c = clips["a"], clips["b"], clips["c"]
    sign_in(page, "carol", PASSWORD)
    page.goto("/postprod/scene/")
    expect(page.locator("#scene-list .pp-clip")).to_have_count(5)

    # Ticked a, c, b (a story told oldest first): they stand at the top in that order, although
    # the list arrived newest first.
    for media in (a, c, b):
        page.locator(f'[data-clip="{media.pk}"] input[name="clip"]').check()
    assert order(page)[:3] == [a.pk, c.pk, b.pk]
    # Reorderable: b up one place gives a, b, c.
    page.get_by_role("button", name=f"Move video {b.pk} up").click()
    assert order(page)[:3] == [a.pk, b.pk, c.pk]
    positions = [page.locator(f'[name="position_{m.pk}"]').input_value() for m in (a, b, c)]
    assert positions == ["1", "2", "3"]

    # Clips another account or aspect ratio cannot join: greyed out, not tickable, and why.
    elsewhere = page.locator(f'[data-clip="{clips["elsewhere"].pk}"]')
    expect(elsewhere).to_have_class(has_class("is-incompatible"))
    expect(elsewhere.locator('input[name="clip"]')).to_be_disabled()
    expect(elsewhere.locator("[data-why]")).to_contain_text(
        "Another Google account (ot***@gmail.com)"
    )
    tall = page.locator(f'[data-clip="{clips["tall"].pk}"]')
    expect(tall.locator('input[name="clip"]')).to_be_disabled()
    expect(tall.locator("[data-why]")).to_contain_text("Another aspect ratio")

    # Unticking everything frees them again.
    for media in (a, b, c):
        page.locator(f'[data-clip="{media.pk}"] input[name="clip"]').uncheck()
    expect(elsewhere.locator('input[name="clip"]')).to_be_enabled()
    expect(elsewhere.locator("[data-why]")).to_be_hidden()

    # Preview: a then c, each from its trimmed start to its trimmed end.
    for media in (a, c):
        page.locator(f'[data-clip="{media.pk}"] input[name="clip"]').check()
    page.locator(f'[name="trim_start_{a.pk}"]').fill("1")
    page.locator(f'[name="trim_end_{a.pk}"]').fill("1")
    page.locator(f'[name="trim_end_{c.pk}"]').fill("2")
    video = page.locator("#scene-preview-video")
    page.get_by_role("button", name="Play the chosen clips").click()
    status = page.locator("#scene-preview-status")
    expect(status).to_contain_text(f"Clip 1 of 2: video {a.pk} from 1.0 s to 2.0 s")
    page.wait_for_function(
        "v => v.dataset.playingClip && v.currentTime >= 1 && !v.paused",
        arg=video.element_handle(),
    )
    assert video.evaluate("v => v.currentSrc").endswith(f"/gallery/{a.pk}/file/")
    expect(status).to_contain_text(f"Clip 2 of 2: video {c.pk} from 0.0 s to 1.0 s", timeout=10_000)
    assert video.evaluate("v => v.currentSrc").endswith(f"/gallery/{c.pk}/file/")
    expect(status).to_have_text("The preview played 2 clips.", timeout=10_000)
    # Played in order and stopped at c's trimmed end, not at the end of its 3 s.
    assert video.evaluate("v => v.currentTime") < 2.0


def has_class(name: str):
    import re

    return re.compile(rf"(^|\s){name}(\s|$)")
