"""Someone's favourites and a tag's items: their rows keep the item's created_at, and a
favourites page or a tag's page is read from them newest first, page after page, in the grid's
order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flowdash.gallery.models import Favourite, Media, Tag, Tagging
from tests.gallery.factories import make_media

URL = reverse("gallery:index")
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def walk(client, params: dict) -> list[int]:
    """Every item a view shows, page after page (24 per page), by following "Load more"."""
    shown, cursor = [], None
    for _ in range(50):
        page = client.get(URL, {**params, "per": 24, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        shown += [card.pk for card in page.context["items"]]
        cursor = page.context["next_cursor"]
        if cursor is None:
            return shown
    raise AssertionError("more than 50 pages")


def search_leaves_out_archived(client, params: dict, members: set[int], item: Media) -> None:
    """A search among a view's items (``members``) finds them in the grid's order, and
    ``item``, once archived, is left out as anywhere else."""
    Media.objects.filter(pk=item.pk).update(archived=True)
    newest_first = Media.objects.order_by("-created_at", "-pk").values_list("pk", "prompt")
    assert walk(client, {**params, "q": "item 5"}) == [
        pk
        for pk, prompt in newest_first
        if pk in members and pk != item.pk and prompt.startswith("item 5")
    ]


@pytest.mark.django_db
def test_favourites_are_shown_in_the_grids_order_across_pages(client, make_user):
    quinn, olga = make_user("quinn", "creator"), make_user("olga", "creator")
    client.force_login(quinn)
    hero = Tag.objects.create(name="hero")
    # 60 items; every 12 share one moment (ties broken by id, as the grid does).
    made = [
        make_media(prompt=f"item {i}", created_at=T0 + timedelta(minutes=i // 12))
        for i in range(60)
    ]
    # Favourited out of order, both ways round, and some by someone else only.
    for i in (59, 3, 40, 12, 13, 11, 0, 25, 26, 27, 50, 49, 48, 36, 24, 23, 35, 47, 58, 1):
        made[i].favourited_by.add(quinn)
    quinn.favourite_media.add(*[made[i] for i in range(5, 10)], made[30], made[31])
    olga.favourite_media.add(*made[40:])
    Favourite.objects.create(media=made[2], user=quinn)  # as the admin would
    for i in (0, 3, 12, 13, 25, 26, 27, 31, 36, 47, 48, 49, 50, 58):
        made[i].tags.add(hero)

    # Each row holds its item's moment, whichever way it was added.
    rows = Favourite.objects.filter(user=quinn).select_related("media")
    assert rows.count() == 28
    assert all(row.media_created_at == row.media.created_at for row in rows)

    newest_first = list(Media.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    favourites = set(quinn.favourite_media.values_list("pk", flat=True))
    assert walk(client, {"fav": "1"}) == [pk for pk in newest_first if pk in favourites]
    tagged = set(hero.media.values_list("pk", flat=True))
    assert walk(client, {"fav": "1", "tag": "hero"}) == [
        pk for pk in newest_first if pk in favourites & tagged
    ]
    search_leaves_out_archived(client, {"fav": "1"}, favourites, made[59])
    # Every card on a favourites page is marked as one.
    page = client.get(URL, {"fav": "1"})
    assert all(card.is_favourite for card in page.context["items"])
    # Taking one back removes it from the page.
    client.post(reverse("gallery:favourite", args=[made[58].pk]))
    assert made[58].pk not in walk(client, {"fav": "1"})


@pytest.mark.django_db
def test_a_tags_items_are_shown_in_the_grids_order_across_pages(client, make_user):
    quinn = make_user("quinn", "creator")
    client.force_login(quinn)
    hero, dusk = Tag.objects.create(name="hero"), Tag.objects.create(name="dusk")
    # 60 items, every 12 sharing one moment (ties broken by id, as the grid does); some videos.
    made = [
        make_media(
            prompt=f"item {i}",
            kind=Media.Kind.VIDEO if i % 4 == 0 else Media.Kind.IMAGE,
            created_at=T0 + timedelta(minutes=i // 12),
            with_file=False,
            created_by=quinn,
        )
        for i in range(60)
    ]
    # Tagged out of order and every way there is: from the item, from the tag (as the
    # gallery's "tag the selection" does), through the model (as the admin would), and from
    # an item's page.
    for i in (59, 3, 40, 12, 13, 11, 0, 25, 26, 27):
        made[i].tags.add(hero)
    hero.media.add(*[made[i] for i in (50, 49, 48, 36, 24, 23, 35, 47, 58, 1, 5, 6, 7)])
    Tagging.objects.create(media=made[2], tag=hero)
    for i in (30, 31):
        response = client.post(reverse("gallery:tag-add", args=[made[i].pk]), {"name": "hero"})
        assert response.status_code in (200, 302)
    dusk.media.add(*made[::3])
    quinn.favourite_media.add(made[59], made[13])

    # Each row holds its item's moment, whichever way it was added.
    rows = Tagging.objects.filter(tag=hero).select_related("media")
    assert rows.count() == 26
    assert all(row.media_created_at == row.media.created_at for row in rows)

    newest_first = list(Media.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    heroes = set(hero.media.values_list("pk", flat=True))
    dusks = set(dusk.media.values_list("pk", flat=True))
    videos = set(Media.objects.filter(kind=Media.Kind.VIDEO).values_list("pk", flat=True))
    assert walk(client, {"tag": "hero"}) == [pk for pk in newest_first if pk in heroes]
    # Two tags: items with both; the order of the tags does not matter.
    both = [pk for pk in newest_first if pk in heroes & dusks]
    assert both and walk(client, {"tag": ["hero", "dusk"]}) == both
    assert walk(client, {"tag": ["dusk", "hero"]}) == both
    assert walk(client, {"tag": "hero", "kind": "video"}) == [
        pk for pk in newest_first if pk in heroes & videos
    ]
    # The favourite mark still shows on a tag's page.
    page = client.get(URL, {"tag": "hero"})
    marked = {card.pk for card in page.context["items"] if card.is_favourite}
    assert marked == {made[59].pk, made[13].pk}
    search_leaves_out_archived(client, {"tag": "hero"}, heroes, made[59])
    # Taking the tag off an item removes it from the tag's page.
    tag_off = reverse("gallery:tag-remove", args=[made[58].pk, hero.pk])
    assert client.post(tag_off).status_code in (200, 302)
    assert made[58].pk not in walk(client, {"tag": "hero"})


def plan(sql: str) -> str:
    """The database's plan for ``sql``; on PostgreSQL, with scans and sorts priced out so that
    a handful of rows does not make a whole-table read look cheaper than the index."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return " ".join(str(row) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return " ".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "params, table, index",
    [
        ({"fav": "1"}, "gallery_media_favourited_by", "favourite_newest"),
        ({"tag": "hero"}, "gallery_media_tags", "tagging_newest"),
        ({"tag": "hero", "kind": "image"}, "gallery_media_tags", "tagging_newest"),
    ],
)
@pytest.mark.django_db
def test_a_favourites_or_tag_page_reads_its_rows_by_their_index(
    client, make_user, params, table, index
):
    """The page starts from the favourite (or the tag's) rows in the grid's order, by their
    index, not from the whole gallery with a lookup per item."""
    quinn = make_user("quinn", "creator")
    client.force_login(quinn)
    hero = Tag.objects.create(name="hero")
    made = [make_media(prompt=f"item {i}") for i in range(5)]
    quinn.favourite_media.add(*made)
    hero.media.add(*made)
    with CaptureQueriesContext(connection) as ctx:
        assert len(client.get(URL, params).context["items"]) == 5
    order = f'"{table}"."media_created_at" DESC'
    [sql] = [q["sql"] for q in ctx.captured_queries if order in q["sql"]]
    found = plan(sql)
    # Its index, already in the page's order: nothing is sorted.
    assert index in found
    assert "TEMP B-TREE" not in found and "Sort Key" not in found


@pytest.mark.django_db(transaction=True)
def test_the_migrations_give_existing_favourites_and_tags_their_items_moment(make_user):
    """Favourites and tags made before migrations 0009 and 0010 get their item's created_at."""
    executor = MigrationExecutor(connection)
    before, after = (
        [("gallery", "0008_shown_by_id_covering_index")],
        executor.loader.graph.leaf_nodes(),
    )
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldMedia = old.get_model("gallery", "Media")
        hero = old.get_model("gallery", "Tag").objects.create(name="hero")
        quinn = make_user("quinn", "creator")
        items = [
            OldMedia.objects.create(kind="image", prompt=f"old {i}", search_text="")
            for i in range(3)
        ]
        for i, item in enumerate(items):
            OldMedia.objects.filter(pk=item.pk).update(created_at=T0 - timedelta(days=i))
            item.favourited_by.add(quinn.pk)
            item.tags.add(hero.pk)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    moments = [T0 - timedelta(days=i) for i in (2, 1, 0)]
    rows = Favourite.objects.filter(user=quinn).order_by("media_created_at")
    assert [row.media_created_at for row in rows] == moments
    rows = Tagging.objects.filter(tag_id=hero.pk).order_by("media_created_at")
    assert [row.media_created_at for row in rows] == moments
