"""Results on S3 (moto's standalone server over HTTP): streamed to the bucket in parts, never a
whole-body PUT nor the whole file in memory; a bucket that cannot take the file leaves the result
pending (tried again) and no half object behind.
"""

from __future__ import annotations

import os
import tracemalloc

import pytest
from botocore.exceptions import ClientError
from django.core.files.storage import storages
from django.utils import timezone

from flowdash.gallery.models import Media
from flowdash.jobs import downloads
from flowdash.jobs.handlers import media_from_item
from flowdash.jobs.models import Job
from flowdash.useapi.client import UseapiClient
from tests.gallery.test_storage_backends import PRO, VIDEO

pytestmark = pytest.mark.django_db

MB = 1 << 20


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    name = s3_server.new_bucket()
    s3_server.use(name, settings, monkeypatch)
    return name


@pytest.fixture
def sim(use_simulator, settings):
    settings.FLOWDASH_JOB_TIME_SCALE = use_simulator.state.settings.speed
    settings.PUBLIC_URL = ""
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


@pytest.fixture
def account(sim):
    from flowdash.accounts.models import FlowAccount

    return FlowAccount.objects.create(
        email="pr***@gmail.com", full_email=PRO, health="OK", paygate_tier="PAYGATE_TIER_ONE"
    )


def pending_video(sim, account, extra_mb: int) -> Media:
    """A finished video on the simulator, ``extra_mb`` MB larger than it makes them (trailing
    bytes after the MP4's boxes: still a playable file), recorded as a pending download."""
    with UseapiClient(sim.base_url, sim.token) as api:
        item = api.generate_videos("a long pan over a harbour", email=PRO, async_=False).media[0]
    path = sim.state.store.ensure(sim.state.store.get(item.media_generation_id))
    with path.open("ab") as fh:
        for _ in range(extra_mb):
            fh.write(b"\0" * MB)
    job = Job.objects.create(kind="video", params=VIDEO, account=account, status="completed")
    return media_from_item(job, item, Media.Kind.VIDEO)


class S3Calls:
    """The S3 operations boto3 makes through the storage's client, with their object keys."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.client = storages["default"].connection.meta.client
        self.client.meta.events.register("provide-client-params.s3.*", self.seen)

    def seen(self, params, model, **_kwargs) -> None:
        self.calls.append((model.name, params.get("Key", "")))

    def names(self, key_part: str) -> list[str]:
        return [name for name, key in self.calls if key_part in key]

    def close(self) -> None:
        self.client.meta.events.unregister("provide-client-params.s3.*", self.seen)


def test_a_large_result_is_streamed_to_the_bucket_in_parts(sim, account, bucket, s3_server):
    media = pending_video(sim, account, extra_mb=80)
    calls = S3Calls()
    tracemalloc.start()
    try:
        media = downloads.download(media)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        calls.close()

    assert media.download_status == Media.Download.STORED, media.download_error
    assert media.file_size > 80 * MB
    video_calls = [c for c in calls.names(media.file.name) if c not in ("HeadObject", "GetObject")]
    assert video_calls[0] == "CreateMultipartUpload" and video_calls[-1] == (
        "CompleteMultipartUpload"
    )
    assert video_calls.count("UploadPart") >= 5 and "PutObject" not in video_calls
    head = s3_server.client().head_object(Bucket=bucket, Key=media.file.name)
    assert head["ContentLength"] == media.file_size
    # Never the whole file in memory: a few parts at most (Python allocations, all threads).
    assert peak < 32 * MB, f"peak {peak / MB:.1f} MB while storing {media.file_size / MB:.0f} MB"


def test_a_result_the_bucket_cannot_take_stays_pending_and_is_stored_later(
    sim, account, s3_server, settings, monkeypatch
):
    missing = f"flowdash-not-made-yet-{timezone.now():%H%M%S%f}"
    s3_server.use(missing, settings, monkeypatch)
    media = pending_video(sim, account, extra_mb=0)

    media = downloads.download(media)

    assert media.download_status == Media.Download.PENDING
    assert "could not store" in media.download_error and not media.file
    assert media.next_download_at > timezone.now()  # another try is scheduled
    s3_server.client().create_bucket(Bucket=missing)
    Media.objects.filter(pk=media.pk).update(next_download_at=timezone.now())
    media = downloads.download(Media.objects.get(pk=media.pk))
    assert media.download_status == Media.Download.STORED, media.download_error
    assert sorted(s3_server.keys(missing)) == sorted([media.file.name, media.thumbnail.name])


def test_a_write_refused_mid_upload_leaves_no_object_and_is_tried_again(
    sim, account, bucket, s3_server
):
    media = pending_video(sim, account, extra_mb=24)
    client = storages["default"].connection.meta.client
    parts = []

    def bucket_full(params, **_kwargs) -> None:
        parts.append(params.get("PartNumber"))
        if len(parts) == 2:
            raise ClientError(
                {"Error": {"Code": "QuotaExceeded", "Message": "the bucket is full"}},
                "UploadPart",
            )

    client.meta.events.register("provide-client-params.s3.UploadPart", bucket_full)
    try:
        media = downloads.download(media)
    finally:
        client.meta.events.unregister("provide-client-params.s3.UploadPart", bucket_full)

    assert len(parts) >= 2
    assert media.download_status == Media.Download.PENDING and not media.file
    assert s3_server.keys(bucket) == []  # no half object visible
    assert s3_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    Media.objects.filter(pk=media.pk).update(next_download_at=timezone.now())
    media = downloads.download(Media.objects.get(pk=media.pk))
    assert media.download_status == Media.Download.STORED, media.download_error
    assert media.file.name in s3_server.keys(bucket)


def test_a_file_on_disk_is_uploaded_from_its_path_without_holding_its_parts(
    bucket, s3_server, tmp_path
):
    """boto3 reads each part of an open file into memory before sending it (three 5 MB parts
    at once with flowdash's transfer settings); a file on disk is sent from its path instead."""
    from django.core.files import File

    from flowdash.lib.object_storage import PART_SIZE

    path = tmp_path / "result.mp4"
    with path.open("wb") as fh:
        for _ in range(30):
            fh.write(os.urandom(MB))
    storage = storages["default"]
    storage.exists("warm-up")  # the client made before measuring
    calls = S3Calls()
    tracemalloc.start()
    try:
        with path.open("rb") as fh:
            name = storage.save("results/result.mp4", File(fh, name="result.mp4"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        calls.close()

    assert calls.names(name).count("UploadPart") == 6
    body = s3_server.client().get_object(Bucket=bucket, Key=name)["Body"].read()
    assert body == path.read_bytes()
    assert peak < PART_SIZE, f"peak {peak / MB:.1f} MB while storing 30 MB"
