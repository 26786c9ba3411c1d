"""Bad input to the API: a clear error in one shape, the right status, nothing created."""

from __future__ import annotations

import json

import pytest

from flowdash.jobs.models import Job
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(creator_user, make_key):
    return make_key(creator_user, ["read", "generate"])[1]


def post(client, key, path, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **bearer(key), **extra)


def test_unknown_fields_in_a_job_body_are_400_naming_them(client, key):
    response = post(
        client, key, "/api/v1/jobs/image", {"prompt": "a cat", "colour": "red", "steps": 3}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_field"
    assert "colour" in error["message"] and "steps" in error["message"]
    assert error["field"] in ("colour", "steps")
    assert not Job.objects.exists()


def test_the_forms_words_come_back_with_the_field(client, key):
    response = post(client, key, "/api/v1/jobs/image", {"prompt": "  "})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Write a prompt: the API needs one.",
        "field": "prompt",
    }
    response = post(client, key, "/api/v1/jobs/video", {"prompt": "a kite", "mode": "frames"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "start"
    assert not Job.objects.exists()


def test_a_10_mb_body_is_413(client, key):
    body = json.dumps({"prompt": "x" * (10 * 1024 * 1024)})
    response = post(client, key, "/api/v1/jobs/image", body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "body",
    ["{not json", "[]", '{"prompt": "a", "count": 99}', '{"prompt": "a", "seed": 1e999}'],
)
def test_malformed_bodies_are_400(client, key, body):
    response = post(client, key, "/api/v1/jobs/image", body)
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"error"}
    assert not Job.objects.exists()


@pytest.mark.parametrize("job_id", ["99999999", str(2**63), str(2**64), "-1", "²"])
def test_unknown_or_absurd_ids_are_404_or_400(client, key, job_id):
    response = client.get(f"/api/v1/jobs/{job_id}", **bearer(key))
    assert response.status_code in (400, 404)
    assert set(response.json()) == {"error"}


def test_a_job_of_someone_else_cannot_be_cancelled(client, key, admin_user):
    from flowdash.jobs.queue import create_job

    job = create_job("image", {"prompt": "theirs", "count": 1, "references": []}, user=admin_user)
    response = client.post(f"/api/v1/jobs/{job.pk}/cancel", **bearer(key))
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
