"""The gallery's search through the word index (migration 0007, gallery/search.py): whichever way
a page is found (the newest items read in turn, the word index, or the plain walk), it shows the
same items as the search's own rule, and the index follows every change to an item."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from flowdash.gallery import search
from flowdash.gallery.models import Media, search_words

URL = reverse("gallery:index")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
COMMON = ["lighthouse", "dawn", "fox", "snow"]
LONG_WORD = "x" * 70 + "tail"


def prompt_for(i: int) -> str:
    words = [COMMON[(i + k) % len(COMMON)] for k in range(2)]
    if i % 17 == 0:
        words.append("zebra")  # rare
    if i == 23:
        words.append("Crème-Brûlée")  # accents, a dash
    if i == 31:
        words.append(LONG_WORD)  # longer than a lexeme kept in the index (60 characters)
    if i == 40:
        words.append("東京タワー")  # not ASCII: one word for us, one token for the index
    return " ".join(words)


def gallery(n: int = 60) -> list[Media]:
    made = Media.objects.bulk_create(
        Media(kind="image", model="imagen-4", prompt=prompt_for(i)) for i in range(n)
    )
    for i, media in enumerate(made):
        media.created_at = T0 + timedelta(minutes=i)
    Media.objects.bulk_update(made, ["created_at"])
    return made


def expected(query: str) -> list[int]:
    """The search's rule, applied in Python: every query word starts a word of the prompt."""
    words = [w[:60] for w in search_words(query)[:8]]
    found = [
        m
        for m in Media.objects.order_by("-created_at", "-pk")
        if all(any(p.startswith(w) for p in search_words(f"{m.prompt} {m.name}")) for w in words)
    ]
    return [m.pk for m in found]


def shown(client, query: str, per: int = 24) -> list[int]:
    """Every item the grid shows for ``query``, page after page."""
    found, cursor = [], None
    while True:
        params = {"q": query, "per": per, **({"cursor": cursor} if cursor else {})}
        response = client.get(URL, params)
        assert response.status_code == 200
        found += [card.pk for card in response.context["items"]]
        cursor = response.context["next_cursor"]
        if not cursor:
            return found


QUERIES = [
    "lighthouse",
    "zebra",
    "zeb",
    "lighthouse zebra",
    "dawn fox",
    "dawn snow",  # never together
    "creme brulee",
    "BRÛL",
    "x" * 65,  # a query word is cut to 60 characters, as is the long word in the index
    "xxxx",
    "tail",  # inside the long word, not at its start
    "東京",
    "タワー",  # not a word start
    "unicorn",
    "lig z",
]


@pytest.mark.parametrize(
    ("window", "few"),
    [
        (50, 5000),  # the whole gallery is inside the newest window
        (0.2, 5000),  # past the window: the word index
        (0.2, 0),  # past the window, no word rare enough for the index (SQLite): the plain walk
    ],
)
@pytest.mark.django_db
def test_every_path_shows_exactly_what_the_search_rule_finds(
    viewer_client, monkeypatch, window, few
):
    monkeypatch.setattr(search, "WINDOW", window)
    monkeypatch.setattr(search, "FEW", few)
    gallery()
    for query in QUERIES:
        want = expected(query)
        assert shown(viewer_client, query) == want, query
        assert shown(viewer_client, query, per=96) == want, query
    assert len(expected("zebra")) == 4 and expected("x" * 65) and expected("東京")
    assert expected("dawn snow") == [] == expected("タワー") == expected("tail")


@pytest.mark.django_db
def test_the_index_follows_new_changed_and_deleted_items(viewer_client, monkeypatch):
    monkeypatch.setattr(search, "WINDOW", 0.2)  # every rare word goes through the index
    made = gallery(20)
    assert shown(viewer_client, "okapi") == []
    media = made[4]
    media.prompt = "an okapi at dusk"
    media.save()
    assert shown(viewer_client, "okapi") == [media.pk]
    assert shown(viewer_client, "zebra") == expected("zebra")  # its old words are gone
    media.name = "quokka portrait"
    media.save(update_fields=["name"])
    assert shown(viewer_client, "quokka okapi") == [media.pk]
    newest = Media.objects.create(kind="image", prompt="okapi again")
    assert shown(viewer_client, "okapi") == [newest.pk, media.pk]
    media.delete()
    assert shown(viewer_client, "okapi") == [newest.pk]
    Media.objects.filter(pk=newest.pk).delete()
    assert shown(viewer_client, "okapi") == []


@pytest.mark.django_db
def test_a_rare_word_is_looked_up_in_the_word_index(viewer_client, monkeypatch):
    """Past the newest window, the page of a rare word comes from the index: on SQLite the
    FTS5 table is asked; on PostgreSQL the query carries the indexed tsvector expression."""
    monkeypatch.setattr(search, "WINDOW", 0.2)
    gallery()
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert shown(viewer_client, "zebra", per=96) == expected("zebra")
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    if connection.vendor == "sqlite":
        assert "gallery_media_fts MATCH" in sql
    else:
        assert "@@" in sql and "array_to_tsvector" in sql


@pytest.mark.django_db
def test_the_word_index_is_migrated_on_this_database():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'media_search_words'")
            definition = cursor.fetchone()[0]
            assert "USING gin" in definition and "array_to_tsvector" in definition
            # The query's expression is the indexed one, or the planner cannot use the index.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                "EXPLAIN SELECT id FROM gallery_media WHERE "
                + search.PG_WORDS_SQL.format(column="search_text")
                + " @@ %s::tsquery",
                ["'zebra':*"],
            )
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "media_search_words" in plan
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [Media._meta.db_table],
            )
            triggers = {row[0] for row in cursor.fetchall()}
            assert triggers == {
                "gallery_media_fts_insert",
                "gallery_media_fts_delete",
                "gallery_media_fts_update",
            }


@pytest.mark.django_db
def test_a_common_word_is_tested_in_the_index_without_reading_the_items(viewer_client, monkeypatch):
    """A common word's page reads the newest items in turn. On SQLite their words are tested
    in the index media_shown_search (migration 0011), which holds every column the page reads,
    so no item's row is read; PostgreSQL has no such index (a long prompt would not fit)."""
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(search, "WINDOW", 0.2)  # a window of the newest 5 items (24 per page)
    gallery()
    with CaptureQueriesContext(connection) as ctx:
        assert shown(viewer_client, "lighthouse") == expected("lighthouse")
    walks = [
        q["sql"]
        for q in ctx.captured_queries
        if "lighthouse" in q["sql"] and 'created_at" >=' in q["sql"]
    ]
    assert walks, "no query read the newest window"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {walks[0]}")
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "USING COVERING INDEX media_shown_search" in plan, plan
        else:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'media_shown_search'")
            assert cursor.fetchone() is None


def test_the_migration_indexes_the_expression_the_search_asks_for():
    migration = Path(search.__file__).parent / "migrations" / "0007_search_word_index.py"
    text = migration.read_text()
    found = re.search(r'PG_WORDS = \(\n    r"(.*)"\n    r"(.*)"\n\)', text)
    assert found, "PG_WORDS not found in migration 0007"
    assert found[1] + found[2] == search.PG_WORDS_SQL.format(column="search_text")


@pytest.mark.django_db
def test_a_kept_plan_that_is_out_of_date_still_shows_the_right_items(viewer_client, monkeypatch):
    """Where the newest window ends and how many items have a word are kept for a while (they
    only pick the plan). Items archived since, or a word that became common, change how many
    rows are read, never what is shown."""
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(search, "WINDOW", 0.2)  # a window of the newest 5 items (24 per page)
    made = gallery()
    with CaptureQueriesContext(connection) as first:
        assert shown(viewer_client, "lighthouse") == expected("lighthouse")
    with CaptureQueriesContext(connection) as again:
        assert shown(viewer_client, "lighthouse") == expected("lighthouse")
    edges = [[q for q in ctx.captured_queries if "OFFSET" in q["sql"]] for ctx in (first, again)]
    assert edges[0] and not edges[1]  # where the window ends was read once, then kept
    # The window's newest items are filed away: the kept edge now holds no item at all.
    newest = [m.pk for m in sorted(made, key=lambda m: m.created_at)[-8:]]
    Media.objects.filter(pk__in=newest).update(archived=True)
    want = [pk for pk in expected("lighthouse") if pk not in newest]
    assert shown(viewer_client, "lighthouse") == want and len(want) == 26
    # "zebra" is known to be rare, then half the gallery gets it: the index is still asked.
    assert shown(viewer_client, "zebra") == expected("zebra")
    for media in Media.objects.filter(pk__in=[m.pk for m in made[::2]]):
        media.prompt += " zebra"
        media.save()
    want = [pk for pk in expected("zebra") if pk not in newest]
    assert shown(viewer_client, "zebra") == want and len(want) > 26
