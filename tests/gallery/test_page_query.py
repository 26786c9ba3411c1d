"""A gallery page's rows are read with SQL written out (filters.PageQuery), not built with the ORM
on every request. The ORM's query stays the model: for every filter, walk (favourites, tags),
cursor and way of searching, the written SQL shows the same cards in the same order, with the
same favourite marks, page after page."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import Value
from django.http import QueryDict

from flowdash.accounts.models import FlowAccount
from flowdash.gallery import search
from flowdash.gallery.cards import CardRef
from flowdash.gallery.filters import GalleryFilters, favourite_mark, make_cursor
from flowdash.gallery.models import Collection, CollectionItem, Media, Tag

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WORDS = ["lighthouse", "dawn", "fox", "snow", "zebra", "okapi"]


@pytest.fixture
def gallery(make_user):
    """90 items of two people and two accounts, with tags, a collection, favourites, archived
    items, items that share a moment, and prompts of common and rare words."""
    rng = random.Random(5)
    quinn, dana = make_user("quinn", "creator"), make_user("dana", "creator")
    accounts = [FlowAccount.objects.create(email=f"flow{i}@example.com") for i in range(2)]
    items = Media.objects.bulk_create(
        Media(
            kind=rng.choice(["image", "video", "gif"]),
            model=rng.choice(["imagen-4", "veo-3.1-fast"]),
            aspect_ratio=rng.choice(["16:9", "9:16"]),
            prompt=" ".join(rng.sample(WORDS[:4], 2) + (["zebra"] if i % 13 == 0 else [])),
            created_by=rng.choice([quinn, dana]),
            account=rng.choice(accounts),
            archived=i % 11 == 0,
            download_status=rng.choice(["stored", "stored", "pending"]),
        )
        for i in range(90)
    )
    for i, item in enumerate(items):
        # Every third item shares its moment with the one before: the id breaks the tie.
        item.created_at = T0 + timedelta(hours=i - i % 3 // 2)
    Media.objects.bulk_update(items, ["created_at"])
    hero, dusk = Tag.objects.create(name="hero"), Tag.objects.create(name="dusk")
    hero.media.add(*items[::3])
    dusk.media.add(*items[::2])
    board = Collection.objects.create(name="Board")
    for n, item in enumerate(items[::5]):
        CollectionItem.objects.create(collection=board, media=item, position=n)
    quinn.favourite_media.add(*items[::4])
    dana.favourite_media.add(*items[1::4])
    return quinn, dana, accounts[0], board


def orm_page(filters: GalleryFilters, user) -> list[CardRef]:
    """The page's rows as the ORM reads them: the view's items (``_walk``), with the search
    words, the favourite mark, the first ``per + 1``."""
    qs = filters._walk(user)
    if filters.q:
        qs = qs.matching(filters.q)
    mark = Value(True) if filters.fav else favourite_mark(user)
    rows = qs.annotate(is_favourite=mark).values_list(*CardRef._fields)
    return [CardRef(*row) for row in rows[: filters.per + 1]]


VIEWS = [
    {},
    {"kind": "video"},
    {"kind": "image", "model": "veo-3.1-fast", "ratio": "9:16"},
    {"scope": "mine"},
    {"creator": "dana"},
    {"account": "ACCOUNT"},
    {"fav": "1"},
    {"tag": "hero"},
    {"tag": ["hero", "dusk"]},
    {"fav": "1", "tag": "hero"},
    {"fav": "1", "kind": "gif"},
    {"collection": "BOARD"},
    {"collection": "BOARD", "tag": "dusk"},
    {"archived": "1"},
    {"from": "2026-03-02", "to": "2026-03-03"},
    {"q": "lighthouse"},
    {"q": "dawn fox"},
    {"q": "zeb"},
    {"q": "zebra", "tag": "hero"},
    {"q": "snow", "fav": "1"},
    {"q": "nothing"},
]


@pytest.mark.parametrize(
    "window, few",
    [(50, 5000), (0.2, 5000), (0.2, 0)],  # all in the window; past it: word index, or none
)
@pytest.mark.django_db
def test_every_view_shows_what_the_orm_query_shows(gallery, monkeypatch, window, few):
    monkeypatch.setattr(search, "WINDOW", window)
    monkeypatch.setattr(search, "FEW", few)
    quinn, dana, account, board = gallery
    for view in VIEWS:
        params = QueryDict(mutable=True)
        for key, value in view.items():
            named = {"ACCOUNT": str(account.pk), "BOARD": str(board.pk)}
            values = value if isinstance(value, list) else [named.get(value, value)]
            params.setlist(key, values)
        params["per"] = "24"
        for user in (quinn, dana):
            seen, cursor, pages = [], None, 0
            while True:
                if cursor:
                    params["cursor"] = cursor
                filters = GalleryFilters.from_query(params, user)
                assert not filters.notices, (view, filters.notices)
                expected = orm_page(filters, user)
                items, cursor = filters.page(user)
                assert items == expected[: filters.per], (view, user.username, pages)
                assert (cursor is not None) == (len(expected) > filters.per)
                seen += items
                pages += 1
                if cursor is None:
                    break
            params.pop("cursor", None)
            assert len({ref.pk for ref in seen}) == len(seen)  # none twice across pages
    # Some views must have had several pages, marks and both kinds of download state.
    everything, _ = GalleryFilters.from_query(QueryDict("per=96"), quinn).page(quinn)
    assert len(everything) > 48
    assert {ref.is_favourite for ref in everything} == {True, False}


@pytest.mark.django_db
def test_a_cursor_at_a_shared_moment_neither_repeats_nor_skips(gallery):
    """The cursor names (created_at, id): the next page starts right after that item even when
    the next item has the same moment, on the gallery and on a favourites walk."""
    quinn = gallery[0]
    for query in ("per=24", "per=24&fav=1"):
        filters = GalleryFilters.from_query(QueryDict(query), quinn)
        first, _ = filters.page(quinn)
        middle = first[10]
        params = QueryDict(query, mutable=True)
        params["cursor"] = make_cursor(middle.created_at, middle.pk)
        after, _ = GalleryFilters.from_query(params, quinn).page(quinn)
        assert after[: len(first) - 11] == first[11:]


def test_dates_are_sent_as_the_orm_sends_them():
    """Created-at bounds become the database's own datetime values (on SQLite, text in UTC)."""
    filters = GalleryFilters(date_from=date(2026, 3, 2))
    from django.db import connection

    from flowdash.gallery.filters import PageQuery

    query = PageQuery(filters, type("Nobody", (), {"pk": 0})())
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    assert connection.ops.adapt_datetimefield_value(moment) in query.params
