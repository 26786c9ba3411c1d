"""The System page's figures from the database (jobs, the API's answers) and from Redis (queues,
beat, the reconciler), for admins only; an htmx refresh renders only its region."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from flowdash.jobs.models import Job, JobAttempt
from flowdash.lib.ports import free_port
from flowdash.system import engine

pytestmark = pytest.mark.django_db


def attempt(job: Job, number: int, status: int | None, minutes_ago: float = 5) -> None:
    row = JobAttempt.objects.create(job=job, number=number, http_status=status)
    JobAttempt.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_only_admins_see_the_system_page(client, make_user):
    for role in ("viewer", "creator"):
        client.force_login(make_user(role, role))
        assert client.get(reverse("system:index")).status_code == 403


def test_jobs_by_state_the_oldest_waiting_and_the_apis_answers_of_the_last_hour(
    admin_client, use_broker
):
    use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens: figures say so
    old = Job.objects.create(kind="video", status="queued")
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=7))
    Job.objects.create(kind="image", status="queued")
    done = Job.objects.create(kind="image", status="completed")
    attempt(done, 1, 200)
    attempt(done, 2, 429)
    attempt(done, 3, 429)
    attempt(done, 4, None)  # no answer
    attempt(done, 5, 500, minutes_ago=90)  # older than an hour: not counted

    page = admin_client.get(reverse("system:index")).content.decode()

    assert "<td>Queued</td><td>2</td>" in page and "<td>Completed</td><td>1</td>" in page
    assert "Oldest waiting job queued 7 min ago" in page
    assert "4 requests, 75.0% not successful" in page
    assert "<td>429</td><td>2</td><td>50.0%</td>" in page
    assert "<td>no answer</td><td>1</td><td>25.0%</td>" in page
    assert "<td>500</td>" not in page
    assert "Redis did not answer" in page
    assert "No worker has sent a heartbeat — 2 jobs waiting." in page


@pytest.fixture
def private_redis():
    from tests.conftest import start_redis

    server = start_redis()
    yield server
    server.stop()


def test_beat_and_the_reconciler_as_recorded_in_redis(admin_client, private_redis, use_broker):
    use_broker(private_redis.url)
    client = engine.redis_client()
    page = admin_client.get(reverse("system:index")).content.decode()
    assert "beat has not been seen since Redis started" in page
    assert "has not run since Redis started" in page

    engine.record_beat_tick()
    engine.record_reconciler_run({"jobs": 3, "downloads": 1})
    engine.record_reconciler_run({"jobs": 2, "downloads": 0})
    client.lpush("flowdash.steps", "a message waiting")
    response = admin_client.get(
        reverse("system:index"), headers={"HX-Request": "true", "HX-Target": "engine"}
    )
    page = response.content.decode()
    assert "<html" not in page and 'id="engine"' in page
    assert "Beat:</strong> last tick 0 s ago" in page
    assert "re-drove 2 jobs and 0 downloads; in the last hour 2 runs re-drove 5 jobs" in page
    assert "<td><code>flowdash.steps</code></td><td>1</td>" in page
