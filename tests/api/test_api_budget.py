"""The REST API cannot get around a person's daily credit limit: the same check as the studio."""

from __future__ import annotations

import json

import pytest

from flowdash.jobs.models import Job
from flowdash.spending.models import JobCharge, PersonLimit
from tests.api.conftest import bearer
from tests.jobs.test_pipeline import PRO

pytestmark = pytest.mark.django_db

QUALITY = {"prompt": "a storm over the sea", "model": "veo-3.1-quality", "mode": "text"}


def post_video(client, key, **fields):
    body = json.dumps({**QUALITY, **fields})
    return client.post("/api/v1/jobs/video", body, content_type="application/json", **bearer(key))


def test_a_job_over_the_limit_is_refused_in_words_and_one_within_it_is_priced(
    client, creator_user, make_key, accounts
):
    PersonLimit.objects.create(user=creator_user, daily_credits=400)
    key = make_key(creator_user, ["read", "generate"])[1]
    account = accounts[PRO].pk

    made = post_video(client, key, count=1, account=account)
    assert made.status_code == 201, made.content
    charge = JobCharge.objects.get(job_id=made.json()["id"])
    assert charge.credits == 100  # Veo 3.1 Quality, one video, as the catalog prices it

    refused = post_video(client, key, count=4, account=account)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "over_budget"
    assert error["message"].startswith("This would spend 400 credits; you have 300 left today")
    assert Job.objects.count() == 1
