"""Result downloads: retried while the signed URL lives, then shown as lost — never dropped."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from flowdash.gallery.models import Media
from flowdash.jobs import downloads
from flowdash.jobs.models import Job
from flowdash.jobs.pipeline import dispatch
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
        job = dispatch.drive(job, api)
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


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def test_a_killed_downloads_temp_file_is_removed_by_the_next_try(settings, accounts, api, sim):
    media = completed_image(accounts, api)
    downloads.temp_dir().mkdir(parents=True, exist_ok=True)
    left = downloads.temp_dir() / f"media-{media.pk}-killed.part"
    left.write_bytes(b"half a file")  # what a worker SIGKILLed mid-download leaves
    media = downloads.download(media)
    assert media.download_status == Media.Download.STORED
    assert not left.exists() and downloads.temp_files() == []


def test_abandoned_temp_files_are_cleaned_by_age(settings, accounts, api, sim):
    import os

    from flowdash.jobs.tasks import reconcile_jobs

    folder = downloads.temp_dir()
    folder.mkdir(parents=True, exist_ok=True)
    old = folder / "media-77-abc.part"
    fresh = folder / "media-78-def.part"  # a live download writing right now
    other = folder / "notes.txt"  # not ours
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    assert set(downloads.temp_files()) == {old, fresh}
    reconcile_jobs()  # the reconciler cleans by age (at most once a minute)
    assert not old.exists() and fresh.exists() and other.exists()


class TinyDisk:
    """Django's own FileSystemStorage on a "disk" that fills after 2 KB: the process's file-size
    limit (RLIMIT_FSIZE) makes the real write fail part-way, as a full disk does."""

    def __new__(cls, location):
        import resource
        import signal

        from django.core.files.storage import FileSystemStorage

        class Full(FileSystemStorage):
            def _save(self, name, content):
                previous = resource.getrlimit(resource.RLIMIT_FSIZE)
                handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (2048, previous[1]))
                try:
                    return super()._save(name, content)
                finally:
                    resource.setrlimit(resource.RLIMIT_FSIZE, previous)
                    signal.signal(signal.SIGXFSZ, handler)

        return Full(location=location)


def test_a_full_disk_leaves_no_partial_file_and_the_download_is_retried(
    settings, accounts, api, sim, monkeypatch
):
    media = completed_image(accounts, api)
    field = Media._meta.get_field("file")
    healthy = field.storage
    monkeypatch.setattr(field, "storage", TinyDisk(settings.MEDIA_ROOT))
    media = downloads.download(Media.objects.get(pk=media.pk))
    assert media.download_status == Media.Download.PENDING
    assert "Try 1 failed" in media.download_error
    assert stored_files(settings) == []  # the partial file is gone
    assert downloads.temp_files() == []

    monkeypatch.setattr(field, "storage", healthy)  # space again
    make_due(media)
    media = downloads.download(Media.objects.get(pk=media.pk))
    assert media.download_status == Media.Download.STORED
    files = stored_files(settings)
    assert Path(media.file.path) in files and len(files) == 2  # the file and its thumbnail
    assert Path(media.file.path).stat().st_size == media.file_size > 2048


def test_a_queued_hold_is_only_its_holders_to_start(accounts, api, sim):
    """What a worker's download threads rely on: a row they hold while it waits is started
    (its try counted, the lease taken) only with their own token; a row another worker took
    over once the hold lapsed is left to that one; renewing moves only rows still held."""
    media = completed_image(accounts, api)
    now = timezone.now()
    ours, lease = now + timedelta(seconds=10), now + timedelta(seconds=45)
    assert downloads.hold([media.pk], ours) == []  # new: due only once its grace is over...
    assert downloads.hold([media.pk], ours, fresh=True) == [media.pk]  # ...or handed over
    # held: nobody else takes it, not even with a (duplicate) fresh hand-over
    assert downloads.hold([media.pk], now + timedelta(seconds=12), fresh=True) == []

    # the hold lapses (the worker died): another worker holds it, and the first cannot start it
    Media.objects.filter(pk=media.pk).update(next_download_at=now - timedelta(seconds=1))
    theirs = now + timedelta(seconds=11)
    assert downloads.hold([media.pk], theirs) == [media.pk]
    assert not downloads.start_held(media.pk, ours, lease)
    assert downloads.renew([media.pk], ours, now + timedelta(seconds=20)) == 0
    media.refresh_from_db()
    assert media.download_attempts == 0 and media.next_download_at == theirs

    assert downloads.start_held(media.pk, theirs, lease)
    media.refresh_from_db()
    assert media.download_attempts == 1 and media.next_download_at == lease
    assert downloads.hold([media.pk], ours) == []  # under way: nobody else takes it
    assert downloads.renew([media.pk], lease, lease + timedelta(seconds=30)) == 1

    downloads.fetch_claimed(media)
    media.refresh_from_db()
    assert media.download_status == Media.Download.STORED and media.file
    assert downloads.renew([media.pk], lease + timedelta(seconds=30), lease) == 0


def test_a_stopping_worker_gives_its_queued_rows_back_at_once(accounts, api, sim):
    media = completed_image(accounts, api)
    token = timezone.now() + timedelta(seconds=10)
    assert downloads.hold([media.pk], token, fresh=True) == [media.pk]
    assert media.pk not in downloads.due_media_ids()  # held: the reconciler leaves it
    assert downloads.release([media.pk], token) == 1
    assert media.pk in downloads.due_media_ids()
    media.refresh_from_db()
    assert media.download_attempts == 0  # never tried: no try counted
