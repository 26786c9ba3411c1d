"""Post-production jobs through the shared pipeline (submit, follow, store, download) against the
simulator, driven in-process as the worker and the reconciler would drive them."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from flowdash.gallery.models import Lineage, Media
from flowdash.jobs import downloads
from flowdash.jobs.models import Job
from flowdash.jobs.pipeline import dispatch
from flowdash.jobs.queue import create_job
from tests.postprod.conftest import ULTRA

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_pipeline(settings, sim):
    settings.FLOWDASH_JOB_TIME_SCALE = sim.state.settings.speed
    settings.PUBLIC_URL = ""


def run(job: Job, client, timeout: float = 60.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = dispatch.drive(job, client)
        for media_id in downloads.due_media_ids():
            downloads.download(Media.objects.get(pk=media_id))
        pending = job.media.filter(download_status=Media.Download.PENDING)
        if job.status not in ("queued", "submitting", "running") and not pending.exists():
            return job
        wait = 0.05
        if job.next_check_at:
            wait = min(max((job.next_check_at - timezone.now()).total_seconds(), 0.02), 2.0)
        time.sleep(wait)
    raise AssertionError(f"job still {job.status} after {timeout}s")


def test_extend_then_join_through_the_pipeline(api, sim_video, creator_client, accounts):
    source = sim_video(prompt="a paper boat sets sail")
    creator_client.post(
        reverse("postprod:extend", args=[source.pk]),
        {
            "extend-prompt": "the boat reaches a waterfall",
            "extend-model": "veo-3.1-fast",
            "extend-count": "1",
        },
    )
    job = run(Job.objects.get(kind="extend"), api)
    assert job.status == "completed", job.error_message
    assert job.account == accounts[ULTRA] and job.remote_job_id
    [clip] = job.media.all()
    assert clip.download_status == "stored" and clip.file and clip.thumbnail
    assert clip.duration_seconds == pytest.approx(8, abs=0.5)
    assert clip.overlap_seconds == 1.0

    other = sim_video(prompt="a lighthouse at dusk")
    data = {"clip": [source.pk, clip.pk, other.pk]}
    trims = {source.pk: ("0", "1"), clip.pk: ("1", "0"), other.pk: ("0.5", "0.5")}
    for position, pk in enumerate(data["clip"], start=1):
        data[f"position_{pk}"] = position
        data[f"trim_start_{pk}"], data[f"trim_end_{pk}"] = trims[pk]
    assert creator_client.post(reverse("postprod:scene"), data).status_code == 302
    job = run(Job.objects.get(kind="concatenate"), api)
    assert job.status == "completed", job.error_message
    [film] = job.media.all()
    assert film.origin == "joined"
    assert film.duration_seconds == pytest.approx(24 - 3, abs=0.5)
    sources = [link.source for link in Lineage.objects.filter(media=film).order_by("position")]
    assert sources == [source, clip, other]


def test_gif_and_image_upscale_through_the_pipeline(api, sim_video, sim_image, creator_client):
    video = sim_video()
    creator_client.post(reverse("postprod:gif", args=[video.pk]))
    job = run(Job.objects.get(kind="gif"), api)
    assert job.status == "completed", job.error_message
    assert job.media.get().kind == "gif"

    image = sim_image()
    creator_client.post(reverse("postprod:upscale", args=[image.pk]), {"upscale-resolution": "4k"})
    job = run(Job.objects.get(kind="image_upscale"), api)
    assert job.status == "completed", job.error_message
    upscaled = job.media.get()
    assert (upscaled.width, upscaled.height) == (1920, 1080) and upscaled.resolution == "4k"


def test_video_upscale_through_the_pipeline_then_a_repeat_costs_nothing(
    api, sim, sim_video, creator_client
):
    video = sim_video()
    url = reverse("postprod:upscale", args=[video.pk])
    creator_client.post(url, {"upscale-resolution": "1080p"})
    job = run(Job.objects.get(kind="video_upscale"), api)
    assert job.status == "completed", job.error_message
    upscaled = job.media.get()
    assert upscaled.download_status == "stored" and (upscaled.width, upscaled.height) == (640, 360)

    sent = len(sim.state.requests(path="/videos/upscale"))
    response = creator_client.post(url, {"upscale-resolution": "1080p"})
    assert Job.objects.filter(kind="video_upscale").count() == 1
    assert len(sim.state.requests(path="/videos/upscale")) == sent
    assert response["Location"] == reverse("gallery:detail", args=[upscaled.pk])


def test_an_api_refusal_is_shown_in_words_on_the_job(api, sim_image, accounts):
    # Our knowledge was stale: the form let it through, the API refuses (a GIF of an image).
    image = sim_image()
    job = create_job("gif", {}, source_media=image, requested_account=accounts[ULTRA])
    job = run(job, api)
    assert job.status == "failed"
    assert "mediaGenerationId type must be 'video', got 'image'" in job.error_message
    assert job.error_status == 400
    assert not Media.objects.filter(kind="gif").exists()
