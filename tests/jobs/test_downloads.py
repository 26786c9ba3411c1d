"""Result downloads: retried while the signed URL lives, then shown as lost — never dropped."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.utils import timezone

from flowdash.gallery.models import Media
from flowdash.jobs import downloads, services
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from tests.jobs import test_pipeline as pipeline
from tests.jobs.test_pipeline import PRO, image_params

# the pipeline tests' fixtures
sim, accounts, api = pipeline.sim, pipeline.accounts, pipeline.api

pytestmark = pytest.mark.django_db


def completed_image(accounts, api) -> Media:
    job = create_job("image", image_params(count=1), requested_account=accounts[PRO])
    deadline = time.monotonic() + 30
    while job.status != Job.Status.COMPLETED and time.monotonic() < deadline:
        job = services.drive(job, api)
    assert job.status == Job.Status.COMPLETED  # recorded, while its file is still pending
    media = job.media.get()
    assert media.download_status == Media.Download.PENDING and not media.file
    return media


def make_due(media: Media) -> None:
    Media.objects.filter(pk=media.pk).update(next_download_at=timezone.now())


def test_a_failing_download_is_retried_then_shown_as_lost(settings, accounts, api, sim):
    settings.FLOWDASH_DOWNLOAD_MAX_ATTEMPTS = 3
    media = completed_image(accounts, api)
    media.source_url = re.sub(r"Signature=[^&]+", "Signature=forged", media.source_url)
    media.save()

    media = downloads.download(media)
    assert media.download_status == Media.Download.PENDING
    assert "Try 1 failed" in media.download_error and "HTTP 403" in media.download_error
    assert 5 <= (media.next_download_at - timezone.now()).total_seconds() <= 15
    assert downloads.download(media).download_attempts == 1  # not due yet: no second try

    for _ in range(2):
        make_due(media)
        media = downloads.download(media)
    assert media.download_status == Media.Download.LOST
    assert "after 3 tries" in media.download_error and "HTTP 403" in media.download_error
    assert media.job.status == Job.Status.COMPLETED and not media.file


def test_a_link_past_its_expiry_is_lost_with_that_reason(accounts, api, sim):
    media = completed_image(accounts, api)
    past = int(time.time()) - 10
    media.source_url = re.sub(r"Expires=\d+", f"Expires={past}", media.source_url)
    media.save()
    media = downloads.download(media)
    assert media.download_status == Media.Download.LOST
    assert "link expired" in media.download_error


def test_a_url_off_the_allow_list_is_refused_not_fetched(accounts, api, sim):
    media = completed_image(accounts, api)
    media.source_url = "https://files.example.net/result.jpg"
    media.save()
    media = downloads.download(media)
    assert media.download_status == Media.Download.LOST
    assert "not allowed" in media.download_error


def test_a_good_download_is_stored_with_a_thumbnail(settings, accounts, api, sim):
    media = completed_image(accounts, api)
    # nudged at once when recorded; the reconciler would step in only after a grace
    assert downloads.due_media_ids() == []
    media = downloads.download(media)
    assert media.download_status == Media.Download.STORED
    assert media.file_size > 0 and media.content_type == "image/jpeg"
    assert media.thumbnail and (media.width, media.height) == (640, 360)
    assert downloads.due_media_ids() == []
    assert not list((Path(settings.MEDIA_ROOT) / "tmp").glob("*.part"))  # no leftovers
