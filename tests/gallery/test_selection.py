"""Acting on several gallery items at once, and Compare's "keep this one": rules and bad input."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.urls import reverse

from flowdash.gallery.models import Collection, Media, Tag
from tests.gallery.factories import make_media, png_bytes

pytestmark = pytest.mark.django_db

SELECTION = "/gallery/selection/"


def post(client, action: str, ids, **extra):
    return client.post(SELECTION, {"action": action, "ids": [str(i) for i in ids], **extra})


@pytest.fixture
def items(creator_user, make_user):
    other = make_user("olga", "creator")
    mine = [make_media(prompt=f"mine {n}", created_by=creator_user) for n in range(3)]
    theirs = make_media(prompt="theirs", created_by=other)
    return {"mine": mine, "theirs": theirs}


def test_a_creator_tags_favourites_and_collects_several_items(creator_client, creator_user, items):
    ids = [m.pk for m in items["mine"]]
    response = post(creator_client, "tag", ids, tag=" Hero  Shot ", next="/gallery/?kind=image")
    assert response.status_code == 302 and response["Location"] == "/gallery/?kind=image"
    tag = Tag.objects.get(name="hero shot")
    assert sorted(tag.media.values_list("pk", flat=True)) == sorted(ids)

    assert post(creator_client, "favourite", ids[:2]).status_code == 302
    assert set(creator_user.favourite_media.values_list("pk", flat=True)) == set(ids[:2])

    response = post(creator_client, "collect", ids, new_name="Picks")
    assert response.status_code == 302
    board = Collection.objects.get(name="Picks")
    assert sorted(board.entries.values_list("media_id", flat=True)) == sorted(ids)
    # Adding again adds nothing twice; a foreign redirect target is not followed.
    again = post(creator_client, "collect", ids, collection=str(board.pk), next="//evil.example/")
    assert again["Location"] == "/gallery/" and board.entries.count() == 3


def test_a_creator_may_not_delete_or_tag_someone_elses_item(creator_client, items):
    ids = [items["mine"][0].pk, items["theirs"].pk]
    response = post(creator_client, "delete", ids)
    assert response.status_code == 403
    assert "1 of the 2 selected is not yours to delete" in response.text
    assert Media.objects.filter(pk__in=ids).count() == 2  # nothing half done

    response = post(creator_client, "tag", ids, tag="x")
    assert response.status_code == 403 and not Tag.objects.exists()


def test_a_creator_deletes_own_items_with_their_files(
    creator_client, items, django_capture_on_commit_callbacks
):
    doomed = items["mine"][:2]
    paths = [m.file.path for m in doomed]
    assert all(os.path.exists(p) for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(creator_client, "delete", [m.pk for m in doomed])
    assert response.status_code == 302
    assert not Media.objects.filter(pk__in=[m.pk for m in doomed]).exists()
    assert Media.objects.filter(pk=items["theirs"].pk).exists()
    assert not any(os.path.exists(p) for p in paths)


def test_an_admin_deletes_anyones_items(admin_client, items):
    ids = [items["mine"][0].pk, items["theirs"].pk]
    assert post(admin_client, "delete", ids).status_code == 302
    assert not Media.objects.filter(pk__in=ids).exists()


def test_a_viewer_may_favourite_and_download_but_not_change(viewer_client, viewer_user, items):
    ids = [m.pk for m in items["mine"]]
    for action, extra in (("delete", {}), ("tag", {"tag": "x"}), ("collect", {"new_name": "B"})):
        response = post(viewer_client, action, ids, **extra)
        assert response.status_code == 403, action
        assert "creator role" in response.text
    assert Media.objects.filter(pk__in=ids).count() == 3
    assert not Tag.objects.exists() and not Collection.objects.exists()
    assert post(viewer_client, "favourite", ids).status_code == 302
    assert viewer_user.favourite_media.count() == 3


def test_download_streams_a_zip_of_the_selection(viewer_client, creator_user):
    a = make_media(prompt="blue lake", data=png_bytes((0, 0, 200)), created_by=creator_user)
    b = make_media(prompt="green hill", data=png_bytes((0, 200, 0)))
    response = post(viewer_client, "download", [b.pk, a.pk])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert names == ["01-green-hill-seed42.png", "02-blue-lake-seed42.png"]
    assert archive.read(names[1]) == a.file.open("rb").read()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"action": "tag", "tag": "x"}, "Select at least one item"),
        ({"action": "tag", "ids": ["abc"], "tag": "x"}, "not a number"),
        ({"action": "tag", "ids": ["-1"], "tag": "x"}, "not a number"),
        ({"action": "tag", "ids": ["99999999999999999999999"], "tag": "x"}, "not a number"),
        ({"action": "tag", "ids": ["987654"], "tag": "x"}, "no longer exists"),
        ({"action": "explode", "ids": ["1"]}, "Choose what to do"),
        ({"ids": ["1"]}, "Choose what to do"),
        ({"action": "compare", "ids": ["MINE0"]}, "Select at least 2 items"),
        ({"action": "compare", "ids": ["MINE0", "MINE1", "MINE2", "THEIRS", "MINE0"]}, None),
        ({"action": "tag", "ids": ["MINE0"], "tag": "=== !!"}, "Tag: Use letters"),
        ({"action": "collect", "ids": ["MINE0"]}, "Choose a collection or name a new one"),
        ({"action": "collect", "ids": ["MINE0"], "collection": "424242"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_in_words(creator_client, items, data, words):
    names = {"MINE0": items["mine"][0].pk, "MINE1": items["mine"][1].pk}
    names |= {"MINE2": items["mine"][2].pk, "THEIRS": items["theirs"].pk}
    data = {**data, "ids": [str(names.get(i, i)) for i in data.get("ids", [])]}
    response = creator_client.post(SELECTION, data)
    if words is None:  # four distinct items (a repeat is not counted twice): Compare opens
        assert response.status_code == 302 and response["Location"].startswith("/gallery/compare/")
        return
    assert response.status_code == 400
    assert words in response.text
    assert not Tag.objects.exists() and not Collection.objects.exists()


def test_too_many_items_are_refused(creator_client, items):
    ids = [str(n) for n in range(1, 260)]
    response = creator_client.post(SELECTION, {"action": "favourite", "ids": ids})
    assert response.status_code == 400 and "at most 200" in response.text


def test_the_selection_endpoint_needs_post_and_csrf(client, creator_user, items):
    assert client.get(SELECTION).status_code in (302, 405)  # signed out: to sign-in
    client.force_login(creator_user)
    assert client.get(SELECTION).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(creator_user)
    response = strict.post(SELECTION, {"action": "favourite", "ids": [str(items["mine"][0].pk)]})
    assert response.status_code == 403
    assert not creator_user.favourite_media.exists()


def test_compare_shows_prompts_models_and_seeds(viewer_client, items):
    a, b = items["mine"][0], items["theirs"]
    Media.objects.filter(pk=b.pk).update(model="veo-3.1", seed=777)
    page = viewer_client.get(reverse("gallery:compare"), {"ids": [a.pk, b.pk]})
    assert page.status_code == 200
    assert "mine 0" in page.text and "theirs" in page.text
    assert "veo-3.1" in page.text and "777" in page.text
    assert "Keep this one" not in page.text  # a viewer may not archive the others
    assert viewer_client.get(reverse("gallery:compare"), {"ids": [a.pk]}).status_code == 400
    many = [m.pk for m in items["mine"]] + [b.pk, 999999]
    assert viewer_client.get(reverse("gallery:compare"), {"ids": many}).status_code == 400
    assert viewer_client.get(reverse("gallery:compare"), {"ids": ["x", "y"]}).status_code == 400


def test_keep_one_favourites_it_and_archives_the_others(creator_client, creator_user, items):
    a, b, c = items["mine"]
    response = creator_client.post(
        reverse("gallery:compare-keep"), {"ids": [a.pk, b.pk, c.pk], "keep": b.pk}
    )
    assert response.status_code == 302
    assert list(creator_user.favourite_media.values_list("pk", flat=True)) == [b.pk]
    assert set(Media.objects.filter(archived=True).values_list("pk", flat=True)) == {a.pk, c.pk}

    grid = creator_client.get("/gallery/")
    shown = {m for m in (a, b, c) if f'data-card="{m.pk}"' in grid.text}
    assert shown == {b}
    archive = creator_client.get("/gallery/?archived=1")
    shown = {m for m in (a, b, c) if f'data-card="{m.pk}"' in archive.text}
    assert shown == {a, c}
    assert 'name="archived" value="1" checked' in archive.text


def test_keep_refuses_bad_choices_and_foreign_items(creator_client, items):
    a, b = items["mine"][:2]
    url = reverse("gallery:compare-keep")
    response = creator_client.post(url, {"ids": [a.pk, b.pk], "keep": "999"})
    assert response.status_code == 400 and "Choose one of the compared items" in response.text
    response = creator_client.post(url, {"ids": [a.pk, items["theirs"].pk], "keep": a.pk})
    assert response.status_code == 403 and "not yours to archive" in response.text
    assert not Media.objects.filter(archived=True).exists()
