"""Media files through the signed-in view: type, length, ranges, readable names, thumbnails."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flowdash.gallery.models import Media
from tests.gallery.factories import make_media, mp4_bytes, png_bytes


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_file_is_served_whole_with_type_and_length(viewer_client):
    data = png_bytes()
    media = make_media(data=data)
    response = viewer_client.get(reverse("gallery:file", args=[media.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(data))
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == data


@pytest.mark.django_db
def test_video_byte_ranges(viewer_client):
    data = mp4_bytes()
    media = make_media(kind="video", data=data)
    url = reverse("gallery:file", args=[media.pk])
    part = viewer_client.get(url, headers={"Range": "bytes=10-29"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-29/{len(data)}"
    assert part["Content-Length"] == "20"
    assert body(part) == data[10:30]
    tail = viewer_client.get(url, headers={"Range": "bytes=-16"})
    assert body(tail) == data[-16:]
    rest = viewer_client.get(url, headers={"Range": "bytes=100-"})
    assert body(rest) == data[100:]
    beyond = viewer_client.get(url, headers={"Range": f"bytes={len(data) + 5}-"})
    assert beyond.status_code == 416
    junk = viewer_client.get(url, headers={"Range": "bytes=abc"})
    assert junk.status_code == 200 and body(junk) == data


@pytest.mark.django_db
def test_download_has_a_readable_name(viewer_client):
    media = make_media(prompt="A lighthouse at dawn, waves crashing!", seed=1234)
    response = viewer_client.get(reverse("gallery:download", args=[media.pk]))
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="a-lighthouse-at-dawn-waves-crashing-seed1234.png"'
    )
    assert body(response) == media.file.open("rb").read()


@pytest.mark.django_db
def test_download_name_without_prompt_or_seed(viewer_client):
    media = make_media(kind="video", prompt="", seed=None)
    response = viewer_client.get(reverse("gallery:download", args=[media.pk]))
    assert f'filename="video-{media.pk}.mp4"' in response["Content-Disposition"]


@pytest.mark.django_db
def test_files_need_a_signed_in_person(client):
    media = make_media()
    for name in ("gallery:file", "gallery:download", "gallery:thumbnail"):
        response = client.get(reverse(name, args=[media.pk]))
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_missing_or_pending_files_are_404_not_500(viewer_client):
    pending = make_media(with_file=False)
    assert viewer_client.get(reverse("gallery:file", args=[pending.pk])).status_code == 404
    gone = make_media()
    gone.file.storage.delete(gone.file.name)
    assert viewer_client.get(reverse("gallery:download", args=[gone.pk])).status_code == 404
    assert viewer_client.get(reverse("gallery:file", args=[999999])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["image", "video"])
def test_thumbnails_are_made_once(viewer_client, kind):
    media = make_media(kind=kind)
    assert not media.thumbnail
    url = reverse("gallery:thumbnail", args=[media.pk])
    first = viewer_client.get(url)
    assert first["Content-Type"] == "image/jpeg"
    assert body(first)[:3] == b"\xff\xd8\xff"
    media.refresh_from_db()
    name = media.thumbnail.name
    assert name and media.thumbnail.storage.exists(name)
    modified = media.thumbnail.storage.get_modified_time(name)
    second = viewer_client.get(url)
    assert body(second)[:3] == b"\xff\xd8\xff"
    media.refresh_from_db()
    assert media.thumbnail.name == name
    assert media.thumbnail.storage.get_modified_time(name) == modified


@pytest.mark.django_db
def test_an_item_without_a_file_gets_a_placeholder(viewer_client):
    media = make_media(with_file=False)
    response = viewer_client.get(reverse("gallery:thumbnail", args=[media.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"


@pytest.mark.django_db
def test_search_text_is_kept_by_save_and_bulk_create():
    one = make_media(prompt="Éclair, on a Plate")
    assert one.search_text == " eclair on a plate "
    one.prompt = "new words"
    one.save(update_fields=["prompt"])
    one.refresh_from_db()
    assert one.search_text == " new words "
    (two,) = Media.objects.bulk_create([Media(kind="image", prompt="Bulk-made  thing")])
    assert Media.objects.get(pk=two.pk).search_text == " bulk made thing "
