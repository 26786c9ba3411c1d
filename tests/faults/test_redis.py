"""Redis wiped, restarted empty, refusing and black-holed: the job rows are the truth, so no job
is lost or sent twice, and people's submits answer at once whatever Redis does."""

from __future__ import annotations

import time

import pytest
import redis as redis_py

from flowdash.accounts.models import FlowAccount
from flowdash.jobs.models import Job
from tests.faults.conftest import assert_outcome, new_videos, nominal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration, pytest.mark.faults]

IN_FLIGHT = 20


def _running_some(jobs) -> bool:
    return Job.objects.filter(pk__in=[j.pk for j in jobs], status=Job.Status.RUNNING).count() >= 5


def _finish_all(stack, jobs) -> None:
    stack.wait_finished(jobs, timeout=180)
    for job in jobs:
        assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)


def test_flushall_with_20_jobs_in_flight(fault_stack):
    stack = fault_stack
    jobs = new_videos("redis flushed", IN_FLIGHT)
    stack.wait_for(lambda: _running_some(jobs), "some of the videos to run")
    redis_py.Redis.from_url(stack.redis.url).flushall()  # messages, timers, marks: all gone

    _finish_all(stack, jobs)
    stack.outcome("Redis FLUSHALL with 20 jobs in flight", jobs)


def test_redis_restarted_empty_with_20_jobs_in_flight(fault_stack):
    stack = fault_stack
    jobs = new_videos("redis restarted", IN_FLIGHT)
    stack.wait_for(lambda: _running_some(jobs), "some of the videos to run")
    stack.redis.stop()
    stack.redis.start()  # same port, empty (no persistence)

    _finish_all(stack, jobs)
    stack.outcome("Redis restarted empty with 20 jobs in flight", jobs)


def _studio_client(client, make_user, simulator):
    for email in simulator.state.accounts:
        local, _, domain = email.partition("@")
        FlowAccount.objects.create(email=f"{local[:2]}***@{domain}", full_email=email, health="OK")
    client.force_login(make_user("sam", "creator"))
    return client


def _warm_up(client, label: str) -> Job:
    """One submit while Redis is fine: the page's first render is not what is measured."""
    job, _ = _submit(client, f"{label} before")
    return job


def _submit(client, prompt: str) -> tuple[Job, float]:
    started = time.monotonic()
    response = client.post(
        "/studio/",
        {
            "tab": "video",
            "prompt": prompt,
            "model": "veo-3.1-fast",
            "aspect_ratio": "landscape",
            "count": "1",
            "seed": "",
            "mode": "text",
            "account": "",
        },
    )
    took = time.monotonic() - started
    assert response.status_code in (200, 302), response.status_code
    return Job.objects.get(params__prompt=prompt), took


def _submit_during(stack, client, label: str, outage: float) -> tuple[list[Job], list[float]]:
    """People press Generate every couple of seconds while Redis is out; each answer's time."""
    took, jobs = [], []
    end = time.monotonic() + outage
    number = 0
    while time.monotonic() < end:
        number += 1
        job, seconds = _submit(client, f"{label} #{number}")
        jobs.append(job)
        took.append(seconds)
        time.sleep(max(0.0, 2.0 - seconds))
    return jobs, took


OUTAGE = max(nominal(120), 15.0)  # "2 minutes", at least long enough for several submits


def test_redis_refusing_while_people_submit(fault_stack, client, make_user, simulator):
    stack = fault_stack
    client = _studio_client(client, make_user, simulator)
    first = _warm_up(client, "redis refusing")
    stack.redis.stop()  # nothing listens: connection refused
    try:
        jobs, took = _submit_during(stack, client, "redis refusing", OUTAGE)
    finally:
        stack.redis.start()
    jobs.insert(0, first)

    assert max(took) < 2.0, [round(t, 2) for t in took]
    _finish_all(stack, jobs)
    stack.outcome(
        "Redis refusing while people submit",
        jobs,
        **{"slowest submit s": round(max(took), 2)},
    )


def test_redis_black_holed_while_people_submit(fault_stack, client, make_user, simulator):
    stack = fault_stack
    client = _studio_client(client, make_user, simulator)
    first = _warm_up(client, "redis black-holed")
    stack.pause_redis()  # SIGSTOP: connections are accepted by the kernel, nothing answers
    try:
        jobs, took = _submit_during(stack, client, "redis black-holed", OUTAGE)
    finally:
        stack.resume_redis()
    jobs.insert(0, first)

    assert max(took) < 2.0, [round(t, 2) for t in took]
    _finish_all(stack, jobs)
    stack.outcome(
        "Redis black-holed (SIGSTOP) while people submit",
        jobs,
        **{"slowest submit s": round(max(took), 2)},
    )
