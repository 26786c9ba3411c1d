"""A batch keeps the image slots busy without starving anybody: its rows give way to people's
own jobs for a free slot, and a worker makes the next rows as soon as a job step ends (not only
on beat's tick)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from flowdash.accounts.models import FlowAccount
from flowdash.batches import services, signals
from flowdash.batches.models import Batch
from flowdash.jobs import capacity
from flowdash.jobs.models import Job
from flowdash.jobs.pipeline.dispatch import step_ended
from flowdash.jobs.queue import create_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


def _batch(client, prompts: int) -> Batch:
    client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": "\n".join(f"shot {i}" for i in range(prompts)),
            "kind": "image",
            "count": "1",
            "aspect_ratio": "landscape",
        },
    )
    batch = Batch.objects.get()
    client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"})
    return batch


def _park(jobs) -> None:
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(
        error_code=capacity.SLOT_WAIT, next_check_at=timezone.now() + timedelta(minutes=5)
    )


def test_a_persons_own_image_job_gets_the_next_free_slot_before_older_batch_rows(
    creator_client, settings
):
    settings.FLOWDASH_BATCH_BUFFER = 3
    batch = _batch(creator_client, 3)
    rows = list(Job.objects.filter(batch_row__batch=batch))
    assert len(rows) == 3 and {j.priority for j in rows} == {0}
    single = create_job("image", {"prompt": "urgent", "count": 1, "references": []})
    assert single.priority == 1
    _park([*rows, single])
    assert list(capacity.waiting_jobs(1)) == [single.pk]
    assert list(capacity.waiting_jobs(4))[1:] == sorted(j.pk for j in rows)


def test_a_worker_makes_the_next_rows_when_a_job_step_ends(creator_client, settings):
    settings.FLOWDASH_BATCH_BUFFER = 2
    batch = _batch(creator_client, 6)
    assert Job.objects.count() == 2
    Job.objects.update(status=Job.Status.COMPLETED)

    time.sleep(signals.MIN_GAP)
    step_ended.send(sender=Job, job=Job.objects.first())
    assert Job.objects.count() == 4  # the next wave, without waiting for beat

    Job.objects.update(status=Job.Status.COMPLETED)
    time.sleep(signals.MIN_GAP)
    step_ended.send(sender=Job, job=Job.objects.first())
    assert Job.objects.count() == 6
    batch.refresh_from_db()
    assert batch.status == Batch.Status.RUNNING


def test_image_rows_fill_every_free_image_slot_not_only_the_buffer(creator_client, settings):
    settings.FLOWDASH_BATCH_BUFFER = 2
    for email in ("ultra.creator@gmail.com", "pro.studio@gmail.com"):
        FlowAccount.objects.create(email=email, health="OK")
    free = sum(capacity.free_by_account().values())
    assert free == 2 * capacity.FIRST_SLOTS
    batch = _batch(creator_client, 20)
    assert Job.objects.count() == 2 + free  # the buffer, plus one per free slot
    assert services.release(batch) == 0  # all of them still queued: no room


def test_image_rows_past_the_free_slots_are_made_waiting_for_a_slot(creator_client, settings):
    settings.FLOWDASH_BATCH_BUFFER = 2
    FlowAccount.objects.create(email="ultra.creator@gmail.com", health="OK")
    free = sum(capacity.free_by_account().values())
    batch = _batch(creator_client, 20)

    jobs = list(Job.objects.filter(batch_row__batch=batch).order_by("batch_row__number"))
    assert len(jobs) == free + 2
    sent, parked = jobs[:free], jobs[free:]
    # the first rows go to the free slots; the rest wait, told so, for an ended request
    assert all(j.next_check_at is None and not j.error_code for j in sent)
    assert all(j.error_code == capacity.SLOT_WAIT for j in parked)
    assert all(j.next_check_at > timezone.now() for j in parked)
    assert "Waiting for a free image slot" in parked[0].error_message
    assert list(capacity.waiting_jobs(5)) == [j.pk for j in parked]
    assert services.release(batch) == 0  # a full buffer: no more rows, still running
    batch.refresh_from_db()
    assert batch.status == Batch.Status.RUNNING
