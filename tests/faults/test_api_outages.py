"""The API refusing, hanging, throttling and turning requests away for minutes: jobs wait within
their deadline instead of failing, and each is paid for once."""

from __future__ import annotations

import time

import pytest

from flowdash.jobs.models import Job, JobAttempt
from tests.faults.conftest import (
    assert_none_failed,
    assert_outcome,
    new_images,
    new_videos,
    nominal,
)
from tests.faults.gate import BLACKHOLE, OPEN, REFUSE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _accepted(stack, job) -> int:
    """Paid POSTs the service took (2xx), as opposed to turned away (429/503)."""
    return sum(
        1 for e in stack.paid_posts(job) if isinstance(e["status"], int) and e["status"] < 300
    )


@pytest.mark.faults
def test_api_refusing_for_4_minutes(fault_stack):
    stack = fault_stack
    stack.gate.set_mode(REFUSE)
    jobs = new_videos("api refusing video", 3) + new_images("api refusing image", 3)
    time.sleep(nominal(240))
    assert_none_failed(jobs)
    stack.gate.set_mode(OPEN)

    stack.wait_finished(jobs, timeout=180)
    for job in jobs:
        assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    refused = JobAttempt.objects.filter(
        job__in=jobs, action="submit", outcome=JobAttempt.Outcome.NOT_DELIVERED
    ).count()
    assert refused >= len(jobs)  # each really tried during the outage, and waited
    stack.outcome("API refusing connections for 4 minutes", jobs, **{"refused tries": refused})


@pytest.mark.faults
def test_api_hanging_for_4_minutes(fault_stack):
    """Requests sent into the hang never reach the service: those jobs must not fail, and
    must not be sent twice; the ones that can tell nothing was sent go on by themselves."""
    stack = fault_stack
    stack.gate.set_mode(BLACKHOLE)
    jobs = new_videos("api hanging video", 3) + new_images("api hanging image", 3)
    time.sleep(nominal(240))
    stack.gate.set_mode(OPEN)
    after = new_videos("after the hang", 1)

    stack.wait_finished(after, timeout=180)
    stack.wait_for(
        lambda: (
            not Job.objects.filter(
                pk__in=[j.pk for j in jobs], status__in=[Job.Status.QUEUED, Job.Status.SUBMITTING]
            ).exists()
        ),
        "the hung jobs to settle",
        timeout=240,
    )
    for job in jobs:
        job.refresh_from_db()
        assert job.status in (Job.Status.COMPLETED, Job.Status.NEEDS_ATTENTION), job.status
        assert len(stack.paid_posts(job)) <= 1
        if job.status == Job.Status.COMPLETED:
            assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    assert_outcome(stack, after[0], status=Job.Status.COMPLETED, posts=1, media=1)
    lookups = JobAttempt.objects.filter(job__in=jobs, action="lookup").count()
    stack.outcome(
        "API hanging (accepts, never answers) for 4 minutes", jobs + after, lookups=lookups
    )


@pytest.mark.faults
def test_a_429_503_storm_of_3_minutes_fails_no_job(fault_stack, simulator):
    stack = fault_stack
    storm = [
        simulator.state.faults.add("unavailable", endpoint="videos"),
        simulator.state.faults.add("throttled", endpoint="images"),
    ]
    jobs = new_videos("storm video", 3) + new_images("storm image", 3)
    time.sleep(nominal(180))
    assert_none_failed(jobs)
    for fault in storm:
        simulator.state.faults.remove(fault.id)

    stack.wait_finished(jobs, timeout=240)
    turned_away = []
    for job in jobs:
        job.refresh_from_db()
        assert job.status == Job.Status.COMPLETED, (job.status, job.error_message)
        assert _accepted(stack, job) == 1
        turned_away.append(len(stack.paid_posts(job)) - 1)
        assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=len(stack.paid_posts(job)))
    stack.outcome(
        "429/503 storm of 3 minutes",
        jobs,
        **{
            "accepted POSTs per job": 1,
            "turned away per job": f"{min(turned_away)}-{max(turned_away)}",
        },
    )


def test_596_session_expired(fault_stack, simulator):
    stack = fault_stack
    simulator.state.faults.add("session_expired", endpoint="videos", times=1)
    [job] = new_videos("session expired")
    stack.wait_finished([job], timeout=60)
    assert_outcome(stack, job, status=Job.Status.FAILED, posts=1, media=0)
    assert "session" in job.error_message.lower()
    stack.outcome("596 session expired", [job])


def test_captcha_rejected(fault_stack, simulator):
    stack = fault_stack
    simulator.state.faults.add("captcha_rejected", endpoint="images", times=1)
    [job] = new_images("captcha rejected")
    stack.wait_finished([job], timeout=60)
    assert_outcome(stack, job, status=Job.Status.FAILED, posts=1, media=0)
    assert "captcha" in job.error_message.lower()
    stack.outcome("captcha rejected (403)", [job])
