"""Collections (boards): make, arrange, cover, rename, delete, download as a zip."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from flowdash.gallery.models import Collection, CollectionItem, Media
from flowdash.gallery.services import stream_zip, zip_entries
from tests.gallery.factories import make_media, mp4_bytes, png_bytes


def board_with(items: list[Media], name: str = "Launch", owner=None) -> Collection:
    board = Collection.objects.create(
        name=name, created_by=owner, cover=items[0] if items else None
    )
    for position, media in enumerate(items):
        CollectionItem.objects.create(collection=board, media=media, position=position)
    return board


def order(board: Collection) -> list[int]:
    return list(board.entries.order_by("position", "pk").values_list("media_id", flat=True))


@pytest.mark.django_db
def test_empty_states(viewer_client):
    assert "No collections yet" in viewer_client.get(reverse("gallery:collections")).text
    board = Collection.objects.create(name="Empty")
    page = viewer_client.get(reverse("gallery:collection", args=[board.pk]))
    assert "This collection is empty" in page.text and "Download all" not in page.text


@pytest.mark.django_db
def test_the_boards_list_each_collection_by_name_with_its_count_cover_and_maker(
    viewer_client, make_user
):
    dana = make_user("dana", "creator")
    gone = make_user("gone", "creator")
    a, b = make_media(prompt="a"), make_media(prompt="b")
    board_with([a, b], name="Zebra", owner=dana)
    board_with([b], name="<Alpha>", owner=gone)
    Collection.objects.create(name="Middle")
    gone.delete()  # the board stays, without a maker
    page = viewer_client.get(reverse("gallery:collections")).text
    names = [page.index(n) for n in ("&lt;Alpha&gt;", "Middle", "Zebra")]
    assert names == sorted(names)
    assert "2 items · by dana" in page and "1 item<" in page and "0 items<" in page
    assert "by gone" not in page
    assert reverse("gallery:thumbnail", args=[a.pk]) in page  # Zebra's cover
    assert page.count("No cover yet") == 1  # Middle's


@pytest.mark.django_db
def test_a_creator_makes_a_collection(creator_client, creator_user):
    response = creator_client.post(reverse("gallery:collections"), {"name": " Moodboard "})
    board = Collection.objects.get()
    assert response.status_code == 302 and board.name == "Moodboard"
    assert board.created_by == creator_user
    bad = creator_client.post(reverse("gallery:collections"), {"name": "   "})
    assert bad.status_code == 400 and Collection.objects.count() == 1


@pytest.mark.django_db
def test_a_viewer_cannot_make_or_change_collections(viewer_client):
    assert viewer_client.post(reverse("gallery:collections"), {"name": "x"}).status_code == 403
    a, b = make_media(prompt="a"), make_media(prompt="b")
    board = board_with([a, b])
    entry = board.entries.get(media=b)
    for name, data in (
        ("gallery:collection-move", {"direction": "up"}),
        ("gallery:collection-remove", {}),
        ("gallery:collection-cover", {}),
    ):
        assert viewer_client.post(reverse(name, args=[board.pk, entry.pk]), data).status_code == 403
    assert (
        viewer_client.post(reverse("gallery:collection-delete", args=[board.pk])).status_code == 403
    )
    assert order(board) == [a.pk, b.pk]
    board.refresh_from_db()
    assert board.cover == a and Collection.objects.count() == 1
    # Viewers still browse and download it.
    assert viewer_client.get(reverse("gallery:collection", args=[board.pk])).status_code == 200
    assert (
        viewer_client.get(reverse("gallery:collection-download", args=[board.pk])).status_code
        == 200
    )


@pytest.mark.django_db
def test_arrange_cover_and_remove(creator_client):
    a, b, c = (make_media(prompt=p) for p in ("a", "b", "c"))
    board = board_with([a, b, c])
    move = lambda media, direction: creator_client.post(  # noqa: E731
        reverse("gallery:collection-move", args=[board.pk, board.entries.get(media=media).pk]),
        {"direction": direction},
    )
    move(c, "up")
    assert order(board) == [a.pk, c.pk, b.pk]
    move(a, "down")
    assert order(board) == [c.pk, a.pk, b.pk]
    move(c, "up")  # already first: nothing changes
    assert order(board) == [c.pk, a.pk, b.pk]
    move(b, "sideways")
    assert order(board) == [c.pk, a.pk, b.pk]
    creator_client.post(
        reverse("gallery:collection-cover", args=[board.pk, board.entries.get(media=b).pk])
    )
    board.refresh_from_db()
    assert board.cover == b
    creator_client.post(
        reverse("gallery:collection-remove", args=[board.pk, board.entries.get(media=b).pk])
    )
    board.refresh_from_db()
    assert order(board) == [c.pk, a.pk] and board.cover == c
    assert Media.objects.filter(pk=b.pk).exists()
    page = creator_client.get(reverse("gallery:collection", args=[board.pk]))
    assert "Make cover" in page.text and "Move 1 up" in page.text


@pytest.mark.django_db
def test_an_item_of_another_collection_is_404(creator_client):
    a = make_media()
    one, two = board_with([a], "One"), board_with([a], "Two")
    entry = one.entries.get()
    url = reverse("gallery:collection-remove", args=[two.pk, entry.pk])
    assert creator_client.post(url).status_code == 404
    assert one.entries.count() == 1


@pytest.mark.django_db
def test_only_the_owner_or_an_admin_renames_or_deletes(client, make_user, admin_client):
    owner, other = make_user("owen", "creator"), make_user("olga", "creator")
    board = board_with([make_media()], "Mine", owner=owner)
    client.force_login(other)
    assert (
        client.post(reverse("gallery:collection-edit", args=[board.pk]), {"name": "X"}).status_code
        == 403
    )
    client.force_login(owner)
    edit = client.get(reverse("gallery:collection-edit", args=[board.pk]))
    assert edit.status_code == 200
    client.post(reverse("gallery:collection-edit", args=[board.pk]), {"name": "Renamed"})
    board.refresh_from_db()
    assert board.name == "Renamed"
    confirm = admin_client.get(reverse("gallery:collection-delete", args=[board.pk]))
    assert "Delete the collection “Renamed”?" in confirm.text and "1 item stays" in confirm.text
    admin_client.post(reverse("gallery:collection-delete", args=[board.pk]))
    assert not Collection.objects.exists() and Media.objects.count() == 1


@pytest.mark.django_db
def test_the_collection_downloads_as_a_zip_in_its_order(viewer_client):
    image = png_bytes((1, 2, 3))
    video = mp4_bytes()
    a = make_media(prompt="Red fox at dawn", seed=1, data=image)
    b = make_media(kind="video", prompt="Waves on rocks", seed=2, data=video)
    c = make_media(prompt="Red fox at dawn", seed=1, data=png_bytes((9, 9, 9)))
    board = board_with([b, a, c], "Spring launch!")
    response = viewer_client.get(reverse("gallery:collection-download", args=[board.pk]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert 'filename="spring-launch.zip"' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [
        "01-waves-on-rocks-seed2.mp4",
        "02-red-fox-at-dawn-seed1.png",
        "03-red-fox-at-dawn-seed1.png",
    ]
    assert archive.read(names[0]) == video
    assert archive.read(names[1]) == image
    assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())


@pytest.mark.django_db
def test_a_missing_file_is_listed_not_fatal(viewer_client):
    a, b = make_media(prompt="kept"), make_media(prompt="gone")
    b.file.storage.delete(b.file.name)
    board = board_with([a, b])
    response = viewer_client.get(reverse("gallery:collection-download", args=[board.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["01-kept-seed42.png", "MISSING.txt"]
    assert "02-gone-seed42.png" in archive.read("MISSING.txt").decode()


@pytest.mark.django_db
def test_zip_streams_in_pieces_no_bigger_than_a_read(media_root):
    big = make_media(prompt="big", data=b"\x89PNG" + bytes(3_000_000))
    board = board_with([big])
    pieces = list(stream_zip(zip_entries(board)))
    assert len(pieces) > 5
    assert max(len(p) for p in pieces) <= 256 * 1024 + 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.read("01-big-seed42.png") == big.file.open("rb").read()
