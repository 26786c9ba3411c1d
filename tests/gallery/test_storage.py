"""manage.py check_storage: missing files and orphans, reported and repaired."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from flowdash.gallery.models import Media
from tests.gallery.factories import make_media


def run(*args) -> str:
    out = io.StringIO()
    call_command("check_storage", *args, stdout=out)
    return out.getvalue()


def age(name: str, seconds: int = 7200) -> None:
    path = default_storage.path(name)
    past = time.time() - seconds
    os.utime(path, (past, past))


@pytest.mark.django_db
def test_all_in_order(media_root):
    make_media()
    assert "Storage and database agree." in run()


@pytest.mark.django_db
def test_reports_then_repairs_missing_files_and_orphans(media_root):
    kept = make_media(prompt="kept")
    gone = make_media(prompt="gone")
    default_storage.delete(gone.file.name)
    orphan = default_storage.save("media/2026/01/stray.png", ContentFile(b"stray"))
    age(orphan)
    fresh = default_storage.save("media/2026/01/in-flight.mp4", ContentFile(b"writing"))
    outside = default_storage.save("assets/2026/01/upload.png", ContentFile(b"asset"))
    age(outside)

    report = run()
    assert "Missing files: 1" in report and f"#{gone.pk}" in report
    assert "Orphan files: 1" in report and orphan in report
    assert "in-flight" not in report and "upload.png" not in report
    assert Media.objects.get(pk=gone.pk).download_status == Media.Download.STORED  # untouched

    repaired = run("--repair")
    assert "1 marked lost" in repaired and "1 orphans moved" in repaired
    gone.refresh_from_db()
    assert gone.download_status == Media.Download.LOST and "missing" in gone.download_error
    assert not default_storage.exists(orphan)
    moved = [
        line.split("moved to ", 1)[1]
        for line in repaired.splitlines()
        if line.startswith("  moved to ")
    ]
    assert len(moved) == 1 and moved[0].startswith("media/quarantine/")
    assert default_storage.open(moved[0]).read() == b"stray"
    assert default_storage.exists(fresh) and default_storage.exists(outside)
    assert default_storage.exists(kept.file.name)
    # Quarantined files are not orphans on the next run; lost items are not missing again.
    assert "Storage and database agree." in run()


@pytest.mark.django_db
def test_a_missing_thumbnail_is_forgotten_and_made_again(media_root, viewer_client):
    media = make_media()
    viewer_client.get(f"/gallery/{media.pk}/thumbnail/")
    media.refresh_from_db()
    default_storage.delete(media.thumbnail.name)
    assert "Missing thumbnails: 1" in run()
    run("--repair")
    media.refresh_from_db()
    assert not media.thumbnail
    viewer_client.get(f"/gallery/{media.pk}/thumbnail/")
    media.refresh_from_db()
    assert media.thumbnail and default_storage.exists(media.thumbnail.name)
