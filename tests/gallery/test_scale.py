"""The gallery costs the same number of SQL queries with 30 items as with 300 (the benchmark,
bench/gallery.py, measures the time at 10,000 and 1,000,000)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flowdash.gallery import filters
from flowdash.gallery.filters import make_cursor
from flowdash.gallery.models import Media, Tag

URL = reverse("gallery:index")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true", "HX-Target": "gallery-more"}
WORDS = ["lighthouse", "dawn", "fox", "snow", "neon", "city"]


def add_rows(n: int, user, tag: Tag, start: int) -> None:
    """n items, one minute apart, in the bench's mix: kinds, models, ratios, a tag and
    favourites on some, prompts drawn from a few words."""
    made = Media.objects.bulk_create(
        Media(
            kind=("image", "video", "gif")[i % 3],
            model=("imagen-4", "veo-3.1-fast")[i % 2],
            aspect_ratio=("16:9", "9:16", "1:1")[i % 3],
            prompt=" ".join(WORDS[(i + k) % len(WORDS)] for k in range(4)),
            download_status=Media.Download.STORED,
            created_by=user,
        )
        for i in range(start, start + n)
    )
    for i, media in enumerate(made):
        media.created_at = T0 + timedelta(minutes=start + i)
    Media.objects.bulk_update(made, ["created_at"])
    tagged = made[::5]
    Media.tags.through.objects.bulk_create(
        Media.tags.through(media_id=m.pk, tag_id=tag.pk) for m in tagged
    )
    Media.favourited_by.through.objects.bulk_create(
        Media.favourited_by.through(media_id=m.pk, user_id=user.pk) for m in tagged[::2]
    )


def pages() -> dict[str, tuple[dict, dict]]:
    newest_first = list(Media.objects.order_by("-created_at", "-pk"))
    deep = newest_first[int(len(newest_first) * 0.9)]
    cursor = make_cursor(deep.created_at, deep.pk)
    return {
        "first": ({}, {}),
        "filtered": ({"kind": "video", "model": "veo-3.1-fast", "ratio": "9:16"}, {}),
        "favourites+tag": ({"fav": "1", "tag": "hero"}, {}),
        "tag": ({"tag": "hero"}, {}),
        "search": ({"q": "lighthouse dawn"}, {}),
        "deep": ({"cursor": cursor}, {}),
        "load more": ({"cursor": cursor}, HTMX),
    }


def warm_counts(client) -> dict[str, int]:
    """Each page's queries on its second request (its cards cached, as on a running server)."""
    counts = {}
    for name, (params, headers) in pages().items():
        first = client.get(URL, params, headers=headers)
        assert first.status_code == 200, name
        with CaptureQueriesContext(connection) as ctx:
            again = client.get(URL, params, headers=headers)
        assert again.status_code == 200, name
        assert 'class="g-thumb"' in again.text, f"{name}: an empty page proves nothing"
        counts[name] = len(ctx.captured_queries)
    return counts


@pytest.mark.django_db
def test_each_page_has_the_same_query_count_at_ten_times_the_rows(client, make_user):
    user = make_user("quinn", "creator")
    client.force_login(user)
    tag = Tag.objects.create(name="hero")
    add_rows(60, user, tag, start=0)
    small = warm_counts(client)
    add_rows(540, user, tag, start=60)
    large = warm_counts(client)
    assert small == large
    # The session with the person and role, facets, the page. What picks a plan (which way a tag or the
    # favourites are read, where the newest items a search reads end) is kept for a minute,
    # and the tag's id with the menus: see the next test for the first request.
    assert large == {
        "first": 3,
        "filtered": 3,
        "favourites+tag": 3,
        "tag": 3,
        "search": 3,
        "deep": 3,
        "load more": 3,
    }


@pytest.mark.django_db
def test_a_filter_asks_which_plan_to_use_once_a_minute(client, make_user):
    """The first favourites + tag page counts the tag's rows (one bounded count) and looks the
    tag up; the next page in that minute does neither. (The favourites need no count: the page
    is read from them in the grid's order, whatever their number.)"""
    user = make_user("quinn", "creator")
    client.force_login(user)
    tag = Tag.objects.create(name="hero")
    add_rows(60, user, tag, start=0)
    params = {"fav": "1", "tag": "hero"}

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert 'class="g-thumb"' in client.get(URL, params, headers=HTMX).text
        return [q["sql"] for q in ctx.captured_queries]

    first, again = queries(), queries()
    counts = [sql for sql in first if sql.startswith("SELECT COUNT(*)")]
    assert len(counts) == 1 and '"gallery_media_tags"' in counts[0]
    assert [sql for sql in first if '"gallery_tag"' in sql]
    assert not [sql for sql in again if "COUNT(*)" in sql or '"gallery_tag"' in sql]
    assert len(again) == 3  # the session with the person, facets, the page


@pytest.mark.django_db
def test_past_a_few_related_items_the_query_count_is_the_same(client, make_user, monkeypatch):
    """The other plan (read newest first, test each item) costs the same queries."""
    user = make_user("quinn", "creator")
    client.force_login(user)
    tag = Tag.objects.create(name="hero")
    add_rows(60, user, tag, start=0)
    few = warm_counts(client)
    monkeypatch.setattr(filters, "FEW_RELATED", 3)
    assert warm_counts(client) == few


@pytest.mark.parametrize("few_related", [2000, 3])
@pytest.mark.django_db
def test_favourites_and_tag_filter_still_finds_exactly_the_right_items(
    client, make_user, monkeypatch, few_related
):
    """Whichever plan the number of related items picks, the same items are shown."""
    monkeypatch.setattr(filters, "FEW_RELATED", few_related)
    user = make_user("quinn", "creator")
    other = make_user("olga", "creator")
    client.force_login(user)
    tag, other_tag = Tag.objects.create(name="hero"), Tag.objects.create(name="villain")
    add_rows(40, user, tag, start=0)
    # Favourites of someone else, and favourites with another tag, are not shown.
    for media in Media.objects.order_by("pk")[:6]:
        media.favourited_by.add(other)
        media.tags.add(other_tag)
    expected = sorted(
        Media.objects.filter(tags=tag).filter(favourited_by=user).values_list("pk", flat=True)
    )
    response = client.get(URL, {"fav": "1", "tag": "hero", "per": 96})
    shown = sorted(card.pk for card in response.context["items"])
    assert shown == expected and len(expected) == 4
    both = client.get(URL, {"tag": ["hero", "villain"], "per": 96})
    assert sorted(c.pk for c in both.context["items"]) == sorted(
        Media.objects.filter(tags=tag).filter(tags=other_tag).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_the_grid_index_is_migrated_on_this_database():
    """Migration 0006 applied (the test database is built by the migrations): on PostgreSQL a
    partial covering index, on SQLite a partial one (SQLite has no INCLUDE)."""
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Media._meta.db_table)
        assert indexes["media_shown_newest"]["columns"][:2] == ["created_at", "id"]
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'media_shown_newest'")
            definition = cursor.fetchone()[0]
            assert "INCLUDE (download_status) WHERE (NOT archived)" in definition
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'media_shown_newest'")
            assert 'WHERE NOT "archived"' in cursor.fetchone()[0]


@pytest.mark.django_db
def test_browsing_hundreds_of_cards_keeps_what_picks_the_plans(client, make_user):
    """Cards share the process's cache with the menus and the plan choices: a few pages of 96
    cards must not push those out (Django's default cache kept 300 entries)."""
    user = make_user("quinn", "creator")
    client.force_login(user)
    tag = Tag.objects.create(name="hero")
    add_rows(500, user, tag, start=0)
    filtered = {"fav": "1", "tag": "hero"}
    assert client.get(URL, filtered).status_code == 200  # plans chosen, menus read
    cursor = None
    for _ in range(5):
        page = client.get(URL, {"per": 96, **({"cursor": cursor} if cursor else {})})
        cursor = page.context["next_cursor"]
    with CaptureQueriesContext(connection) as ctx:
        assert 'class="g-thumb"' in client.get(URL, filtered).text
    assert not [q for q in ctx.captured_queries if "COUNT(*)" in q["sql"]]
    assert len(ctx.captured_queries) == 3  # the session with the person, facets, the page
