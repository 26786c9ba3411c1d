"""Every Google account quarantined (supplement §1.2): a 429 ``no_eligible_account`` with
``Retry-After: 120`` is honoured — nothing is sent for 120 s of the simulated clock, the job card
and the load-balancing page say "All accounts are resting until hh:mm", and the job then
completes with one more request."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from flowdash.accounts.models import FlowAccount
from flowdash.jobs.models import Job
from flowdash.jobs.pipeline import dispatch
from flowdash.jobs.queue import create_job
from flowdash.useapi.client import UseapiClient
from tests.jobs.test_pipeline import run

pytestmark = pytest.mark.django_db
PRO = "pro.studio@gmail.com"
WAIT = 120


@pytest.fixture
def sim(use_simulator, settings, tmp_path):
    # The pipeline's clock runs 30× faster than the real service's: 120 s pass in 4 s, long
    # enough to look at the pages while the job waits.
    settings.FLOWDASH_JOB_TIME_SCALE = 30
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PUBLIC_URL = ""
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


@pytest.fixture
def account(sim):
    return FlowAccount.objects.create(
        email="pr***@gmail.com", full_email=PRO, health="OK", paygate_tier="PAYGATE_TIER_ONE"
    )


def video_posts(sim) -> list[dict]:
    return sim.state.requests(path="/videos", method="POST")


def test_no_eligible_account_waits_out_retry_after_then_completes(
    sim, account, settings, client, admin_user
):
    scale = float(settings.FLOWDASH_JOB_TIME_SCALE)
    api = UseapiClient(sim.base_url, sim.token, era=sim.state.era)
    sim.state.faults.add("no_eligible_account", endpoint="videos", times=1, retryAfter=WAIT)
    job = create_job(
        "video",
        {"prompt": "rain on a tin roof", "model": "veo-3.1-fast", "mode": "text", "count": 1},
        user=admin_user,
        requested_account=account,
    )
    sim_client = api
    job = dispatch.drive(job, sim_client)
    assert job.status == Job.Status.QUEUED and job.error_status == 429
    assert job.error_reason == "no_eligible_account"
    assert len(video_posts(sim)) == 1

    # The card and the load-balancing page say until when, in the person's time.
    until = timezone.localtime(job.next_check_at).strftime("%H:%M")
    client.force_login(admin_user)
    card = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f"All accounts are resting until {until}" in card
    page = client.get("/load-balancing/").content.decode()
    assert f"All accounts are resting until {until}" in page

    # Nothing is sent before then, however often the worker looks (stopping a little before the
    # moment itself: a look that starts just before it may end just after, and then it sends).
    while timezone.now() < job.next_check_at - timedelta(seconds=0.3):
        job = dispatch.drive(job, sim_client)
        assert len(video_posts(sim)) == 1
        time.sleep(0.01)

    job = run(job, sim_client)
    assert job.status == Job.Status.COMPLETED
    posts = video_posts(sim)
    assert len(posts) == 2  # the one refused, the one that made the video
    first, second = (datetime.fromisoformat(p["time"]) for p in posts)
    # 120 s of the simulated clock passed between the two (the simulator runs ``scale`` × faster)
    assert (second - first).total_seconds() * scale >= WAIT
    assert "resting" not in Job.objects.get(pk=job.pk).status_words
    assert "resting" not in client.get("/load-balancing/").content.decode()
