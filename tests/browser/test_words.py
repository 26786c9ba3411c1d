"""Texts that must stay true, each checked where people read it: the captcha page's own-job
times, the menu on lineage and post-production pages, and the menu of each role."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.gallery.factories import make_media

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-1"


def test_captcha_page_shows_the_solve_times_the_jobs_recorded(page, make_user):
    from flowdash.jobs.models import Job
    from flowdash.jobs.pipeline.outcomes import record_captcha as _record_captcha
    from flowdash.useapi.types import CaptchaInfo

    # A job's captcha block as the API documents it, recorded the way the pipeline records it.
    job = Job.objects.create(kind="image", status="completed", params={"prompt": "a kite"})
    block = {
        "service": "EzCaptcha",
        "taskId": "t-1",
        "durationMs": 6256,
        "attempts": [
            {"service": "EzCaptcha", "taskId": "t-1", "durationMs": 6256, "success": True}
        ],
    }
    _record_captcha(job, CaptchaInfo.from_json(block))
    make_user("victor", "viewer", PASSWORD)
    sign_in(page, "victor", PASSWORD)
    page.goto("/captcha/")
    own = page.locator("#captcha-own")
    expect(own.locator("[data-own-avg]")).to_have_text("6256 ms")
    expect(own.locator("#own-providers [data-own-solve]")).to_have_text("6256 ms")
    expect(own).not_to_contain_text("0 ms")
    expect(own).not_to_contain_text("— ms")


def test_a_job_without_recorded_times_says_so_rather_than_0_ms(page, make_user):
    from flowdash.jobs.models import Job

    Job.objects.create(
        kind="image",
        status="completed",
        params={"prompt": "a kite"},
        captcha={"service": "EzCaptcha", "attempts": [{"service": "EzCaptcha", "success": True}]},
    )
    make_user("victor", "viewer", PASSWORD)
    sign_in(page, "victor", PASSWORD)
    page.goto("/captcha/")
    own = page.locator("#captcha-own")
    expect(own.locator("[data-own-avg]")).to_have_text("not recorded")
    expect(own).not_to_contain_text(" ms")


def current(page) -> list[str]:
    return page.locator('#main-nav a[aria-current="page"]').all_inner_texts()


def test_lineage_and_actions_pages_highlight_the_gallery_not_the_scene_builder(
    page, make_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_user("carol", "creator", PASSWORD)
    video = make_media(kind="video", prompt="an owl at dusk")
    sign_in(page, "carol", PASSWORD)
    for url in (f"/postprod/media/{video.pk}/lineage/", f"/postprod/media/{video.pk}/"):
        page.goto(url)
        assert current(page) == ["Gallery"], url
    page.goto("/postprod/scene/")
    assert current(page) == ["Scene builder"]


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "viewer",
            ["Gallery", "Assets", "Jobs", "Accounts"],
            ["Studio", "Scene builder", "Settings", "Users"],
        ),
        ("creator", ["Studio", "Gallery", "Scene builder", "Jobs"], ["Settings", "Users"]),
        ("admin", ["Studio", "Scene builder", "Settings", "Users"], []),
    ],
)
def test_the_menu_shows_only_what_the_role_may_use(page, make_user, role, shown, hidden):
    make_user("pat", role, PASSWORD)
    sign_in(page, "pat", PASSWORD)
    page.wait_for_url("**/")
    nav = page.locator("#main-nav")
    for name in shown:
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(1)
    for name in hidden:
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(0)
    # Every link the menu shows opens for this person (no "Not allowed" behind a menu entry).
    for href in nav.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert page.goto(href).status == 200, (role, href)
