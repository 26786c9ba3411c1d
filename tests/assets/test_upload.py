"""Uploading images: checked by content, stored once, thumbnailed, shown in the gallery."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from tests.assets.images import bomb_png, jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db
URL = "/assets/"


def on_disk(field) -> Path:
    return Path(settings.MEDIA_ROOT) / field.name


def test_several_images_at_once_are_stored_with_thumbnails_and_shown_in_the_gallery(
    creator_client, creator_user
):
    files = [
        SimpleUploadedFile("red.png", png_bytes((64, 48)), "image/png"),
        SimpleUploadedFile("blue.jpg", jpeg_bytes((80, 60)), "image/jpeg"),
    ]
    response = creator_client.post(URL, {"files": files}, follow=True)
    assert response.status_code == 200
    assert "Uploaded 2 images" in response.content.decode()
    png = Asset.objects.get(original_name="red.png")
    jpeg = Asset.objects.get(original_name="blue.jpg")
    assert (png.content_type, png.width, png.height) == ("image/png", 64, 48)
    assert (jpeg.content_type, jpeg.width, jpeg.height) == ("image/jpeg", 80, 60)
    for asset in (png, jpeg):
        assert on_disk(asset.file).read_bytes()[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0")
        assert on_disk(asset.thumbnail).read_bytes()[:3] == b"\xff\xd8\xff"
        assert asset.uploaded_by == creator_user
        media = Media.objects.get(asset=asset)
        assert media.origin == Media.Origin.UPLOADED and media.kind == Media.Kind.IMAGE
        assert media.file.name == asset.file.name
        assert media.thumbnail.name == asset.thumbnail.name
        assert media.created_by == creator_user
        assert media.download_status == Media.Download.STORED
    page = response.content.decode()
    assert f'data-asset="{png.pk}"' in page and f'data-asset="{jpeg.pk}"' in page
    thumb = creator_client.get(reverse("assets:thumbnail", args=[png.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def test_the_same_bytes_uploaded_again_reuse_the_asset(creator_client):
    data = png_bytes((30, 30), (1, 2, 3))
    creator_client.post(URL, {"files": [SimpleUploadedFile("a.png", data, "image/png")]})
    response = creator_client.post(
        URL, {"files": [SimpleUploadedFile("renamed.png", data, "image/png")]}, follow=True
    )
    assert Asset.objects.count() == 1
    assert Media.objects.filter(origin=Media.Origin.UPLOADED).count() == 1
    assert "already here" in response.content.decode()


def test_the_file_name_does_not_decide_the_type(creator_client):
    # A JPEG called .png is accepted as what it is…
    creator_client.post(URL, {"files": [SimpleUploadedFile("x.png", jpeg_bytes(), "image/png")]})
    assert Asset.objects.get().content_type == "image/jpeg"
    # …and text called .png is refused.
    fake = SimpleUploadedFile("fake.png", b"this is not an image at all" * 10, "image/png")
    response = creator_client.post(URL, {"files": [fake]})
    assert response.status_code == 400
    assert "fake.png: The file says it is PNG but its content is not a PNG, JPEG" in (
        response.content.decode()
    )
    assert Asset.objects.count() == 1


def test_a_damaged_png_is_refused(creator_client):
    data = png_bytes((200, 200))
    broken = data[:60] + b"\x00" * 40 + data[100:]
    response = creator_client.post(
        URL, {"files": [SimpleUploadedFile("broken.png", broken, "image/png")]}
    )
    assert response.status_code == 400
    assert "damaged or cannot be read" in response.content.decode()
    assert not Asset.objects.exists()


def test_a_gif_is_refused(creator_client):
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    response = creator_client.post(
        URL, {"files": [SimpleUploadedFile("anim.gif", out.getvalue(), "image/gif")]}
    )
    assert response.status_code == 400
    assert "This file&#x27;s content is a GIF image" in response.content.decode()


def test_a_file_over_20_mb_is_refused(creator_client):
    big = png_bytes() + b"\x00" * (20 * 1024 * 1024)
    response = creator_client.post(
        URL, {"files": [SimpleUploadedFile("big.png", big, "image/png")]}
    )
    assert response.status_code == 400
    assert "the API accepts at most 20 MB" in response.content.decode()
    assert not Asset.objects.exists()


def test_a_decompression_bomb_is_refused_before_decoding(creator_client):
    bomb = bomb_png(10_000, 6_000)  # 60 megapixels in ~60 kB
    assert len(bomb) < 1_000_000
    response = creator_client.post(URL, {"files": [SimpleUploadedFile("b.png", bomb, "image/png")]})
    assert response.status_code == 400
    assert "10000×6000 pixels" in response.content.decode()
    assert "at most 50 megapixels" in response.content.decode()
    assert not Asset.objects.exists()


def test_good_files_are_kept_when_another_in_the_same_batch_is_refused(creator_client):
    files = [
        SimpleUploadedFile("good.png", png_bytes(), "image/png"),
        SimpleUploadedFile("bad.png", b"nope" * 100, "image/png"),
    ]
    response = creator_client.post(URL, {"files": files})
    assert response.status_code == 400
    page = response.content.decode()
    assert "bad.png: The file says it is PNG but its content is not a PNG" in page
    assert list(Asset.objects.values_list("original_name", flat=True)) == ["good.png"]


def test_posting_no_file_says_so(creator_client):
    response = creator_client.post(URL, {})
    assert response.status_code == 400
    assert "Choose at least one image or MP4 video." in response.content.decode()


def test_viewers_browse_but_cannot_upload(viewer_client):
    page = viewer_client.get(URL)
    assert page.status_code == 200
    assert 'type="file"' not in page.content.decode()
    response = viewer_client.post(
        URL, {"files": [SimpleUploadedFile("a.png", png_bytes(), "image/png")]}
    )
    assert response.status_code == 403
    assert not Asset.objects.exists()


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_empty_state(creator_client):
    page = creator_client.get(URL).content.decode()
    assert "No assets yet" in page


def test_uploading_again_brings_back_a_deleted_gallery_entry(creator_client):
    data = png_bytes((12, 12), (4, 5, 6))
    creator_client.post(URL, {"files": [SimpleUploadedFile("a.png", data, "image/png")]})
    Media.objects.filter(origin=Media.Origin.UPLOADED).delete()
    creator_client.post(URL, {"files": [SimpleUploadedFile("a.png", data, "image/png")]})
    asset = Asset.objects.get()
    assert Media.objects.get(origin=Media.Origin.UPLOADED).asset == asset
