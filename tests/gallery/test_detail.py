"""One item: what it shows, its actions, and who may use them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flowdash.gallery.models import Collection, Media, Tag
from flowdash.jobs.models import Job
from tests.gallery.factories import make_media


@pytest.fixture
def media(creator_user):
    job = Job.objects.create(kind="image", params={"prompt": "x"})
    return make_media(
        prompt="A lighthouse at dawn",
        model="imagen-4",
        seed=777,
        created_by=creator_user,
        job=job,
        width=64,
        height=48,
        account_email="flow1@example.com",
    )


@pytest.mark.django_db
def test_detail_shows_the_facts_and_the_ways_to_use_it(client, make_user, media):
    client.force_login(make_user("otto", "creator"))
    response = client.get(reverse("gallery:detail", args=[media.pk]))
    assert response.status_code == 200
    text = response.text
    for fact in (
        "A lighthouse at dawn",
        "imagen-4",
        "777",
        "64 × 48",
        "flow1@example.com",
        "carol",
    ):
        assert fact in text
    assert f"/jobs/{media.job_id}/" in text
    assert f"/studio/?from_media={media.pk}" in text
    assert f"/studio/?reference=media:{media.pk}" in text
    assert f"/studio/?start=media:{media.pk}" in text
    assert reverse("gallery:download", args=[media.pk]) in text
    assert "Copy prompt" in text
    # Another creator may collect it, but not tag or delete it.
    assert "Add to collection" in text
    assert "Add tag" not in text and "Delete this" not in text


@pytest.mark.django_db
def test_a_viewer_sees_the_item_without_organising_controls(viewer_client, media):
    text = viewer_client.get(reverse("gallery:detail", args=[media.pk])).text
    assert "A lighthouse at dawn" in text and reverse("gallery:download", args=[media.pk]) in text
    assert "Add tag" not in text and "Delete this" not in text and "Add to collection" not in text
    assert "Remix in the studio" not in text


@pytest.mark.django_db
def test_videos_get_a_player_and_no_frame_actions(viewer_client):
    video = make_media(kind="video", prompt="waves")
    text = viewer_client.get(reverse("gallery:detail", args=[video.pk])).text
    assert "<video" in text and "Use as start frame" not in text


@pytest.mark.django_db
def test_unknown_item_is_404(viewer_client):
    assert viewer_client.get(reverse("gallery:detail", args=[424242])).status_code == 404


@pytest.mark.django_db
def test_anyone_may_keep_personal_favourites(viewer_client, viewer_user, media):
    url = reverse("gallery:favourite", args=[media.pk])
    response = viewer_client.post(
        url, headers={"HX-Request": "true", "HX-Target": "favourite-button"}
    )
    assert response.status_code == 200 and "★ Favourite" in response.text
    assert "<html" not in response.text
    assert media.favourited_by.filter(pk=viewer_user.pk).exists()
    viewer_client.post(url)
    assert not media.favourited_by.exists()


@pytest.mark.django_db
def test_the_creator_tags_their_item(client, creator_user, media):
    client.force_login(creator_user)
    url = reverse("gallery:tag-add", args=[media.pk])
    response = client.post(url, {"name": "  Hero   Shot "}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "hero shot" in response.text
    assert list(media.tags.values_list("name", flat=True)) == ["hero shot"]
    bad = client.post(url, {"name": "!!!"}, headers={"HX-Request": "true"})
    assert "Use letters, digits" in bad.text
    assert media.tags.count() == 1
    page = client.post(url, {"name": ""})
    assert page.status_code == 400 and "This field is required" in page.text
    tag = Tag.objects.get(name="hero shot")
    client.post(reverse("gallery:tag-remove", args=[media.pk, tag.pk]))
    assert media.tags.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["viewer", "other creator"])
def test_others_may_not_tag_or_delete(client, make_user, media, who):
    person = make_user("pat", "viewer" if who == "viewer" else "creator")
    client.force_login(person)
    tag = Tag.objects.create(name="keep")
    media.tags.add(tag)
    assert (
        client.post(reverse("gallery:tag-add", args=[media.pk]), {"name": "x"}).status_code == 403
    )
    assert client.post(reverse("gallery:tag-remove", args=[media.pk, tag.pk])).status_code == 403
    assert client.get(reverse("gallery:delete", args=[media.pk])).status_code == 403
    assert client.post(reverse("gallery:delete", args=[media.pk])).status_code == 403
    assert list(media.tags.all()) == [tag]
    assert Media.objects.filter(pk=media.pk).exists()
    assert media.file.storage.exists(media.file.name)


@pytest.mark.django_db
def test_viewers_may_not_add_to_collections(viewer_client, media):
    board = Collection.objects.create(name="Board")
    response = viewer_client.post(
        reverse("gallery:collect", args=[media.pk]), {"collection": board.pk}
    )
    assert response.status_code == 403
    assert not board.entries.exists()


@pytest.mark.django_db
def test_admin_may_tag_and_delete_anything(admin_client, media):
    admin_client.post(reverse("gallery:tag-add", args=[media.pk]), {"name": "ok"})
    assert media.tags.count() == 1


@pytest.mark.django_db(transaction=True)
def test_delete_asks_first_then_removes_row_and_files(client, creator_user, media):
    client.force_login(creator_user)
    client.get(reverse("gallery:thumbnail", args=[media.pk]))
    media.refresh_from_db()
    storage = media.file.storage
    names = [media.file.name, media.thumbnail.name]
    assert all(storage.exists(n) for n in names)
    confirm = client.get(reverse("gallery:delete", args=[media.pk]))
    assert confirm.status_code == 200
    assert f"Delete image {media.pk}" in confirm.text and "A lighthouse at dawn" in confirm.text
    response = client.post(reverse("gallery:delete", args=[media.pk]))
    assert response.status_code == 302
    assert not Media.objects.filter(pk=media.pk).exists()
    assert not any(storage.exists(n) for n in names)


@pytest.mark.django_db
def test_add_to_a_new_or_existing_collection(client, creator_user, media):
    client.force_login(creator_user)
    url = reverse("gallery:collect", args=[media.pk])
    response = client.post(url, {"new_name": "  Launch  board "}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Launch board" in response.text
    board = Collection.objects.get(name="Launch board")
    assert board.created_by == creator_user and board.cover == media
    again = client.post(url, {"collection": board.pk}, headers={"HX-Request": "true"})
    assert "already in" in again.text
    assert board.entries.count() == 1
    empty = client.post(url, {}, headers={"HX-Request": "true"})
    assert "Choose a collection or name a new one" in empty.text
    bad = client.post(url, {"collection": "99999"})
    assert bad.status_code == 400


@pytest.mark.django_db
def test_pending_and_lost_items_say_so_without_a_download(viewer_client):
    pending = make_media(with_file=False, prompt="on its way")
    lost = make_media(prompt="gone for good")
    Media.objects.filter(pk=lost.pk).update(
        download_status=Media.Download.LOST, download_error="The file is missing from storage."
    )
    text = viewer_client.get(reverse("gallery:detail", args=[pending.pk])).text
    assert (
        "Still downloading" in text and reverse("gallery:download", args=[pending.pk]) not in text
    )
    text = viewer_client.get(reverse("gallery:detail", args=[lost.pk])).text
    assert "The file is lost" in text and "missing from storage" in text
    assert reverse("gallery:download", args=[lost.pk]) not in text


@pytest.mark.django_db
def test_previous_and_next_stay_within_the_grids_filters(viewer_client):
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    made = []
    for i, model in enumerate(["imagen-4", "nano-banana", "imagen-4", "nano-banana", "imagen-4"]):
        item = make_media(prompt=f"item {i}", model=model)
        Media.objects.filter(pk=item.pk).update(created_at=t0 + timedelta(minutes=i))
        made.append(item)
    middle = made[2]  # an imagen-4 item; the grid shows newest first

    # From the filtered grid, the card's link keeps the filter...
    grid = viewer_client.get(reverse("gallery:index"), {"model": "imagen-4"})
    assert f'href="/gallery/{middle.pk}/?model=imagen-4"' in grid.text

    # ...and the item steps to the newer and older imagen-4 items, skipping nano-banana ones.
    page = viewer_client.get(reverse("gallery:detail", args=[middle.pk]), {"model": "imagen-4"})
    assert page.context["prev_url"] == f"/gallery/{made[4].pk}/?model=imagen-4"
    assert page.context["next_url"] == f"/gallery/{made[0].pk}/?model=imagen-4"
    assert page.context["back_url"] == "/gallery/?model=imagen-4"

    # Without a filter, the neighbours are the adjacent items of the whole gallery.
    plain = viewer_client.get(reverse("gallery:detail", args=[middle.pk]))
    assert plain.context["prev_url"] == f"/gallery/{made[3].pk}/"
    assert plain.context["next_url"] == f"/gallery/{made[1].pk}/"

    # The oldest has no "older", the newest no "newer".
    oldest = viewer_client.get(reverse("gallery:detail", args=[made[0].pk]))
    assert oldest.context["next_url"] == ""
    assert 'rel="next"' not in oldest.text
