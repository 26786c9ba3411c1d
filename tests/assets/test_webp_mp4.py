"""WebP images and MP4 videos as assets (supplement §3): checked by content like PNG/JPEG, the
video's length read with PyAV, an MP4 usable as the source of a V2V edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from flowdash.assets import services
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.simulator.server import SimulatorServer
from flowdash.useapi.client import UseapiClient
from tests.assets.images import gif_bytes, mp4_bytes, png_bytes, webp_bytes

pytestmark = pytest.mark.django_db
URL = "/assets/"


def post(client, name: str, data: bytes, ctype: str):
    return client.post(URL, {"files": [SimpleUploadedFile(name, data, ctype)]}, follow=True)


def test_a_webp_is_stored_with_a_thumbnail(creator_client):
    response = post(creator_client, "leaf.webp", webp_bytes((64, 48)), "image/webp")
    assert response.status_code == 200
    assert "Uploaded 1 image" in response.content.decode()
    asset = Asset.objects.get()
    assert (asset.content_type, asset.width, asset.height) == ("image/webp", 64, 48)
    assert asset.file.name.endswith(".webp") and asset.thumbnail
    assert Media.objects.get(asset=asset).kind == Media.Kind.IMAGE
    download = creator_client.get(f"/assets/{asset.pk}/file/?download=1")
    assert download["Content-Type"] == "image/webp"
    assert f"asset-{asset.pk}.webp" in download["Content-Disposition"]


def test_an_mp4_is_stored_with_its_length_and_a_first_frame_thumbnail(creator_client):
    response = post(creator_client, "clip.mp4", mp4_bytes(3, (160, 90)), "video/mp4")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Uploaded 1 video" in page and "3.0 s" in page
    asset = Asset.objects.get()
    assert (asset.content_type, asset.width, asset.height) == ("video/mp4", 160, 90)
    assert asset.duration_seconds == pytest.approx(3.0, abs=0.05)
    thumb = Path(settings.MEDIA_ROOT) / asset.thumbnail.name
    assert thumb.read_bytes().startswith(b"\xff\xd8\xff")
    row = Media.objects.get(asset=asset)
    assert (row.kind, row.duration_seconds) == (Media.Kind.VIDEO, asset.duration_seconds)
    assert asset.v2v_problem() is None and asset.v2v_end_frame() == 72


def test_an_mp4_longer_than_10_s_is_kept_but_cannot_be_edited(creator_client):
    post(creator_client, "long.mp4", mp4_bytes(11, (64, 36)), "video/mp4")
    asset = Asset.objects.get()
    assert "at most 10 s" in asset.v2v_problem()
    assert asset.v2v_end_frame() == 240
    image = Asset(content_type=Asset.PNG, width=1, height=1, size=1, sha256="x")
    assert "Only an MP4" in image.v2v_problem()


@pytest.mark.parametrize(
    ("name", "data", "ctype", "words"),
    [
        ("really.webp", gif_bytes(), "image/webp", "says it is WebP but its content is a GIF"),
        ("really.mp4", png_bytes(), "video/mp4", None),  # content decides: a PNG is fine
        (
            "broken.mp4",
            b"\x00\x00\x00\x18ftypisom" + b"\x00" * 500,
            "video/mp4",
            "not a playable MP4",
        ),
        ("text.mp4", b"hello, this is not a video at all", "video/mp4", "says it is MP4 video"),
        ("cut.mp4", mp4_bytes(1)[:300], "video/mp4", "not a playable MP4"),
    ],
)
def test_files_are_judged_by_content(creator_client, name, data, ctype, words):
    response = post(creator_client, name, data, ctype)
    page = response.content.decode().replace("&#x27;", "'")
    if words is None:
        assert Asset.objects.get().content_type == Asset.PNG
        return
    assert response.status_code == 400
    assert f"{name}: " in page and words in page
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    ("head", "limit"),
    [(mp4_bytes(1), 100 * 1024 * 1024), (webp_bytes(), 20 * 1024 * 1024)],
)
def test_size_limits_per_type_are_checked_before_decoding(tmp_path, head, limit):
    path = tmp_path / "big"
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(limit + 1)  # sparse: nothing of the rest is ever read
    with path.open("rb") as fh, pytest.raises(services.InvalidUpload) as caught:
        services.check_image(fh, limit + 1)
    assert f"at most {limit // (1024 * 1024)} MB" in str(caught.value)


def test_a_stored_mp4_goes_to_an_account_and_is_the_source_of_a_v2v_edit(creator_client):
    post(creator_client, "clip.mp4", mp4_bytes(2, (160, 90)), "video/mp4")
    asset = Asset.objects.get()
    with (
        SimulatorServer(speed=1000, api="2026-12") as sim,
        UseapiClient(sim.base_url, sim.token, era="2026-12") as client,
    ):
        with asset.file.open("rb") as fh:
            upload = client.upload_asset(fh, asset.content_type, email="pro.studio@gmail.com")
        assert upload.is_video
        assert upload.duration_seconds == pytest.approx(asset.duration_seconds, abs=0.05)
        edit = client.generate_videos(
            "make it snow",
            model="omni-flash",
            reference_video=upload.media_generation_id,
            end_frame=asset.v2v_end_frame(),
            async_=False,
        )
        assert edit.media[0].url and edit.media[0].problem() is None
        sent = sim.state.requests(path="/videos")[-1]["body"]
        assert sent["endFrameIndex_1"] == 48
