"""The "batch finished" and "spending limit reached" notifications: once per happening."""

from __future__ import annotations

import pytest

from flowdash.batches import services
from flowdash.batches.models import Batch
from flowdash.jobs.models import Job
from flowdash.notify.models import Event, EventKind
from flowdash.spending.models import PersonLimit
from flowdash.spending.services import create_priced_job
from tests.jobs.test_pipeline import PRO

pytestmark = pytest.mark.django_db


def test_a_batch_announces_its_finish_once(client, creator_user, accounts, settings):
    settings.FLOWDASH_BATCH_BUFFER = 10
    client.force_login(creator_user)
    form = {"source": "paste", "prompts": "a kite\na boat", "kind": "image", "count": "1"}
    client.post("/batches/", {**form, "aspect_ratio": "landscape"})
    batch = Batch.objects.get()
    assert services.start(batch) == 2
    assert not Event.objects.filter(kind=EventKind.BATCH_FINISHED).exists()  # rows still queued
    Job.objects.update(status=Job.Status.COMPLETED)
    batch.refresh_from_db()
    services.release(batch)
    services.release(batch)  # a second pass (beat) announces nothing new
    event = Event.objects.get(kind=EventKind.BATCH_FINISHED)
    assert event.owner_id == creator_user.pk
    assert f"Batch #{batch.pk} finished: 2 completed, 0 failed" == event.title
    assert Batch.objects.get().status == Batch.Status.DONE


def test_the_charge_that_uses_up_the_limit_announces_it_once_a_day(creator_user, accounts):
    PersonLimit.objects.create(user=creator_user, daily_credits=200)
    video = {"prompt": "a storm", "model": "veo-3.1-quality", "aspect_ratio": "landscape",
             "count": 1, "mode": "text"}  # fmt: skip
    create_priced_job("video", video, user=creator_user, requested_account=accounts[PRO])
    assert not Event.objects.filter(kind=EventKind.SPENDING_LIMIT).exists()  # 100 of 200
    create_priced_job("video", video, user=creator_user, requested_account=accounts[PRO])
    event = Event.objects.get(kind=EventKind.SPENDING_LIMIT)
    assert "reached the daily limit of 200 credits" in event.title
    # A free job afterwards (images cost nothing) announces nothing more.
    create_priced_job("image", {"prompt": "a cat", "count": 1, "references": []}, user=creator_user)
    assert Event.objects.filter(kind=EventKind.SPENDING_LIMIT).count() == 1
