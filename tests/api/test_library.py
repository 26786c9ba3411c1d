"""Assets and media through the API: uploads checked by content, the gallery's filters."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from flowdash.assets.models import Asset
from tests.api.conftest import bearer
from tests.assets.images import jpeg_bytes, png_bytes
from tests.gallery.factories import make_media

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_an_upload_is_checked_by_content_and_kept_once(client, creator_user, make_key, media_root):
    _, key = make_key(creator_user, ["generate"])
    first = client.post(
        "/api/v1/assets", {"file": SimpleUploadedFile("shot.png", png_bytes())}, **bearer(key)
    )
    assert first.status_code == 201 and first.json()["created"] is True
    assert first.json()["width"] == 64 and first.json()["content_type"] == "image/png"
    again = client.post(
        "/api/v1/assets", {"file": SimpleUploadedFile("copy.png", png_bytes())}, **bearer(key)
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    fake = client.post(
        "/api/v1/assets",
        {"file": SimpleUploadedFile("x.png", b"<html>not an image</html>")},
        **bearer(key),
    )
    assert fake.status_code == 400
    assert fake.json()["error"]["code"] == "invalid_upload"
    assert fake.json()["error"]["field"] == "file"
    assert Asset.objects.count() == 1
    listed = client.get("/api/v1/assets", **bearer(key))
    assert [a["id"] for a in listed.json()] == [first.json()["id"]]


def test_a_read_key_cannot_upload(client, creator_user, make_key, media_root):
    _, key = make_key(creator_user, ["read"])
    answer = client.post(
        "/api/v1/assets", {"file": SimpleUploadedFile("a.jpg", jpeg_bytes())}, **bearer(key)
    )
    assert answer.status_code == 403 and not Asset.objects.exists()


def test_media_are_listed_with_the_gallerys_filters_and_cursor(
    client, creator_user, viewer_user, make_key, media_root
):
    _, key = make_key(viewer_user, ["read"])
    mine = [make_media(prompt=f"harbour {n}", created_by=creator_user) for n in range(5)]
    video = make_media(kind="video", prompt="waves", model="veo-3.1-fast")
    page = client.get("/api/v1/media", {"per": 24}, **bearer(key)).json()
    assert [m["id"] for m in page["items"]] == [video.pk] + [m.pk for m in reversed(mine)]
    assert page["next_cursor"] is None
    only_videos = client.get("/api/v1/media", {"kind": "video"}, **bearer(key)).json()
    assert [m["id"] for m in only_videos["items"]] == [video.pk]
    by_creator = client.get("/api/v1/media", {"creator": "carol"}, **bearer(key)).json()
    assert {m["id"] for m in by_creator["items"]} == {m.pk for m in mine}
    unknown = client.get("/api/v1/media", {"creator": "nobody"}, **bearer(key)).json()
    assert "That creator is unknown; the creator filter was ignored." in unknown["notices"]
    assert client.get("/api/v1/media", {"kind": "sound"}, **bearer(key)).status_code == 400
    assert client.get("/api/v1/media", {"to": "9999-99-99"}, **bearer(key)).status_code == 400
    one = client.get(f"/api/v1/media/{video.pk}", **bearer(key)).json()
    assert one["kind"] == "video" and one["file_url"] == f"/api/v1/media/{video.pk}/file"
