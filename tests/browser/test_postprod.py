"""Post-production in a real browser, with a real worker and the simulator: extend a video,
build a three-clip scene with trims, join it, play the film, and follow its lineage back to the
first prompt."""

from __future__ import annotations

import time

import pytest

from flowdash.jobs.models import Job
from tests.browser.conftest import sign_in

ULTRA = "ultra.creator@gmail.com"
PASSWORD = "a-long-password-1"


def wait_for_job(job_id: int, timeout: float = 90.0) -> Job:
    """Wait for the worker to finish the job and store its files. A job resting until its next
    step is driven by the worker, nudged by the reconciler as beat would run it."""
    from flowdash.gallery.models import Media
    from flowdash.jobs.tasks import reconcile_jobs

    deadline = time.monotonic() + timeout
    last_nudge = 0.0
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        pending = job.media.filter(download_status=Media.Download.PENDING).exists()
        if job.is_finished and not pending:
            return job
        if job.status == Job.Status.NEEDS_ATTENTION:
            raise AssertionError(f"job {job_id} needs attention: {job.attention_reason}")
        now = time.monotonic()
        if now - last_nudge > 1.0:  # the reconciler's beat (beat is not running here)
            reconcile_jobs()
            last_nudge = now
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is still {Job.objects.get(pk=job_id).status}")


def generated_video(simulator, account, prompt):
    """A video that exists in the simulator, recorded as the pipeline records a generation."""
    from flowdash.gallery.models import Media
    from flowdash.useapi.client import UseapiClient

    with UseapiClient(simulator.base_url, simulator.token) as api:
        item = api.generate_videos(prompt, email=ULTRA, async_=False).media[0]
    return Media.objects.create(
        kind="video",
        origin="generated",
        media_generation_id=item.media_generation_id,
        account=account,
        account_email=account.email,
        prompt=prompt,
        model="veo-3.1-fast",
        aspect_ratio="landscape",
        duration_seconds=8.0,
        seed=item.seed,
        download_status="stored",
    )


@pytest.mark.django_db(transaction=True)
def test_extend_build_a_scene_join_play_and_trace_it_back(
    page, live_server, celery_worker_process, simulator, make_user, settings, tmp_path
):
    from flowdash.accounts.models import FlowAccount
    from flowdash.gallery.models import Lineage, Media

    simulator.state.reset()
    make_user("carol", "creator", PASSWORD)
    ultra = FlowAccount.objects.create(
        email="ul***@gmail.com", full_email=ULTRA, health="OK", paygate_tier="PAYGATE_TIER_TWO"
    )
    first = generated_video(simulator, ultra, "a paper boat sets sail on a pond")
    sign_in(page, "carol", PASSWORD)

    # 1. Extend the first video.
    page.goto(f"/postprod/media/{first.pk}/")
    extend = page.locator("#extend")
    extend.get_by_label("Prompt").fill("the boat drifts toward a waterfall")
    extend.get_by_role("button", name="Extend").click()
    page.wait_for_url("**/jobs/*/")
    job = Job.objects.get(kind="extend")
    assert page.url.endswith(f"/jobs/{job.pk}/")
    job = wait_for_job(job.pk)
    assert job.status == "completed", job.error_message
    extended = job.media.get()
    assert extended.origin == "extended" and extended.overlap_seconds == 1.0
    assert Lineage.objects.get(media=extended).source == first

    other = generated_video(simulator, ultra, "a lighthouse blinks at dusk")

    # 2. Build a three-clip scene: the extended clip starts with its overlap trimmed.
    page.goto(f"/postprod/scene/?account={ultra.pk}&aspect=landscape")
    rows = page.locator("#scene-list .pp-clip")
    assert rows.count() == 3
    # Newest first on arrival: other, extended, first. Ticked in story order, they stand in
    # that order at the top.
    for media in (first, extended, other):
        page.locator(f'[data-clip="{media.pk}"] input[name="clip"]').check()
    order = [int(x) for x in rows.evaluate_all("rs => rs.map(r => r.dataset.clip)")]
    assert order == [first.pk, extended.pk, other.pk]
    # Reordering still works: extended up one place, then first dragged back to the top.
    page.get_by_role("button", name=f"Move video {extended.pk} up").click()
    page.locator(f'[data-clip="{first.pk}"] .pp-handle').drag_to(
        page.locator(f'[data-clip="{extended.pk}"]'), target_position={"x": 20, "y": 2}
    )
    order = [int(x) for x in rows.evaluate_all("rs => rs.map(r => r.dataset.clip)")]
    assert order == [first.pk, extended.pk, other.pk]
    assert page.locator(f'[name="trim_start_{extended.pk}"]').input_value() == "1"
    page.locator(f'[name="trim_end_{first.pk}"]').fill("0.5")
    page.locator(f'[name="trim_start_{other.pk}"]').fill("1.5")
    page.locator(f'[name="trim_end_{other.pk}"]').fill("1")
    expected = 3 * 8 - (0.5 + 1 + 1.5 + 1)
    assert page.locator("#scene-count").inner_text() == "3"
    assert float(page.locator("#scene-total").inner_text()) == pytest.approx(expected)

    # 3. Join them.
    page.get_by_role("button", name="Join the chosen videos").click()
    page.wait_for_url("**/jobs/*/")
    job = wait_for_job(Job.objects.get(kind="concatenate").pk)
    assert job.status == "completed", job.error_message
    film = job.media.get()
    assert [link.source_id for link in film.sources.order_by("position")] == [
        first.pk,
        extended.pk,
        other.pk,
    ]

    # 4. Play the film: its duration is the clips' minus the trims.
    page.goto(f"/postprod/media/{film.pk}/")
    video = page.locator(".pp-preview video")
    video.evaluate("v => { v.muted = true; return v.play().catch(() => null); }")
    page.wait_for_function(
        "v => v.readyState >= 1 && isFinite(v.duration) && v.duration > 0",
        arg=video.element_handle(),
    )
    duration = video.evaluate("v => v.duration")
    assert duration == pytest.approx(expected, abs=0.5)
    assert Media.objects.get(pk=film.pk).duration_seconds == pytest.approx(expected, abs=0.5)

    # 5. Follow the lineage from the film back to the first prompt.
    page.get_by_role("link", name="Lineage").click()
    back = page.locator("#lineage-back")
    assert back.locator(f'[data-media="{extended.pk}"]').first.is_visible()
    origins = page.locator("#lineage-origins")
    assert "a paper boat sets sail on a pond" in origins.inner_text()
    origins.get_by_role("link", name=f"Video {first.pk}").click()
    page.wait_for_url(f"**/postprod/media/{first.pk}/lineage/")
    assert "where its chain starts" in page.locator("#lineage-back").inner_text()
    forward = page.locator("#lineage-forward")
    assert forward.locator(f'[data-media="{film.pk}"]').count() >= 1
    assert forward.locator(f'[data-media="{extended.pk}"]').count() >= 1
