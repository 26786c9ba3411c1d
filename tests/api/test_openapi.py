"""The OpenAPI document is valid OpenAPI (checked by openapi-spec-validator), and every path in
it answers an authenticated call — with real ids, and with bodies that are empty or wrong —
without a 500."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openapi_spec_validator import validate

from flowdash.assets.services import store_asset
from flowdash.batches.parsing import pasted
from flowdash.batches.services import create_draft
from flowdash.jobs.queue import create_job
from tests.api.conftest import bearer
from tests.gallery.factories import make_media, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi(document):
    validate(document)  # raises on any schema violation
    assert document["info"]["title"] == "flowdash API"
    assert document["components"]["securitySchemes"]["KeyAuth"]["scheme"] == "bearer"
    paths = set(document["paths"])
    for expected in (
        "/api/v1/me",
        "/api/v1/jobs",
        "/api/v1/jobs/image",
        "/api/v1/jobs/video",
        "/api/v1/jobs/image-upscale",
        "/api/v1/jobs/video-upscale",
        "/api/v1/jobs/extend",
        "/api/v1/jobs/gif",
        "/api/v1/jobs/concatenate",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/cancel",
        "/api/v1/media",
        "/api/v1/media/{media_id}/file",
        "/api/v1/assets",
        "/api/v1/accounts",
        "/api/v1/load-balancing",
        "/api/v1/captcha",
        "/api/v1/batches",
        "/api/v1/batches/{batch_id}",
        "/api/v1/batches/{batch_id}/start",
    ):
        assert expected in paths


def test_every_path_answers_an_authenticated_call_without_a_500(
    client, document, admin_user, make_key, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    _, raw = make_key(admin_user, ["read", "generate", "admin"])
    image = make_media(created_by=admin_user)
    video = make_media(kind="video", model="veo-3.1-fast", created_by=admin_user)
    job = create_job("image", {"prompt": "a fox", "count": 1, "references": []}, user=admin_user)
    asset = store_asset(
        SimpleUploadedFile("a.png", png_bytes()), name="a.png", size=len(png_bytes())
    ).asset
    batch = create_draft(admin_user, "paste", pasted("a lighthouse\na harbour"), {"kind": "image"})
    ids = {"job_id": job.pk, "media_id": image.pk, "asset_id": asset.pk, "batch_id": batch.pk}
    bodies = [
        {},
        {"prompt": "a quiet harbour at dawn"},
        {"prompt": "x", "nonsense": 1},
        {"media": image.pk, "prompt": "then it rains"},
        {"media": video.pk},
        {"clips": [{"media": video.pk}, {"media": video.pk, "trim_end": 1}]},
        {"prompt": "x", "count": "many", "seed": -1, "references": ["asset:99999999999999999999"]},
    ]
    statuses = []
    for path, operations in document["paths"].items():
        for method in operations:
            for values in (ids, {k: 2**63 - 1 for k in ids}, {k: 2**64 for k in ids}):
                url = re.sub(r"\{(\w+)\}", lambda m, v=values: str(v[m.group(1)]), path)
                if method == "get":
                    answers = [client.get(url, **bearer(raw))]
                    answers.append(client.get(url, {"page": "x", "per": "1e999"}, **bearer(raw)))
                else:
                    answers = [
                        client.post(url, body, content_type="application/json", **bearer(raw))
                        for body in bodies
                    ]
                for answer in answers:
                    statuses.append((method, url, answer.status_code))
                    assert answer.status_code < 500, (method, url, answer.content[:300])
                    if answer.status_code >= 400:
                        assert set(answer.json()) == {"error"}, (method, url, answer.content)
    assert {s for _, _, s in statuses} >= {200, 201, 400, 404}
