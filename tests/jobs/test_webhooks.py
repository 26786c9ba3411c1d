"""The useapi webhook endpoint: a hint that only moves the next GET /jobs/{jobId} forward."""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone

from flowdash.jobs.models import Job
from flowdash.jobs.pipeline import dispatch, timing
from flowdash.jobs.queue import create_job
from tests.jobs import test_pipeline as pipeline
from tests.jobs.test_pipeline import PRO, posts, run, video_params

# the pipeline tests' fixtures
sim, accounts, api = pipeline.sim, pipeline.accounts, pipeline.api

pytestmark = pytest.mark.django_db


def hook_url(job: Job, token: str | None = None) -> str:
    return f"/hooks/useapi/{job.uuid}/{token or job.webhook_token()}/"


def send(client, url: str, body) -> object:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json")


def running_video(rows, client) -> Job:
    job = create_job("video", video_params(), requested_account=rows[PRO])
    return run(job, client, until=lambda j: j.status == Job.Status.RUNNING)


def gets(server, job: Job) -> int:
    return len(server.state.requests(method="GET", path=f"/jobs/{job.remote_job_id}"))


def test_a_forged_token_gets_the_same_404_as_an_unknown_job(client, accounts, api, sim):
    job = running_video(accounts, api)
    before = Job.objects.get(pk=job.pk)
    forged = send(client, hook_url(job, "not-the-token"), {"status": "completed"})
    unknown = send(client, f"/hooks/useapi/{uuid.uuid4()}/{job.webhook_token()}/", {})
    assert forged.status_code == unknown.status_code == 404
    assert forged.content == unknown.content
    after = Job.objects.get(pk=job.pk)
    assert (after.next_check_at, after.last_webhook_at) == (before.next_check_at, None)


def test_no_sign_in_and_no_csrf_token_are_needed(client, accounts, api, sim):
    job = running_video(accounts, api)
    client.enforce_csrf_checks = True
    answer = send(client, hook_url(job), {"status": "started", "jobid": job.remote_job_id})
    assert answer.status_code == 200
    before = job.next_check_at
    job.refresh_from_db()
    assert job.last_webhook_at is not None
    assert job.next_check_at == before  # "started" asks for nothing


def test_a_completed_hint_brings_the_check_forward_once(client, accounts, api, sim):
    job = running_video(accounts, api)
    assert job.next_check_at > timezone.now()
    sim.state.advance(600)  # the video is ready on the service
    assert send(client, hook_url(job), {"status": "completed"}).status_code == 200
    job.refresh_from_db()
    assert job.next_check_at <= timezone.now()
    job = dispatch.drive(job, api)
    assert job.status == Job.Status.COMPLETED
    checks = gets(sim, job)

    # duplicates and a late "started" change nothing and cost no request
    for body in ({"status": "completed"}, {"status": "started"}, {"status": "failed"}):
        assert send(client, hook_url(job), body).status_code == 200
        job = dispatch.drive(job, api)
    assert job.status == Job.Status.COMPLETED and gets(sim, job) == checks
    assert job.media.count() == 1


def test_a_failed_body_alone_cannot_fail_a_job(client, accounts, api, sim):
    job = running_video(accounts, api)
    send(client, hook_url(job), {"status": "failed", "error": "forged", "code": 500})
    job = dispatch.drive(job, api)
    assert job.status in (Job.Status.RUNNING, Job.Status.COMPLETED)
    assert "forged" not in job.error_message


def test_an_oversized_or_broken_body_is_still_only_a_hint(client, accounts, api, sim):
    job = running_video(accounts, api)
    big = b'{"status": "started", "pad": "' + b"x" * (300 * 1024) + b'"}'
    assert send(client, hook_url(job), big).status_code == 200
    assert send(client, hook_url(job), b"not json").status_code == 200
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING


def test_get_is_not_allowed(client, accounts, api, sim):
    job = running_video(accounts, api)
    assert client.get(hook_url(job)).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_callbacks_from_the_service_complete_a_job_with_one_check(
    live_server, settings, accounts, api, sim
):
    settings.PUBLIC_URL = live_server.url
    job = create_job("video", video_params(), requested_account=accounts[PRO])
    job = dispatch.drive(job, api)
    assert job.status == Job.Status.RUNNING
    body = posts(sim, "/videos")[0]["body"]
    assert body["replyUrl"] == f"{live_server.url}/hooks/useapi/{job.uuid}/{job.webhook_token()}/"
    # with webhooks on, polling is only a slow fallback
    assert timing.first_check_delay(job) > 2 * timing.expected_seconds(job) / 500

    job = run(job, api)
    assert job.status == Job.Status.COMPLETED
    assert job.last_webhook_at is not None
    assert gets(sim, job) == 1


def _died_after_sending(rows, api_client, kind: str = "video") -> tuple[Job, str]:
    """The state a worker killed right after POST /videos leaves: submitting, an attempt
    'sent', a lease of several minutes still running."""
    from datetime import timedelta

    from flowdash.jobs.kinds import Submission, handler_for
    from flowdash.jobs.models import JobAttempt

    job = create_job("video", video_params(), requested_account=rows[PRO])
    assert job.claim(Job.Status.QUEUED, 320, status=Job.Status.SUBMITTING)
    Job.objects.filter(pk=job.pk).update(account=rows[PRO], submit_attempts=1)
    job.refresh_from_db()
    JobAttempt.objects.create(job=job, number=1, action="submit")
    answer = handler_for(kind).submit(Submission(job, reply_ref=job.webhook_token()), api_client)
    assert job.lease_until > timezone.now() + timedelta(seconds=300)
    return job, answer.job_id


def test_a_webhook_for_a_job_held_by_a_dead_worker_cuts_its_lease(
    client, accounts, api, sim, settings
):
    settings.FLOWDASH_HINT_GRACE_SECONDS = 0.3
    job, remote_id = _died_after_sending(accounts, api)
    assert dispatch.drive(job, api).status == Job.Status.SUBMITTING  # leased: hands off

    answer = send(client, hook_url(job), {"status": "created", "jobId": remote_id})
    assert answer.status_code == 200
    job.refresh_from_db()
    left = (job.lease_until - timezone.now()).total_seconds()
    assert left <= 0.3  # minutes of lease cut to the grace
    import time

    time.sleep(0.35)
    assert [pk for pk, _ in dispatch.due_job_rows()] == [job.pk]  # the reconciler takes it
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED, job.attention_reason
    assert job.remote_job_id == remote_id and job.media.count() == 1
    assert len(posts(sim, "/videos")) == 1  # found by the hint, never sent again


def test_a_webhook_without_a_recorded_submission_keeps_the_lease(client, accounts, api, sim):
    """A job claimed but not yet sent (uploading its references, say) must keep its lease:
    taking it over then could send it twice."""
    job = create_job("video", video_params(), requested_account=accounts[PRO])
    assert job.claim(Job.Status.QUEUED, 320, status=Job.Status.SUBMITTING)
    lease = Job.objects.get(pk=job.pk).lease_until
    send(client, hook_url(job), {"status": "completed", "jobId": "forged-id"})
    job.refresh_from_db()
    assert job.lease_until == lease and job.status == Job.Status.SUBMITTING
