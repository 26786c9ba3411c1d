"""Submitting never waits on the broker (design.md rule 9): with Redis black-holed (SIGSTOP) or
refusing connections, a studio submit still answers at once; the job row is the outbox and the
reconciler sends it when Redis is back. Each job is still submitted to the API exactly once.

A private redis-server, worker and beat (tests/integration/test_job_recovery.py's stack)."""

from __future__ import annotations

import signal
import time

import pytest

from flowdash.jobs.models import Job
from tests.integration.test_job_recovery import finished_with_file, stack, wait_for  # noqa: F401
from tests.jobs.test_studio_forms import image

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER_BOUND = 2.0  # seconds: the brief's bound for a submit whatever Redis does


def warm_up(client) -> None:
    """Load the URLconf, views and templates once, as a running web process has (a cold first
    request of this test process takes seconds on a loaded machine, Redis or not)."""
    assert client.get("/studio/").status_code == 200


def submit(client, n: int) -> tuple[Job, float]:
    started = time.monotonic()
    response = client.post("/studio/", image(prompt=f"a lighthouse {n}", count="1"))
    took = time.monotonic() - started
    assert response.status_code == 302, response.content.decode()[:500]
    return Job.objects.get(params__prompt=f"a lighthouse {n}"), took


def test_submits_answer_while_redis_is_black_holed_and_run_once_it_is_back(
    stack,  # noqa: F811
    simulator,
    client,
    creator_user,
):
    client.force_login(creator_user)
    logs = (stack.tmp / "worker.log", stack.tmp / "beat.log")
    warm_up(client)
    stack.redis.process.send_signal(signal.SIGSTOP)  # accepts connections, never answers
    try:
        answers = [submit(client, n) for n in range(3)]
    finally:
        stack.redis.process.send_signal(signal.SIGCONT)
    for job, took in answers:
        assert took < ANSWER_BOUND, f"a submit waited {took:.1f} s on a black-holed Redis"
        assert job.status in (Job.Status.QUEUED, Job.Status.SUBMITTING, Job.Status.RUNNING)
    for job, _ in answers:
        wait_for(lambda job=job: finished_with_file(job), f"job {job.pk} to complete", logs=logs)
    assert len(simulator.state.requests(method="POST", path="/images")) == 3


def test_submits_answer_while_redis_refuses_and_run_once_it_is_back(
    stack,  # noqa: F811
    simulator,
    client,
    creator_user,
):
    client.force_login(creator_user)
    logs = (stack.tmp / "worker.log", stack.tmp / "beat.log")
    warm_up(client)
    stack.redis.stop()  # connection refused
    try:
        answers = [submit(client, n) for n in range(3)]
    finally:
        stack.redis.start()  # same port, empty: every message sent meanwhile is gone
    for job, took in answers:
        assert took < ANSWER_BOUND, f"a submit waited {took:.1f} s on a refusing Redis"
        assert job.status in (Job.Status.QUEUED, Job.Status.SUBMITTING, Job.Status.RUNNING)
    for job, _ in answers:
        wait_for(lambda job=job: finished_with_file(job), f"job {job.pk} to complete", logs=logs)
    assert len(simulator.state.requests(method="POST", path="/images")) == 3
