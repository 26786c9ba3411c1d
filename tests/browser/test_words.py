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


# --- the job card's words (issue #18: "Words that stay true") ---------------------------------


def _job(**fields):
    from flowdash.jobs.models import Job

    fields.setdefault("kind", "image")
    fields.setdefault("status", "queued")
    fields.setdefault("params", {"prompt": "a kite"})
    job = Job.objects.create(**fields)
    job.set_webhook_token_hash()
    job.save()
    return job


def _card(page, job):
    page.goto(f"/jobs/{job.pk}/")
    return page.locator(f"#job-card-{job.pk}")


def test_an_image_waiting_for_a_slot_does_not_say_it_waits_for_a_worker(page, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from flowdash.jobs.models import SLOT_WAIT

    job = _job(error_code=SLOT_WAIT, next_check_at=timezone.now() + timedelta(minutes=5))
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    card = _card(page, job)
    expect(card.locator("[data-status-words]")).to_have_text("Waiting for a free image slot")
    expect(card).not_to_contain_text("waiting for a worker")
    expect(card).not_to_contain_text("Waiting for a worker")


def test_a_queued_card_shows_the_full_address_a_running_card_shows(page, make_user):
    from flowdash.accounts.models import FlowAccount

    account = FlowAccount.objects.create(
        email="pr***@gmail.com", full_email="pro.studio@gmail.com", health="OK"
    )
    queued = _job(requested_account=account)
    running = _job(status="running", account=account, account_email=account.address)
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    for job in (queued, running):
        account_line = _card(page, job).locator("[data-account]")
        expect(account_line).to_contain_text("pro.studio@gmail.com")
        expect(account_line).not_to_contain_text("***")


def test_a_finished_lookup_no_longer_says_it_is_looking(page, make_user):
    from flowdash.jobs.models import Job, JobAttempt
    from flowdash.jobs.pipeline.recovery import ambiguous, recover
    from flowdash.useapi.types import JobStats

    class NothingListed:
        def get_jobs(self, _section):
            return JobStats.from_json({})

        def get_job(self, _job_id):  # pragma: no cover - nothing is listed
            raise AssertionError("no job to read")

    job = _job(status="submitting")
    JobAttempt.objects.record(job, "submit", outcome=JobAttempt.Outcome.UNKNOWN)
    ambiguous(job, "No answer came back.")
    job.refresh_from_db()
    assert "Looking for the job" in job.error_message
    for _ in range(10):  # every lookup of the round, none finds it
        Job.objects.filter(pk=job.pk).update(next_check_at=None, lease_until=None)
        recover(Job.objects.get(pk=job.pk), NothingListed())
        if Job.objects.get(pk=job.pk).status == Job.Status.NEEDS_ATTENTION:
            break
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    page.goto(f"/jobs/{job.pk}/")
    expect(page.locator(f"#job-card-{job.pk}")).to_contain_text("cannot tell whether")
    expect(page.locator("main")).not_to_contain_text("Looking for the job")
    expect(page.locator("main")).to_contain_text("did not find it")


def test_a_webhook_that_named_a_completed_job_is_not_an_unknown_outcome(page, make_user):
    from flowdash.jobs.models import JobAttempt

    job = _job(status="completed", kind="video", params={"prompt": "an owl"})
    JobAttempt.objects.record(job, "submit", outcome=JobAttempt.Outcome.ACCEPTED)
    JobAttempt.objects.record(job, "hint", outcome=JobAttempt.Outcome.UNKNOWN, message="j1-abc")
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    page.goto(f"/jobs/{job.pk}/")
    expect(page.locator("main")).not_to_contain_text("Outcome unknown")
    expect(page.locator("main")).to_contain_text("named the job")


def test_upscale_and_gif_rows_say_what_they_make(page, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    source = make_media(kind="video", prompt="an owl at dusk")
    upscale = _job(
        kind="video_upscale", status="completed", params={"resolution": "4K"}, source_media=source
    )
    gif = _job(kind="gif", status="completed", params={}, source_media=source)
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    page.goto("/jobs/")
    expect(page.locator(f'tr[data-job="{upscale.pk}"] [data-summary]')).to_have_text(
        f"4K upscale of result #{source.pk}"
    )
    expect(page.locator(f'tr[data-job="{gif.pk}"] [data-summary]')).to_have_text(
        f"GIF of result #{source.pk}"
    )


def test_a_4k_upscale_is_expected_to_take_minutes(page, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    source = make_media(kind="video", prompt="an owl at dusk")
    job = _job(
        kind="video_upscale", status="running", params={"resolution": "4K"}, source_media=source
    )
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    elapsed = _card(page, job).locator("[data-elapsed]")
    expect(elapsed).to_contain_text("usually about 3 min")  # documented: 2-4 minutes
    expect(elapsed).not_to_contain_text("about 60 s")


def test_a_captcha_failure_points_at_the_captcha_page(page, make_user):
    from flowdash.useapi.errors import CaptchaRejected

    error = CaptchaRejected("captcha", status=403)
    job = _job(  # as the pipeline records a failure (outcomes.fail)
        status="failed",
        error_status=403,
        error_code=type(error).__name__,
        error_message=error.user_message,
    )
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    card = _card(page, job)
    expect(card).to_contain_text("Captcha page")
    expect(card).not_to_contain_text("Accounts page")
    card.locator("[data-fix-link]").click()
    expect(page).to_have_url("/captcha/")


def test_the_scene_job_page_lists_its_clips_as_thumbnails_with_trims(
    page, make_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    first = make_media(kind="video", prompt="clip one")
    second = make_media(kind="video", prompt="clip two")
    clips = [
        {"media": first.pk, "trim_start": 0.5, "trim_end": 0},
        {"media": second.pk, "trim_start": 0, "trim_end": 1.25},
    ]
    job = _job(kind="concatenate", status="completed", params={"clips": clips})
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    page.goto(f"/jobs/{job.pk}/")
    row = page.locator("table.params tr", has_text="clips")
    expect(row.locator("a.ref-chip img")).to_have_count(2)
    expect(row).to_contain_text(f"1. result {first.pk} · trim 0.5 s / 0 s")
    expect(row).to_contain_text(f"2. result {second.pk} · trim 0 s / 1.25 s")
    expect(row).not_to_contain_text("{")
