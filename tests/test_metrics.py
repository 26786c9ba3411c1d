"""``/metrics``: Prometheus text behind a bearer token, whose figures are the database's.

A completed and a failed job go through the pipeline against the simulator over real HTTP;
the scrape is parsed with prometheus-client's own text parser and compared with the rows.
"""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from flowdash.gallery.models import Media
from flowdash.jobs.models import Job, JobAttempt
from flowdash.jobs.queue import create_job
from flowdash.useapi.client import UseapiClient
from tests.gallery.test_storage_backends import IMAGE, PRO
from tests.jobs.test_pipeline import masked, run

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-0123456789"


@pytest.fixture
def sim(use_simulator, settings, tmp_path):
    settings.FLOWDASH_JOB_TIME_SCALE = use_simulator.state.settings.speed
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PUBLIC_URL = ""
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


@pytest.fixture
def accounts(sim):
    from flowdash.accounts.models import FlowAccount

    return {
        email: FlowAccount.objects.create(
            email=masked(email), full_email=email, health="OK", paygate_tier=tier
        )
        for email, tier in (
            (PRO, "PAYGATE_TIER_ONE"),
            ("ultra.creator@gmail.com", "PAYGATE_TIER_TWO"),
        )
    }


@pytest.fixture
def api(sim):
    with UseapiClient(sim.base_url, sim.token) as client:
        yield client


@pytest.fixture
def metrics_token(settings):
    settings.FLOWDASH_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token: str = TOKEN) -> dict[str, dict[tuple, float]]:
    response = client.get(reverse("system:metrics"), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


def test_metrics_need_the_bearer_token(client, metrics_token, admin_user):
    url = reverse("system:metrics")
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get(url, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    client.force_login(admin_user)  # a session is not a token
    response = client.get(url)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN.encode() not in response.content


def test_metrics_are_refused_when_no_token_is_configured(client, settings):
    settings.FLOWDASH_METRICS_TOKEN = None
    response = client.get(reverse("system:metrics"), headers={"Authorization": "Bearer "})
    assert response.status_code == 401


def test_after_a_completed_and_a_failed_job_the_counters_match_the_database(
    client, metrics_token, sim, accounts, api
):
    done = run(create_job("image", IMAGE, requested_account=accounts[PRO]), api)
    sim.state.faults.add("unsafe", endpoint="images", times=1)
    failed = run(create_job("image", {**IMAGE, "seed": 9}, requested_account=accounts[PRO]), api)
    assert done.status == Job.Status.COMPLETED and failed.status == Job.Status.FAILED

    samples = scrape(client)

    jobs = samples["flowdash_jobs"]
    for kind, _ in Job.Kind.choices:
        for status, _ in Job.Status.choices:
            expected = Job.objects.filter(kind=kind, status=status).count()
            assert jobs[(("kind", kind), ("state", status))] == expected
    assert jobs[(("kind", "image"), ("state", "completed"))] == 1
    assert jobs[(("kind", "image"), ("state", "failed"))] == 1

    submissions = samples["flowdash_submissions_total"]
    assert sum(submissions.values()) == JobAttempt.objects.filter(action="submit").count() == 2
    for attempt in JobAttempt.objects.filter(action="submit"):
        key = (("outcome", attempt.outcome), ("status", str(attempt.http_status or "none")))
        assert submissions[key] >= 1
    assert any(dict(k)["status"] == "400" for k in submissions)  # the refused prompt

    took = samples["flowdash_submit_to_result_seconds_count"][()]
    assert took == 1  # only the completed job has a result
    assert samples["flowdash_submit_to_result_seconds_sum"][()] == pytest.approx(
        (done.finished_at - done.submitted_at).total_seconds(), abs=0.01
    )
    stored = Media.objects.filter(download_status="stored").aggregate(size=Sum("file_size"))
    assert samples["flowdash_download_bytes_total"][()] == stored["size"] > 0
    from flowdash.accounts.models import FlowAccount

    for state, _ in FlowAccount.State.choices:
        expected = FlowAccount.objects.filter(state=state, removed_at__isnull=True).count()
        assert samples["flowdash_accounts"][(("state", state),)] == expected
    assert sum(samples["flowdash_accounts"].values()) == len(accounts)


def test_request_latency_counts_the_requests_answered(client, metrics_token):
    key = (("method", "GET"), ("status", "2xx"))
    before = scrape(client).get("flowdash_http_request_duration_seconds_count", {}).get(key, 0)
    client.get(reverse("dashboard:healthz"))
    after = scrape(client)["flowdash_http_request_duration_seconds_count"][key]
    assert after - before == 2  # the first scrape and the health check, answered since
