"""The gallery's filters and its keyset pagination, read from the query string.

Every value comes from a URL someone may have typed, shared or damaged: anything that does not
parse is dropped with a notice in words, never an error page. The page cursor is signed, so a
changed cursor is recognised and the first page shown instead.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString

from flowdash.accounts.models import FlowAccount
from flowdash.gallery.cards import CardRef
from flowdash.gallery.models import Collection, CollectionItem, Media, Tag
from flowdash.gallery.search import (
    PLAN_SECONDS,
    index_first,
    media_column,
    narrowed,
    narrowing,
    query_words,
    window_edge,
)
from flowdash.lib.database import column_reader, execute_prepared
from flowdash.lib.params import MAX_DATE, MIN_DATE, parse_bool, parse_date, parse_id

PAGE_SIZES = (24, 48, 96)
DEFAULT_PAGE_SIZE = 48
MAX_SEARCH_CHARS = 200
MAX_TAGS = 5
CURSOR_SALT = "flowdash.gallery.cursor"
# The keys that make up a shareable view (the cursor is not one of them).
FILTER_KEYS = (
    "q",
    "scope",
    "kind",
    "model",
    "ratio",
    "account",
    "creator",
    "tag",
    "collection",
    "fav",
    "archived",
    "from",
    "to",
    "per",
)
_PLAIN_VALUE = re.compile(r"^[\w .:/+()-]{1,60}$")


@dataclass
class GalleryFilters:
    q: str = ""
    scope: str = "everyone"
    kind: str = ""
    model: str = ""
    ratio: str = ""
    account: FlowAccount | None = None
    creator: object | None = None  # a User
    tags: list[str] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    collection: Collection | None = None
    fav: bool = False
    archived: bool = False  # True: the archive (items filed away by Compare) instead of the rest
    date_from: date | None = None
    date_to: date | None = None
    per: int = DEFAULT_PAGE_SIZE
    cursor: tuple[datetime, int] | None = None
    facets: dict[str, list[str]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    # --- reading -------------------------------------------------------------------------------

    @classmethod
    def from_query(cls, params, user) -> GalleryFilters:
        f = cls()
        q = " ".join((params.get("q") or "").split())
        if len(q) > MAX_SEARCH_CHARS:
            q = q[:MAX_SEARCH_CHARS].rsplit(" ", 1)[0] or q[:MAX_SEARCH_CHARS]
            f.notices.append(
                f"The search was shortened to its first {MAX_SEARCH_CHARS} characters."
            )
        f.q = q

        scope = params.get("scope") or "everyone"
        if scope not in ("everyone", "mine"):
            f.notices.append(f"“{scope[:40]}” is not a view; showing everyone's items.")
            scope = "everyone"
        f.scope = scope

        kind = params.get("kind") or ""
        if kind and kind not in Media.Kind.values:
            f.notices.append(f"There is no kind “{kind[:40]}”; the kind filter was ignored.")
            kind = ""
        f.kind = kind

        f.facets = facets = media_facets()
        f.model = f._pick(params.get("model"), facets["models"], "model")
        f.ratio = f._pick(params.get("ratio"), facets["ratios"], "aspect ratio")

        account = params.get("account") or ""
        if account:
            account_id = parse_id(account)
            f.account = FlowAccount.objects.filter(pk=account_id).first() if account_id else None
            if f.account is None:
                f.notices.append("That account is unknown; the account filter was ignored.")

        creator = params.get("creator") or ""
        if creator:
            f.creator = (
                get_user_model().objects.filter(username=creator).first()
                if len(creator) <= 150
                else None
            )
            if f.creator is None:
                f.notices.append("That creator is unknown; the creator filter was ignored.")

        tags = [t.strip() for t in params.getlist("tag") if t.strip()]
        if len(tags) > MAX_TAGS:
            f.notices.append(f"Only the first {MAX_TAGS} tags were used.")
            tags = tags[:MAX_TAGS]
        if tags:
            # Tags are never deleted, so the menus' cached names and ids hold; a tag newer than
            # the cache is asked of the database.
            known = {name: pk for name, pk in menu_data()["tags"] if name in tags}
            if len(known) < len(set(tags)):
                known = dict(Tag.objects.filter(name__in=tags).values_list("name", "pk"))
            unknown = [t for t in tags if t not in known]
            if unknown:
                f.notices.append(
                    "No tag called " + ", ".join(f"“{t[:40]}”" for t in unknown) + "; ignored."
                )
            f.tags = [t for t in tags if t in known]
            f.tag_ids = [known[t] for t in f.tags]

        collection = params.get("collection") or ""
        if collection:
            collection_id = parse_id(collection)
            f.collection = (
                Collection.objects.filter(pk=collection_id).first() if collection_id else None
            )
            if f.collection is None:
                f.notices.append("That collection does not exist; the filter was ignored.")

        f.fav = params.get("fav") in ("1", "on", "true", "yes")
        f.archived = parse_bool(params.get("archived"))
        f.date_from = f._date(params.get("from"), "From")
        f.date_to = f._date(params.get("to"), "To")
        if f.date_from and f.date_to and f.date_from > f.date_to:
            f.date_from, f.date_to = f.date_to, f.date_from
            f.notices.append("The dates were the wrong way round; they were swapped.")

        per = parse_id(params.get("per"))
        f.per = per if per in PAGE_SIZES else DEFAULT_PAGE_SIZE

        raw_cursor = params.get("cursor") or ""
        if raw_cursor:
            f.cursor = read_cursor(raw_cursor)
            if f.cursor is None:
                f.notices.append("That page link was damaged or too old; here is the first page.")
        return f

    def _pick(self, value: str | None, allowed: list[str], label: str) -> str:
        if not value:
            return ""
        if value in allowed:
            return value
        shown = value[:40] if _PLAIN_VALUE.match(value[:60]) else "that value"
        self.notices.append(f"No item has the {label} “{shown}”; that filter was ignored.")
        return ""

    def _date(self, value: str | None, label: str) -> date | None:
        if not value:
            return None
        day = parse_date(value)
        if day is not None:
            return day
        self.notices.append(
            f"{label} date “{value[:20]}” is not a date like 2026-01-31 between"
            f" {MIN_DATE.year} and {MAX_DATE.year}; it was ignored."
        )
        return None

    # --- applying ------------------------------------------------------------------------------

    def queryset(self, user, *, search: bool = True) -> QuerySet[Media]:
        """The items the filters show (``search=False``: leaving out the search words).

        The conditions are gathered and applied in one ``filter()``: each call copies the
        whole query, and a page's queryset was copied some thirty times before it ran.
        """
        where = [Q(archived=self.archived)]
        if self.scope == "mine":
            where.append(Q(created_by=user))
        for name, value in (("kind", self.kind), ("model", self.model)):
            if value:
                where.append(Q((name, value)))
        if self.ratio:
            where.append(Q(aspect_ratio=self.ratio))
        if self.account:
            where.append(Q(account=self.account))
        if self.creator:
            where.append(Q(created_by=self.creator))
        # Favourites, or else the first tag: a join, read in the grid's order from the person's
        # favourites or the tag's rows (see page()). Further tags and the collection: see
        # related_filter().
        walked, tag_ids = self.walked(), self.tag_ids
        if walked == "fav":
            where.append(Q(favourite_rows__user=user))
        elif walked == "tag":
            where.append(Q(tagging_rows__tag_id=tag_ids[0]))
            tag_ids = tag_ids[1:]
        where += [related_filter("tag", tag_id) for tag_id in tag_ids]
        if self.collection:
            where.append(related_filter("collection", self.collection.pk))
        tz = timezone.get_current_timezone()
        if self.date_from:
            where.append(Q(created_at__gte=datetime.combine(self.date_from, time.min, tz)))
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time.min, tz)
            where.append(Q(created_at__lt=end))
        qs = Media.objects.filter(*where)
        if self.q and search:
            qs = narrowed(qs.matching(self.q), self.q)
        return qs

    def page(self, user) -> tuple[list[CardRef], str | None]:
        """One page, newest first, and the cursor of the next page (None on the last one).

        Only what names each card is read here (see ``cards.py``): building Media objects
        for 48 rows cost more than the query itself, and most cards come from the cache.
        The query is written as SQL (see :class:`PageQuery`).
        """
        query = PageQuery(self, user)
        total = self.facets.get("newest", 0)  # at least as many items as the gallery holds
        if not self.q:
            items = query.rows()
        elif index_first(self.q, total):
            items = query.rows(search=True, narrowing=narrowing(self.q))
        else:
            # A common word: the newest few thousand items hold a page, found by reading them
            # newest first. A rare one: the word index (see gallery/search.py). The same items
            # either way.
            edge = window_edge(lambda: self._walk(user), self.per + 1, total, self._view_key(user))
            items = query.rows(search=True, edge=edge)
            if edge is not None and len(items) <= self.per:
                items = query.rows(search=True, narrowing=narrowing(self.q))
        next_cursor = None
        if len(items) > self.per:
            items = items[: self.per]
            last = items[-1]
            next_cursor = make_cursor(last.created_at, last.pk)
        return items, next_cursor

    def _walk(self, user) -> QuerySet[Media]:
        """The page's items before the search words, with the ORM, newest first in the page's
        order (by the favourite or tag rows when the page walks them): what PageQuery writes
        as SQL, kept for what is asked rarely (where a search window ends) and as its model."""
        qs = self.queryset(user, search=False)
        at_key, pk_key = "created_at", "pk"
        walked = self.walked()
        if walked:  # see PageQuery._view
            rows = {"fav": "favourite_rows", "tag": "tagging_rows"}[walked]
            qs = qs.alias(row_at=F(f"{rows}__media_created_at"), row_pk=F(f"{rows}__media_id"))
            at_key, pk_key = "row_at", "row_pk"
        if self.cursor:
            at, pk = self.cursor
            qs = qs.filter(**{f"{at_key}__lte": at}).filter(
                Q((f"{at_key}__lt", at)) | Q((f"{pk_key}__lt", pk))
            )
        return qs.order_by(f"-{at_key}", f"-{pk_key}")

    def walked(self) -> str:
        """Which item rows a page is read from, in the grid's order: "fav" (the person's
        favourites), "tag" (the first tag's items) or "" (the gallery itself)."""
        return "fav" if self.fav else "tag" if self.tag_ids else ""

    def _view_key(self, user) -> str:
        """What names the items this view shows before its search words: the other filters,
        the page's place, who is looking (favourites, "mine") and the newest item's id."""
        params = self.as_params()
        params.pop("q", None)
        named = [user.pk, self.facets.get("newest", 0), self.cursor, sorted(params.items())]
        return hashlib.blake2b(repr(named).encode(), digest_size=16).hexdigest()

    def menus(self) -> list[tuple[str, str, str, list[tuple[object, str, bool]]]]:
        """The filter menus: (name, label, empty choice, [(value, text, selected)…])."""
        data = menu_data()
        tags = set(self.tags)
        return [
            ("kind", "Kind", "Any kind", _options(Media.Kind.choices, self.kind)),
            ("model", "Model", "Any model", _options(_pairs(self.facets["models"]), self.model)),
            (
                "ratio",
                "Aspect ratio",
                "Any ratio",
                _options(_pairs(self.facets["ratios"]), self.ratio),
            ),
            (
                "account",
                "Account",
                "Any account",
                _options(data["accounts"], self.account.pk if self.account else None),
            ),
            (
                "creator",
                "Creator",
                "Anyone",
                _options(
                    _pairs(data["creators"]),
                    self.creator.get_username() if self.creator else None,
                ),
            ),
            ("tag", "Tag", "Any tag", [(n, n, n in tags) for n, _ in data["tags"]]),
            (
                "collection",
                "Collection",
                "Any collection",
                _options(data["collections"], self.collection.pk if self.collection else None),
            ),
        ]

    # --- writing back --------------------------------------------------------------------------

    def as_params(self) -> dict[str, str | list[str]]:
        params: dict[str, str | list[str]] = {}
        if self.q:
            params["q"] = self.q
        if self.scope != "everyone":
            params["scope"] = self.scope
        for key in ("kind", "model", "ratio"):
            if getattr(self, key):
                params[key] = getattr(self, key)
        if self.account:
            params["account"] = str(self.account.pk)
        if self.creator:
            params["creator"] = self.creator.get_username()
        if self.tags:
            params["tag"] = list(self.tags)
        if self.collection:
            params["collection"] = str(self.collection.pk)
        if self.fav:
            params["fav"] = "1"
        if self.archived:
            params["archived"] = "1"
        if self.date_from:
            params["from"] = self.date_from.isoformat()
        if self.date_to:
            params["to"] = self.date_to.isoformat()
        if self.per != DEFAULT_PAGE_SIZE:
            params["per"] = str(self.per)
        return params

    def querystring(self, **extra: str) -> str:
        params = {**self.as_params(), **extra}
        return urlencode(params, doseq=True)

    @property
    def active(self) -> bool:
        params = self.as_params()
        params.pop("per", None)
        return bool(params)


class PageQuery:
    """The rows of one gallery page, as SQL: the query ``GalleryFilters._walk`` builds with the
    ORM (plus the search words and the favourite mark), written out directly.

    Building and compiling that query with the ORM took 0.5 to 1 ms of CPU on every page, two
    to ten times what running it took, and more than the whole signed-in layout around it. The
    SQL is the ORM's own, condition for condition (same joins, same order, so the same plans and
    indexes), with each value prepared by the database's own operations, except that PostgreSQL
    tests a search word within a window with strpos() (see rows()); a test holds the items of
    both the same for every filter, walk, cursor and search.
    """

    def __init__(self, filters: GalleryFilters, user):
        self.filters, self.user = filters, user
        self.col = media_column
        self.joins, self.where, self.params = self._view()

    def _view(self) -> tuple[str, list[str], list]:
        """The join, conditions and parameters of the page's items before its search words."""
        f, col, ops = self.filters, self.col, connection.ops
        where, params = [col("archived") if f.archived else f"NOT {col('archived')}"], []

        def equal(column: str, value) -> None:
            where.append(f"{col(column)} = %s")
            params.append(value)

        if f.scope == "mine":
            equal("created_by_id", self.user.pk)
        for column, value in (("kind", f.kind), ("model", f.model), ("aspect_ratio", f.ratio)):
            if value:
                equal(column, value)
        if f.account:
            equal("account_id", f.account.pk)
        if f.creator:
            equal("created_by_id", f.creator.pk)
        joins, self.order = "", (col("created_at"), col("id"))
        walked, tag_ids = f.walked(), f.tag_ids
        if walked:
            # The favourite and tag rows keep their items' created_at: the page walks the
            # person's favourites (index favourite_newest) or the tag's items (tagging_newest)
            # newest first and stops after one page, where walking the gallery and looking each
            # item up read 100 rows per card at 1%. Ordering and the cursor name the row's
            # columns (the same values as the item's) so that the database sees the index's
            # order; the join is the filter's.
            through = (Media.favourited_by if walked == "fav" else Media.tags).through._meta
            table = _quoted(through.db_table)
            joins = f" INNER JOIN {table} ON ({col('id')} = {table}.{_quoted('media_id')})"
            if walked == "fav":
                where.append(f"{table}.{_quoted('user_id')} = %s")
                params.append(self.user.pk)
            else:
                where.append(f"{table}.{_quoted('tag_id')} = %s")
                params.append(tag_ids[0])
                tag_ids = tag_ids[1:]
            self.order = (
                f"{table}.{_quoted('media_created_at')}",
                f"{table}.{_quoted('media_id')}",
            )
        related = [related_filter("tag", tag_id) for tag_id in tag_ids]
        if f.collection:
            related.append(related_filter("collection", f.collection.pk))
        for condition in related:
            where.append(condition.sql)
            params.extend(condition.params)
        tz = timezone.get_current_timezone()
        if f.date_from:
            where.append(f"{col('created_at')} >= %s")
            params.append(
                ops.adapt_datetimefield_value(datetime.combine(f.date_from, time.min, tz))
            )
        if f.date_to:
            end = datetime.combine(f.date_to + timedelta(days=1), time.min, tz)
            where.append(f"{col('created_at')} < %s")
            params.append(ops.adapt_datetimefield_value(end))
        if f.cursor:
            more, values = self._range(f.cursor, "after")
            where += more
            params += values
        return joins, where, params

    def _range(self, edge: tuple[datetime, int], side: str) -> tuple[list[str], list]:
        """The conditions (and parameters) that keep the items older than ``edge`` (``side``
        "after": the next page after a cursor) or up to it (``side`` "upto": the newest items
        up to a search window's edge), in the page's order: a plain range on the index, then
        the tie on the id."""
        at_col, pk_col = self.order
        at, pk = edge
        at = connection.ops.adapt_datetimefield_value(at)
        if side == "after":
            return [f"{at_col} <= %s", f"({at_col} < %s OR {pk_col} < %s)"], [at, at, pk]
        return [f"{at_col} >= %s", f"({at_col} > %s OR {pk_col} >= %s)"], [at, at, pk]

    def rows(
        self,
        *,
        search: bool = False,
        edge: tuple[datetime, int] | None = None,
        narrowing: tuple[str, list] | None = None,
    ) -> list[CardRef]:
        """The first ``per + 1`` cards, newest first, each with the favourite mark: with the
        search words (``search``), within the newest items up to ``edge``, and with the word
        index's condition (``narrowing``, see gallery/search.py)."""
        f, col, ops = self.filters, self.col, connection.ops
        where, params = list(self.where), list(self.params)
        if edge is not None:
            more, values = self._range(edge, "upto")
            where += more
            params += values
        if search:  # as MediaQuerySet.matching: every word the start of a word
            for word in query_words(f.q):
                if edge is not None and connection.vendor == "postgresql":
                    # search_text holds " word word " and the word has no space: the same test
                    # as LIKE '% word%', and PostgreSQL's strpos() makes it in two thirds of the
                    # time (a window holds some two thousand items to test). Only there: the
                    # planner cannot tell how rare a strpos() match is, and with a rare word
                    # and the word index (narrowing) it then read every item (0.4 s at a
                    # million) instead of asking the index.
                    where.append(f"strpos({col('search_text')}, %s) > 0")
                    params.append(f" {word}")
                else:
                    lhs = ops.lookup_cast("contains", "TextField") % col("search_text")
                    where.append(f"{lhs} {connection.operators['contains'] % '%s'}")
                    params.append(f"%{ops.prep_for_like_query(f' {word}')}%")
        if narrowing is not None:
            where.append(f"({narrowing[0]})")
            params.extend(narrowing[1])
        select, select_params = "", []
        if not f.fav:
            mark = favourite_mark(self.user)
            select, select_params = f", {mark.sql}", list(mark.params)
        at_col, pk_col = self.order
        sql = (
            f"SELECT {col('id')}, {col('created_at')}, {col('download_status')}{select}"  # noqa: S608 - names from the models, values parameters
            f" FROM {_quoted(Media._meta.db_table)}{self.joins}"
            f" WHERE {' AND '.join(where)}"
            f" ORDER BY {at_col} DESC, {pk_col} DESC LIMIT {int(f.per) + 1}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, select_params + params)
            found = cursor.fetchall()
        moment = column_reader(Media._meta.get_field("created_at"))
        cards = [
            CardRef(row[0], moment(row[1]), row[2], True if f.fav else bool(row[3]))
            for row in found
        ]
        return cards


# Up to this many items in a tag or a collection, the page starts from them.
# Which of the two plans below a tag (etc.) needs is kept for PLAN_SECONDS: it only picks the
# plan (both show the same items), and asking on every page cost two queries of a favourites +
# tag page's seven.
FEW_RELATED = 2000


# The rows that name a tag's or a collection's items: (model, column).
RELATED = {
    "tag": (Media.tags.through, "tag_id"),
    "collection": (CollectionItem, "collection_id"),
}


def related_filter(kind: str, value: int) -> RawSQL:
    """The condition that keeps the items a tag or a collection names
    (``kind`` as in RELATED, ``value`` its id), in the plan that costs the same at any size.

    With few such rows (up to FEW_RELATED, counted in one bounded query) the database starts
    from them and sorts at most that many. With more, it reads the gallery newest first and
    tests each item with a one-row lookup, stopping after one page: a tag on 2% of a million
    items costs what it costs on ten thousand. (Left to itself, PostgreSQL took every tagged
    row, joined and sorted them, because it cannot know that favourites and a tag go together:
    100 ms at a million items.) A subquery with LIMIT is not turned into a join by either
    database, which is what keeps the second plan.

    Written as SQL: built with the ORM, the two subqueries (with the favourite mark, below)
    cost a favourites + tag page about 1.5 ms of CPU more than its first page.
    """
    model, column = RELATED[kind]
    key = f"gallery:few:{FEW_RELATED}:{kind}:{value}"
    few = cache.get(key)
    if few is None:
        rows = model.objects.filter(**{column: value})
        few = rows[: FEW_RELATED + 1].count() <= FEW_RELATED
        cache.set(key, few, PLAN_SECONDS)
    table, media = _quoted(model._meta.db_table), _quoted("media_id")
    item, column = media_column("id"), _quoted(column)
    if few:
        sql = f"{item} IN (SELECT {media} FROM {table} WHERE {column} = %s)"  # noqa: S608
    else:
        one = f"SELECT {media} FROM {table} WHERE {column} = %s AND {media} = {item} LIMIT 1"  # noqa: S608
        sql = f"({one}) IS NOT NULL"
    return RawSQL(sql, [value], output_field=BooleanField())  # noqa: S611 - see above


def favourite_mark(user) -> RawSQL:
    """Whether ``user`` has made the item a favourite (as SQL: see related_filter). A scalar
    subquery with LIMIT keeps it one lookup per shown item: PostgreSQL runs an EXISTS (with or
    without LIMIT, which it drops there) by reading all of the person's favourites into a hash
    first (10,000 of them: 1.9 ms before the first row, at every page)."""
    table = _quoted(Media.favourited_by.through._meta.db_table)
    media, who = _quoted("media_id"), _quoted("user_id")
    return RawSQL(  # noqa: S611 - names from the model, the person a parameter
        f"(SELECT 1 FROM {table} WHERE {media} = {media_column('id')} AND {who} = %s LIMIT 1)"  # noqa: S608
        " IS NOT NULL",
        [user.pk],
        output_field=BooleanField(),
    )


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _pairs(values) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


# The filter menus as HTML, by what they hold: every full gallery page shows them, and the same
# few menus with the same choices selected come back again and again. Drawing them with the
# template's loops cost about 0.2 ms of each page; a dictionary lookup costs nothing.
_MENUS_HTML: dict[tuple, SafeString] = {}
MENUS_HTML_KEPT = 500


def menus_html(menus: list[tuple[str, str, str, list[tuple[object, str, bool]]]]) -> SafeString:
    """The ``<select>`` of each of :meth:`GalleryFilters.menus`, each in its ``<label>``."""
    key = tuple((name, label, empty, tuple(options)) for name, label, empty, options in menus)
    html = _MENUS_HTML.get(key)
    if html is None:
        parts = []
        for name, label, empty, options in menus:
            choices = "".join(
                f'<option value="{escape(value)}"{" selected" if selected else ""}>'
                f"{escape(text)}</option>"
                for value, text, selected in options
            )
            parts.append(
                f'<label>{escape(label)}\n      <select name="{escape(name)}">\n'
                f'        <option value="">{escape(empty)}</option>\n'
                f"        {choices}\n      </select>\n    </label>"
            )
        html = SafeString("\n    ".join(parts))
        if len(_MENUS_HTML) >= MENUS_HTML_KEPT:
            _MENUS_HTML.clear()
        _MENUS_HTML[key] = html
    return html


def _options(pairs, current) -> list[tuple[object, str, bool]]:
    return [(value, label, value == current) for value, label in pairs]


def make_cursor(created_at: datetime, pk: int) -> str:
    return signing.dumps([created_at.isoformat(), pk], salt=CURSOR_SALT, compress=False)


def read_cursor(raw: str) -> tuple[datetime, int] | None:
    if len(raw) > 200:
        return None
    try:
        at, pk = signing.loads(raw, salt=CURSOR_SALT)
        moment = datetime.fromisoformat(at)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or moment.tzinfo is None:
        return None
    return moment, pk


MENUS_KEY = "gallery:menus"


def menu_data() -> dict[str, list]:
    """Accounts, people, tags and collections for the filter menus, cached for a minute.

    The gallery's own views call :func:`forget_menus` when they add a tag or change a
    collection; accounts and people change elsewhere and may show a minute late.
    """
    data = cache.get(MENUS_KEY)
    if data is None:
        data = {
            "accounts": list(FlowAccount.objects.order_by("email").values_list("pk", "email")),
            "creators": list(
                get_user_model()
                .objects.filter(is_active=True)
                .order_by("username")
                .values_list("username", flat=True)
            ),
            "tags": list(Tag.objects.order_by("name").values_list("name", "pk")),
            "collections": list(Collection.objects.order_by("name").values_list("pk", "name")),
        }
        cache.set(MENUS_KEY, data, 60)
    return data


def forget_menus() -> None:
    cache.delete(MENUS_KEY)


def media_facets() -> dict:
    """The distinct models and aspect ratios in the gallery, for the filter menus, and the
    newest item's id ("newest": 0 when the gallery is empty, and never fewer than its items).

    Reading them scans an index of every row, so the answer is cached and recomputed when a
    newer row exists (the highest id changes) or after ten minutes.
    """
    with connection.cursor() as cursor:  # every page asks: as SQL, not compiled each time
        newest_sql = f"SELECT MAX({_quoted('id')}) FROM {_quoted(Media._meta.db_table)}"  # noqa: S608
        execute_prepared(cursor, "flowdash_newest", newest_sql)
        newest = cursor.fetchone()[0] or 0
    key = f"gallery:facets:{newest}"
    facets = cache.get(key)
    if facets is None:
        base = Media.objects.order_by()
        facets = {
            "models": sorted(m for m in base.values_list("model", flat=True).distinct() if m),
            "ratios": sorted(
                r for r in base.values_list("aspect_ratio", flat=True).distinct() if r
            ),
        }
        cache.set(key, facets, 600)
    return {**facets, "newest": newest}
