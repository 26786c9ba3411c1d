"""A script's view of flowdash: with a ``generate`` key, make an image and a video through the
API, follow them to completion (a real Celery worker process and the simulator over HTTP), list
the media and download a file with a Range request; a ``read`` key cannot create; a revoked
key is refused."""

from __future__ import annotations

import time

import pytest

from flowdash.accounts.models import FlowAccount
from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from tests.api.conftest import bearer
from tests.integration.test_job_recovery import own_stack

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(simulator, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    extra = {"FLOWDASH_DATA_DIR": str(tmp_path)}
    with own_stack(simulator, tmp_path, settings, beat=False, **extra) as (_r, worker, _b, _e):
        for email in simulator.state.accounts:
            local, _, domain = email.partition("@")
            FlowAccount.objects.create(
                email=f"{local[:2]}***@{domain}", full_email=email, health="OK"
            )
        yield worker


def follow(client, key: str, job_id: int, timeout: float = 120.0) -> dict:
    """Poll GET /api/v1/jobs/{id} as a script would, until the job and its files are done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(f"/api/v1/jobs/{job_id}", **bearer(key))
        assert answer.status_code == 200
        job = answer.json()
        if job["status"] in ("failed", "cancelled", "needs_attention"):
            raise AssertionError(f"job {job_id} ended {job['status']}: {job['error_message']}")
        if job["files_ready"]:
            stored = Media.objects.filter(pk__in=job["media"], download_status="stored")
            assert stored.count() == len(job["media"]) > 0
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not complete in {timeout} s")


def test_a_script_makes_an_image_and_a_video_and_downloads_them(
    client, worker, simulator, creator_user, make_key
):
    _, key = make_key(creator_user, ["read", "generate"])
    image = client.post(
        "/api/v1/jobs/image",
        {"prompt": "a red bicycle against a blue wall", "count": 2, "seed": 7},
        content_type="application/json",
        **bearer(key),
    )
    assert image.status_code == 201, image.content
    assert image.json()["status"] == "queued" and image.json()["kind"] == "image"
    video = client.post(
        "/api/v1/jobs/video",
        {"prompt": "waves rolling onto a beach", "model": "veo-3.1-fast"},
        content_type="application/json",
        **bearer(key),
    )
    assert video.status_code == 201, video.content

    done_image = follow(client, key, image.json()["id"])
    done_video = follow(client, key, video.json()["id"])
    assert len(done_image["media"]) == 2 and len(done_video["media"]) == 1
    # each was sent to the API once
    assert len(simulator.state.requests(method="POST", path="/images")) == 1
    assert len(simulator.state.requests(method="POST", path="/videos")) == 1
    assert Job.objects.get(pk=done_image["id"]).requested_by == creator_user

    listed = client.get("/api/v1/media", {"scope": "mine", "per": 24}, **bearer(key))
    assert listed.status_code == 200
    items = {m["id"]: m for m in listed.json()["items"]}
    assert set(done_image["media"]) | set(done_video["media"]) <= set(items)
    videos = client.get("/api/v1/media", {"kind": "video"}, **bearer(key)).json()["items"]
    assert [m["id"] for m in videos] == done_video["media"]

    media = Media.objects.get(pk=done_video["media"][0])
    whole = media.file.open("rb").read()
    media.file.close()
    assert len(whole) > 2000
    url = items[media.pk]["file_url"]
    part = client.get(url, HTTP_RANGE="bytes=100-1099", **bearer(key))
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-1099/{len(whole)}"
    assert b"".join(part.streaming_content) == whole[100:1100]
    full = client.get(url, **bearer(key))
    assert full.status_code == 200 and b"".join(full.streaming_content) == whole


def test_a_read_key_cannot_create_and_a_revoked_key_is_refused(
    client, worker, simulator, creator_user, make_key
):
    read_row, read_key = make_key(creator_user, ["read"])
    body = {"prompt": "a lighthouse in fog"}
    refused = client.post(
        "/api/v1/jobs/image", body, content_type="application/json", **bearer(read_key)
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "scope"

    gen_row, gen_key = make_key(creator_user, ["generate"])
    gen_row.revoke()
    revoked = client.post(
        "/api/v1/jobs/image", body, content_type="application/json", **bearer(gen_key)
    )
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "revoked_key"
    time.sleep(1.0)  # give a wrongly created job time to be sent
    assert not Job.objects.exists()
    assert simulator.state.requests(method="POST", path="/images") == []


def readme_block(heading: str) -> str:
    from tests.conftest import ROOT

    text = (ROOT / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_script_makes_an_image_and_saves_it(
    live_server, worker, creator_user, make_key, tmp_path, monkeypatch
):
    _, key = make_key(creator_user, ["read", "generate"])
    script = readme_block("## Use flowdash from a script")
    assert len(script.strip().splitlines()) <= 12
    script = script.replace("http://127.0.0.1:8000", live_server.url).replace("fdk_…", key)
    monkeypatch.chdir(tmp_path)
    exec(compile(script, "README.md", "exec"), {})  # noqa: S102 — the README's own example
    job = Job.objects.get(requested_by=creator_user)
    assert job.status == Job.Status.COMPLETED
    for media in job.media.all():
        saved = (tmp_path / f"flowdash-{media.pk}.png").read_bytes()
        with media.file.open("rb") as stored:
            assert saved == stored.read()
