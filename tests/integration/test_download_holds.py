"""A killed worker does not strand the downloads it had queued: results waiting for one of its
download threads are held only briefly (renewed while it lives), so a fresh worker stores them
well before a download's full lease would have run out."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from flowdash.gallery.models import Media
from flowdash.jobs.downloads import download_lease
from flowdash.jobs.models import Job
from tests.faults.conftest import describe, new_images
from tests.integration.test_job_recovery import SPEED, own_stack, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

RESULTS = 5


@pytest.fixture
def one_slot(simulator, tmp_path, settings):
    """Redis, beat (the reconciler every second) and a worker with ONE download thread, its
    media in a folder of this test's own."""
    data_dir = tmp_path / "data"
    (data_dir / "media").mkdir(parents=True)
    extra = {
        "FLOWDASH_RECONCILE_SECONDS": "1",
        "FLOWDASH_RENUDGE_SECONDS": "5",
        "FLOWDASH_DOWNLOAD_SLOTS": "1",
        "FLOWDASH_DATA_DIR": str(data_dir),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    with own_stack(simulator, tmp_path, settings, beat=True, **extra) as parts:
        settings.MEDIA_ROOT = str(data_dir / "media")
        yield parts, data_dir / "media"


def test_results_queued_behind_a_killed_download_are_stored_by_a_fresh_worker_at_once(
    one_slot, simulator, tmp_path, settings
):
    (redis, worker, beat, env), media_root = one_slot
    settings.FLOWDASH_JOB_TIME_SCALE = SPEED
    lease = download_lease().total_seconds()
    # the first result file trickles out for a minute: the others queue behind it
    simulator.state.faults.add("media_slow", endpoint="_media", seconds=60, times=1)
    jobs = new_images("queued behind a slow download", RESULTS)
    pks = [j.pk for j in jobs]

    def all_waiting_behind_one() -> bool:
        rows = Media.objects.filter(job_id__in=pks, download_status="pending")
        return (
            any((media_root / "tmp").glob("*.part"))  # the slow one is under way
            and rows.count() == RESULTS  # every result recorded, none stored yet
        )

    wait_for(all_waiting_behind_one, "every result stored, one downloading", 60, [worker.log_path])
    # the slow one is under way, the others wait in the worker's queue (one thread)
    started = Media.objects.filter(job_id__in=pks, download_attempts__gt=0)
    assert started.count() == 1, describe(pks)
    slow = started.get()
    worker.kill()
    killed_at = time.monotonic()

    from tests.conftest import WorkerProcess

    fresh = WorkerProcess(env, tmp_path / "worker2.log")
    fresh.start()
    try:
        queued = Media.objects.filter(job_id__in=pks).exclude(pk=slow.pk)

        def queued_stored() -> bool:
            return queued.filter(download_status="stored").count() == RESULTS - 1

        wait_for(queued_stored, "the queued results to be stored", lease, [fresh.log_path])
        took = time.monotonic() - killed_at
        # well before the killed worker's claims would have lapsed (a whole lease)
        assert took < lease * 0.6, (took, lease)
        for media in queued:
            assert media.download_attempts == 1  # never tried by the killed worker
            assert (media_root / media.file.name).is_file()
        # the one it was downloading is still its own until that lease runs out: not lost
        slow.refresh_from_db()
        assert slow.download_status == "pending"
        assert slow.next_download_at > timezone.now()
        for job in jobs:
            job.refresh_from_db()
            assert job.status == Job.Status.COMPLETED
            posts = [
                r
                for r in simulator.state.requests(method="POST")
                if r["apiPath"] == "/images"
                and (r.get("body") or {}).get("prompt") == job.params["prompt"]
            ]
            assert len(posts) == 1
    finally:
        fresh.stop()
