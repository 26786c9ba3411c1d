"""Media on every kind of storage: the file system, and S3 (moto's standalone server over HTTP,
through django-storages and boto3), where ``storage.path()`` raises NotImplementedError.

What a user does — results from the API (the simulator over real HTTP) stored with their
thumbnails, the gallery's file, thumbnail and download views (with Range), a collection's zip
(streamed from the storage), post-production that reads a video with PyAV, GIFs, joined clips,
``check_storage`` — works on both, and on S3 leaves no file on the local disk.
"""

from __future__ import annotations

import base64
import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from flowdash.accounts.models import FlowAccount
from flowdash.gallery.models import Collection, CollectionItem, Lineage, Media
from flowdash.gallery.services import download_name
from flowdash.jobs.handlers import media_from_item
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from flowdash.lib.media_files import video_facts
from flowdash.lib.storage_files import local_path
from flowdash.useapi.client import UseapiClient
from flowdash.useapi.types import MediaItem
from tests.gallery.factories import make_media, mp4_bytes, png_bytes
from tests.jobs.test_pipeline import run

pytestmark = pytest.mark.django_db

ULTRA = "ultra.creator@gmail.com"
PRO = "pro.studio@gmail.com"


@pytest.fixture(autouse=True, params=["filesystem", "s3"])
def scratch(request, settings, media_root, tmp_path, monkeypatch):
    """The media storage of the test (the file system under MEDIA_ROOT, or a fresh bucket on
    the S3 server); temporary files go to a folder we can inspect, which is returned."""
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_server")
        s3.use(s3.new_bucket(), settings, monkeypatch)
    else:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    if request.param == "s3":
        with pytest.raises(NotImplementedError):  # no local paths: code must not rely on them
            default_storage.path("media/probe.txt")
    return folder


def on_file_system() -> bool:
    return isinstance(storages["default"], FileSystemStorage)


def no_local_files(media_root: Path, scratch: Path) -> list[Path]:
    """Files left on the local disk that should not be: no temporary copies or partial
    downloads anywhere, and on S3 nothing at all under MEDIA_ROOT."""
    roots = [scratch, Path(media_root) / "tmp"]
    if not on_file_system():
        roots.append(Path(media_root))
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


# --- the API's results, through the job pipeline ---------------------------------------------


@pytest.fixture
def sim(use_simulator, settings):
    settings.FLOWDASH_JOB_TIME_SCALE = use_simulator.state.settings.speed
    settings.PUBLIC_URL = ""
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


@pytest.fixture
def accounts(sim):
    rows = {}
    for email, tier in ((ULTRA, "PAYGATE_TIER_TWO"), (PRO, "PAYGATE_TIER_ONE")):
        local, _, domain = email.partition("@")
        rows[email] = FlowAccount.objects.create(
            email=f"{local[:2]}***@{domain}", full_email=email, health="OK", paygate_tier=tier
        )
    return rows


@pytest.fixture
def api(sim):
    with UseapiClient(sim.base_url, sim.token) as client:
        yield client


IMAGE = {
    "prompt": "a lighthouse on a cliff at dusk",
    "model": "imagen-4",
    "aspect_ratio": "landscape",
    "count": 1,
    "seed": 42,
    "references": [],
}
VIDEO = {
    "prompt": "waves roll onto a pebble beach",
    "model": "veo-3.1-fast",
    "aspect_ratio": "landscape",
    "count": 1,
    "seed": 7,
    "mode": "text",
    "start": None,
    "end": None,
    "references": [],
}


@pytest.mark.parametrize("inline", [False, True], ids=["link", "inline-bytes"])
def test_an_image_result_is_stored_with_its_thumbnail_and_served(
    inline, sim, accounts, api, viewer_client, media_root, scratch
):
    sim.state.update_settings({"newForms": inline})  # newer answers carry the image inline
    job = run(create_job("image", IMAGE, requested_account=accounts[PRO]), api)

    assert job.status == Job.Status.COMPLETED, job.error_message
    media = job.media.get()
    assert media.download_status == Media.Download.STORED
    assert (media.width, media.height) == (640, 360)
    data = stored_bytes(media.file.name)
    assert len(data) == media.file_size > 0
    assert is_jpeg(stored_bytes(media.thumbnail.name))

    shown = viewer_client.get(reverse("gallery:file", args=[media.pk]))
    assert shown.status_code == 200 and body(shown) == data
    saved = viewer_client.get(reverse("gallery:download", args=[media.pk]))
    assert "attachment" in saved["Content-Disposition"] and body(saved) == data
    thumb = viewer_client.get(reverse("gallery:thumbnail", args=[media.pk]))
    assert thumb["Content-Type"] == "image/jpeg" and is_jpeg(body(thumb))
    assert no_local_files(media_root, scratch) == []


def test_a_video_result_is_stored_seekable_and_its_thumbnail_made_again_once(
    sim, accounts, api, viewer_client, media_root, scratch
):
    job = run(create_job("video", VIDEO, requested_account=accounts[PRO]), api)

    assert job.status == Job.Status.COMPLETED, job.error_message
    video = job.media.get()
    assert video.kind == Media.Kind.VIDEO and video.download_status == Media.Download.STORED
    assert (video.width, video.height) == (320, 180)
    assert video.duration_seconds == pytest.approx(8, abs=0.5)
    assert is_jpeg(stored_bytes(video.thumbnail.name))
    data = stored_bytes(video.file.name)
    part = viewer_client.get(
        reverse("gallery:file", args=[video.pk]), headers={"Range": "bytes=100-199"}
    )
    assert part.status_code == 206 and body(part) == data[100:200]

    # A lost thumbnail is made again from the stored video (first frame, read with PyAV).
    default_storage.delete(video.thumbnail.name)
    thumb = viewer_client.get(reverse("gallery:thumbnail", args=[video.pk]))
    # (read the response before opening the file again: InMemoryStorage shares one stream)
    assert thumb["Content-Type"] == "image/jpeg" and is_jpeg(shown := body(thumb))
    video.refresh_from_db()
    made = stored_bytes(video.thumbnail.name)
    assert shown == made and Image.open(io.BytesIO(made)).size == (320, 180)
    viewer_client.get(reverse("gallery:thumbnail", args=[video.pk]))
    video.refresh_from_db()
    assert stored_bytes(video.thumbnail.name) == made  # made once, then served as stored
    assert no_local_files(media_root, scratch) == []


def test_a_video_sent_inline_is_stored_with_its_facts_and_thumbnail(
    sim, accounts, media_root, scratch
):
    """The API may send a video's bytes in the answer (``rawBytes``) instead of a link."""
    data = mp4_bytes(frames=24, size=(96, 54))
    job = Job.objects.create(kind="video", params=VIDEO, account=accounts[PRO])
    item = MediaItem(
        kind="video",
        media_generation_id="user:1000-email:00-video:inline",
        encoded=base64.b64encode(data).decode(),
        seed=7,
    )
    media = media_from_item(job, item, Media.Kind.VIDEO)

    media.refresh_from_db()
    assert media.download_status == Media.Download.STORED
    assert stored_bytes(media.file.name) == data
    assert (media.width, media.height) == (96, 54) and media.duration_seconds == pytest.approx(2)
    assert Image.open(io.BytesIO(stored_bytes(media.thumbnail.name))).size == (96, 54)
    assert no_local_files(media_root, scratch) == []


def test_a_collection_of_results_downloads_as_a_zip(
    sim, accounts, api, viewer_client, media_root, scratch
):
    image = run(create_job("image", IMAGE, requested_account=accounts[PRO]), api).media.get()
    video = run(create_job("video", VIDEO, requested_account=accounts[PRO]), api).media.get()
    board = Collection.objects.create(name="Coast")
    for position, media in enumerate([video, image]):
        CollectionItem.objects.create(collection=board, media=media, position=position)

    response = viewer_client.get(reverse("gallery:collection-download", args=[board.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [f"01-{download_name(video)}", f"02-{download_name(image)}"]
    assert names[0].startswith("01-waves-roll-onto") and names[0].endswith(".mp4")
    assert archive.read(names[0]) == stored_bytes(video.file.name)
    assert archive.read(names[1]) == stored_bytes(image.file.name)
    assert "MISSING.txt" not in names
    assert no_local_files(media_root, scratch) == []


# --- post-production that needs a real file ---------------------------------------------------


def generated_video(api, account: FlowAccount, prompt: str) -> Media:
    """A video that exists in the simulator, recorded as the pipeline would (no file needed)."""
    item = api.generate_videos(prompt, email=account.full_email, async_=False).media[0]
    return Media.objects.create(
        kind=Media.Kind.VIDEO,
        media_generation_id=item.media_generation_id,
        account=account,
        account_email=account.email,
        prompt=prompt,
        model="veo-3.1-fast",
        aspect_ratio="landscape",
        duration_seconds=8.0,
        seed=item.seed,
        download_status=Media.Download.STORED,
    )


def test_a_gif_of_a_video_is_stored_with_its_size_and_thumbnail(
    sim, accounts, api, viewer_client, media_root, scratch
):
    source = generated_video(api, accounts[ULTRA], "a red ball rolls")
    job = run(create_job("gif", {}, source_media=source, requested_account=accounts[ULTRA]), api)

    assert job.status == Job.Status.COMPLETED, job.error_message
    gif = job.media.get()
    assert gif.kind == Media.Kind.GIF and gif.content_type == "image/gif"
    assert stored_bytes(gif.file.name)[:6] in (b"GIF89a", b"GIF87a")
    assert gif.width == 240 and is_jpeg(stored_bytes(gif.thumbnail.name))
    assert Lineage.objects.get(media=gif).source == source
    shown = viewer_client.get(reverse("gallery:file", args=[gif.pk]))
    assert shown["Content-Type"] == "image/gif" and body(shown) == stored_bytes(gif.file.name)
    assert no_local_files(media_root, scratch) == []


def test_joined_clips_are_measured_with_pyav_from_storage(sim, accounts, api, media_root, scratch):
    clips = [generated_video(api, accounts[ULTRA], f"scene {n}") for n in range(2)]
    params = {
        "clips": [
            {"media": clips[0].pk, "trim_start": 0, "trim_end": 1.5},
            {"media": clips[1].pk, "trim_start": 1, "trim_end": 0},
        ]
    }
    job = run(create_job("concatenate", params, requested_account=accounts[ULTRA]), api)

    assert job.status == Job.Status.COMPLETED, job.error_message
    film = job.media.get()
    assert film.origin == Media.Origin.JOINED
    assert film.duration_seconds == pytest.approx(16 - 2.5, abs=0.5)
    assert is_jpeg(stored_bytes(film.thumbnail.name))
    with local_path(default_storage, film.file.name) as path:
        assert video_facts(path).duration_seconds == pytest.approx(film.duration_seconds)
    assert no_local_files(media_root, scratch) == []


def test_a_cached_upscale_sent_inline_is_stored_with_its_facts(
    sim, accounts, api, media_root, scratch
):
    source = generated_video(api, accounts[ULTRA], "a kite over dunes")
    # Upscaled once outside flowdash: the API answers our request with the cached copy inline.
    api.upscale_video(source.media_generation_id, async_=False)
    job = run(
        create_job(
            "video_upscale",
            {"resolution": "1080p"},
            source_media=source,
            requested_account=accounts[ULTRA],
        ),
        api,
    )

    assert job.status == Job.Status.COMPLETED, job.error_message
    upscaled = job.media.get()
    assert upscaled.download_status == Media.Download.STORED
    assert (upscaled.width, upscaled.height) == (640, 360)
    assert upscaled.duration_seconds == pytest.approx(8, abs=0.5)
    assert is_jpeg(stored_bytes(upscaled.thumbnail.name))
    assert no_local_files(media_root, scratch) == []


# --- check_storage ----------------------------------------------------------------------------


def check_storage(*args: str) -> str:
    out = io.StringIO()
    call_command("check_storage", "--grace-minutes", "0", *args, stdout=out)
    return out.getvalue()


def test_check_storage_reports_and_repairs_a_missing_file_and_an_orphan(media_root, scratch):
    kept = make_media(prompt="kept", data=png_bytes((10, 20, 30)))
    gone = make_media(kind=Media.Kind.VIDEO, prompt="gone")
    default_storage.delete(gone.file.name)
    orphan = default_storage.save("media/2026/01/stray.png", ContentFile(b"stray bytes"))

    report = check_storage()
    assert "Missing files: 1" in report and f"#{gone.pk}" in report
    assert "Orphan files: 1" in report and orphan in report
    assert "Run again with --repair" in report
    gone.refresh_from_db()
    assert gone.download_status == Media.Download.STORED  # a report changes nothing

    repaired = check_storage("--repair")
    assert "1 marked lost" in repaired and "1 orphans moved" in repaired
    gone.refresh_from_db()
    assert gone.download_status == Media.Download.LOST
    assert not default_storage.exists(orphan)
    [moved] = [
        line.split("moved to ", 1)[1]
        for line in repaired.splitlines()
        if line.startswith("  moved to ")
    ]
    assert moved.startswith("media/quarantine/") and stored_bytes(moved) == b"stray bytes"
    assert stored_bytes(kept.file.name) == png_bytes((10, 20, 30))
    assert "Storage and database agree." in check_storage()
    assert no_local_files(media_root, scratch) == []


# --- the shared helper ------------------------------------------------------------------------


def test_local_path_is_the_files_own_path_on_a_file_system_storage(tmp_path):
    storage = FileSystemStorage(location=tmp_path / "files")
    name = storage.save("media/clip.mp4", ContentFile(b"video bytes"))
    with local_path(storage, name) as path:
        assert path == Path(storage.path(name)) and path.read_bytes() == b"video bytes"
    assert storage.exists(name)  # the stored file itself is never removed


def test_local_path_is_a_temporary_copy_removed_afterwards_even_after_an_error(scratch):
    name = default_storage.save("media/clip.mp4", ContentFile(b"x" * 3_000_000))
    with local_path(default_storage, name, chunk_size=64 * 1024) as path:
        assert path.suffix == ".mp4" and path.read_bytes() == b"x" * 3_000_000
        # a file system storage lends its own file; any other a private copy in the temp folder
        assert path.parent == (
            Path(default_storage.path(name)).parent if on_file_system() else scratch
        )
    assert path.exists() == on_file_system()
    with pytest.raises(RuntimeError), local_path(default_storage, name) as path:
        raise RuntimeError("the decoder failed")
    assert path.exists() == on_file_system() and default_storage.exists(name)
    with pytest.raises(FileNotFoundError), local_path(default_storage, "media/gone.mp4"):
        pass
    assert list(scratch.iterdir()) == []


# --- assets, and who may read ----------------------------------------------------------------


def test_an_uploaded_asset_is_stored_with_its_thumbnail_and_used_in_a_job(
    sim, accounts, api, client, creator_user, media_root, scratch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from flowdash.assets.models import Asset, AssetUpload
    from tests.assets.images import png_bytes as asset_png

    client.force_login(creator_user)
    data = asset_png((64, 48))
    response = client.post(
        "/assets/", {"files": [SimpleUploadedFile("red.png", data, "image/png")]}
    )
    assert response.status_code in (200, 302)
    asset = Asset.objects.get(original_name="red.png")
    assert stored_bytes(asset.file.name) == data and is_jpeg(stored_bytes(asset.thumbnail.name))
    thumb = client.get(reverse("assets:thumbnail", args=[asset.pk]))
    assert thumb.status_code == 200 and is_jpeg(body(thumb))
    # used as a reference: uploaded to the account from the storage, then the image is made
    params = {**IMAGE, "references": [{"asset": asset.pk}]}
    job = run(create_job("image", params, requested_account=accounts[PRO]), api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    assert AssetUpload.objects.filter(asset=asset).exists()  # read from the storage, sent
    assert no_local_files(media_root, scratch) == []


def test_files_are_served_only_to_people_signed_in(sim, accounts, api, client, viewer_user):
    media = run(create_job("image", IMAGE, requested_account=accounts[PRO]), api).media.get()
    for name in ("gallery:file", "gallery:download", "gallery:thumbnail"):
        response = client.get(reverse(name, args=[media.pk]), headers={"Range": "bytes=0-9"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(viewer_user)
    part = client.get(reverse("gallery:file", args=[media.pk]), headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and body(part) == stored_bytes(media.file.name)[:10]
