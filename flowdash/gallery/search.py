"""The gallery's search, at the same cost for a common word as for a rare one, at any size.

What a search finds is set by ``MediaQuerySet.matching``: items whose ``search_text`` has every
query word as a word or the start of one (``LIKE '% word%'``). That condition stays on every
query; this module only adds a way to reach the few candidates without reading every row:

- a common word is found by reading the gallery newest first (one page needs a few hundred
  rows): :func:`window_edge` bounds that walk to the newest ``WINDOW`` items
  per item of a page;
- a rare word would make that walk read the whole table (1.8 s at a million items on SQLite),
  so the page is then drawn from a word index (migration 0007), asked only for the query's
  words that are in at most ``FEW`` items (reading a common word's entries costs as much as
  the walk it replaces): on PostgreSQL a GIN index of the words as a tsvector, the rare words
  told apart by the statistics ANALYZE keeps of it; on SQLite an FTS5 table, asked for the
  rarest word (counted with fts5vocab).

What picks the way is kept for a while (:func:`word_counts`, :func:`window_edge`): a search
with a word already known to be rare goes to the word index at once, without reading the
window first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from flowdash.gallery.models import Media, search_words

# The newest items a search reads before it turns to the word index, per item of a page: a
# page is found there when at least one item in WINDOW has the words (2%).
WINDOW = 50
# A word in at most this many items is looked up in the word index; above it every
# query word is common and the newest-first walk finds a page soon enough.
FEW = 5000
MAX_WORDS = 8  # as MediaQuerySet.matching
# How long what picks a plan is kept (where a window ends, here; how big a tag or someone's
# favourites are, in filters.py), and how many items have a word: each only picks the plan, so
# an out-of-date one costs some speed, never a wrong page.
PLAN_SECONDS = 60
WORD_SECONDS = 600
MAX_WORD_CHARS = 60

# The words of search_text as a tsvector: each word one lexeme as it is (no parser, no
# stemming), cut to 60 characters as query words are (a lexeme has at most 2046 bytes).
# Migration 0007 indexes exactly this expression; keep the two the same.
PG_WORDS_SQL = (
    r"array_to_tsvector(array_remove(string_to_array("
    r"regexp_replace(btrim({column}), '(\S{{60}})\S+', '\1', 'g'), ' '), ''))"
)


def query_words(query: str) -> list[str]:
    return [w[:MAX_WORD_CHARS] for w in search_words(query)[:MAX_WORDS]]


def window_edge(
    newest: Callable[[], QuerySet], page: int, total: int, view: str
) -> tuple[datetime, int] | None:
    """Where the newest ``WINDOW * page`` items of a view end: the (created_at, id) of the last
    of them, or None when the view has no more than that many (then the whole view is as cheap).

    ``newest()``: the view's items (a queryset, built only when the edge is not kept), whose
    ``order_by("-at", "-pk")`` names their created_at and id; ``total``: at least the number of
    items in the gallery; ``view``: a key naming the items of the view (see
    ``GalleryFilters._view_key``). The edge is one query, an index walk, kept for a minute
    under that key: someone typing a search asks for the same view with each word. Any edge
    gives a window that is the start of the view in the page's order, so one that is out of date
    changes how many rows are read, never which items are shown (a page the window does not fill
    is looked for past it).
    """
    size = max(1, int(WINDOW * page))
    if total <= size:
        return None
    key = f"gallery:edge:{size}:{view}"
    edge = cache.get(key)
    if edge is None:
        found = newest().values_list("created_at", "pk")
        edge = tuple(next(iter(found[size - 1 : size]), ()))
        cache.set(key, edge, PLAN_SECONDS)
    return edge or None


def index_first(query: str, total: int) -> bool:
    """Whether a search should go to the word index at once: one of its words is known (from an
    earlier search, see :func:`word_counts`) to be in fewer items than the newest window would
    need to hold a page, so reading the window would be wasted."""
    counts = word_counts(query_words(query), known_only=True)
    return any(n <= FEW and n * WINDOW < total for n in counts.values())


def narrowing(query: str) -> tuple[str, list] | None:
    """A condition on the gallery's items (SQL and its parameters) that the word index answers,
    implied by the search ``query`` itself (every item that has its words meets it), or None
    when no word is rare enough to be worth asking the index for."""
    words = query_words(query)
    if not words:
        return None
    counts = word_counts(words)
    if connection.vendor == "postgresql":
        # GIN reads every item of a word start it is asked for (60 ms for a word in 17% of a
        # million items, 0.8 s for four such words): ask it only for the rare words.
        rare = [w for w in words if counts[w] <= FEW]
        if not rare:
            return None
        terms = " & ".join(f"'{w}':*" for w in rare)  # words hold only letters and digits
        return f"{PG_WORDS_SQL.format(column=media_column('search_text'))} @@ %s::tsquery", [terms]
    if connection.vendor == "sqlite":
        rarest = min(counts, key=counts.__getitem__)
        if counts[rarest] <= FEW:
            return (
                f"{media_column('id')} IN "  # noqa: S608 - a fixed name, the word a parameter
                "(SELECT rowid FROM gallery_media_fts WHERE gallery_media_fts MATCH %s)",
                [f'"{rarest}"*'],
            )
    return None


def narrowed(qs: QuerySet, query: str) -> QuerySet:
    """``qs`` (already filtered by ``matching(query)``) with the condition of
    :func:`narrowing`, so the result is the same and the word index can answer it."""
    found = narrowing(query)
    if found is None:
        return qs
    sql, params = found
    return qs.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611 - see narrowing


def word_counts(words: list[str], *, known_only: bool = False) -> dict[str, float]:
    """About how many items have a word starting with each of ``words`` (see the two functions
    below), each kept for ``WORD_SECONDS``; ``known_only``: only those already kept.

    A count only picks the plan, never the items shown, so one that is out of date costs at
    worst some speed. Asked afresh, a common word start costs SQLite 2-3 ms at a million items.
    """
    vendor = connection.vendor
    keys = {w: f"gallery:word:{vendor}:{w}" for w in dict.fromkeys(words)}
    kept = cache.get_many(keys.values())
    counts = {w: kept[key] for w, key in keys.items() if key in kept}
    missing = [w for w in keys if w not in counts]
    if known_only or not missing or vendor not in ("postgresql", "sqlite"):
        return counts
    if vendor == "postgresql":
        fresh, measured = _pg_items_with(missing)
    else:
        fresh, measured = {w: _sqlite_items_with(w) for w in missing}, True
    if measured:  # PostgreSQL before its first ANALYZE counts every word 0: not kept
        cache.set_many({keys[w]: n for w, n in fresh.items()}, WORD_SECONDS)
    return {**counts, **fresh}


def media_column(name: str) -> str:
    """A column of the gallery's table, as the page's query names it."""
    q = connection.ops.quote_name
    return f"{q(Media._meta.db_table)}.{q(name)}"


def _pg_items_with(words: list[str]) -> tuple[dict[str, float], bool]:
    """About how many items have a word starting with each of ``words``, from the statistics
    ANALYZE (autovacuum) keeps of the indexed expression: the most common words and their
    shares. A word start that none of them has is rarer than all of them: counted 0. Without
    statistics yet, every word counts 0 (the index is asked), and the second value is False."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = 'media_search_words' "
            "WHERE c.oid = 'gallery_media'::regclass"
        )
        row = cursor.fetchone()
    common, shares, items = row if row and row[0] else ([], [], 0)
    counts = {
        w: max(items, 0)
        * sum(share for word, share in zip(common, shares, strict=False) if word.startswith(w))
        for w in words
    }
    return counts, bool(common)


def _sqlite_items_with(word: str) -> int:
    """About how many items have a word starting with ``word`` (a sum over the words that do,
    so an item with two of them counts twice: an upper bound)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(doc), 0) FROM gallery_media_fts_vocab "
            "WHERE term >= %s AND term < %s",
            [word, word + "\U0010ffff"],
        )
        return cursor.fetchone()[0]
