"""Database housekeeping that the project's own schedule runs (see CELERY_BEAT_SCHEDULE),
reading a column's values from a plain cursor as the ORM would, and the hot statements every
page sends, prepared once per PostgreSQL connection."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from django.db import DatabaseError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field


def column_reader(field: Field) -> Callable[[object], object]:
    """A function that turns ``field``'s column, as the database returns it to a plain cursor,
    into the value the ORM would give (e.g. on SQLite a moment gets its time zone): the
    converters the ORM applies, in its order. For the hot reads written as SQL."""
    column = field.get_col(field.model._meta.db_table)
    converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)

    def read(value):
        for convert in converters:
            value = convert(value, column, connection)
        return value

    return read


# name -> the SQL prepared under it (see execute_prepared), so a test can read what a logged
# EXECUTE ran.
PREPARED: dict[str, str] = {}
_PLACEHOLDER = re.compile(r"%s|%%")


def execute_prepared(cursor, name: str, sql: str, params: Sequence = ()) -> None:
    """Run ``sql`` (``%s`` placeholders) with ``params`` on a Django cursor; on PostgreSQL as
    the statement ``name``, prepared the first time this connection runs it.

    For the few statements of the same text that every page sends (the session with its
    person, the gallery's newest id, the collections). PostgreSQL then neither parses nor
    plans them again: the session's query took 0.50 ms per call as text and 0.23 ms prepared,
    measured side by side on one connection. The statement is still sent and logged through
    the cursor (``EXECUTE name(…)``); PREPARE itself goes straight to the connection, as
    Django's own per-connection set-up does, so it is not counted as a page's query.

    Prepared statements belong to one server session: this needs each Django connection to
    keep its own (no pooler in transaction mode between flowdash and PostgreSQL).
    """
    db = cursor.db
    prepared = getattr(db, "prepared_statements", None)
    if prepared is None:  # SQLite: nothing to plan that costs as much
        cursor.execute(sql, params)
        return
    if name not in prepared:
        _prepare(db, name, sql, len(params))
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    try:
        cursor.execute(f"EXECUTE {name}{arguments}", params)
    except DatabaseError as exc:
        state = getattr(exc.__cause__, "sqlstate", None)
        if state not in _PREPARE_AGAIN or db.in_atomic_block:
            raise
        # Outside a transaction nothing else was lost: prepare it again and run it, once.
        if state == _RESULT_CHANGED:
            with db.connection.cursor() as raw:
                raw.execute(f"DEALLOCATE {name}")
        _prepare(db, name, sql, len(params))
        cursor.execute(f"EXECUTE {name}{arguments}", params)


# What makes a prepared statement worth preparing again: the server no longer has it (26000),
# or the tables under it changed shape since ("cached plan must not change result type",
# 0A000: a migration that ran while this process kept its connection).
_RESULT_CHANGED = "0A000"
_PREPARE_AGAIN = {"26000", _RESULT_CHANGED}


def _prepare(db: BaseDatabaseWrapper, name: str, sql: str, count: int) -> None:
    numbers = iter(range(1, count + 1))
    text = _PLACEHOLDER.sub(lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", sql)
    with db.connection.cursor() as raw:
        raw.execute(f"PREPARE {name} AS {text}")
    db.prepared_statements.add(name)
    PREPARED[name] = sql


# Rows SQLite samples per index: the figures are estimates, made in milliseconds even on a
# gallery of 100,000 items, and good enough for the planner to choose between indexes.
SQLITE_ANALYSIS_LIMIT = 400
# Indexes measured exactly instead: those that start with these (table, column). The gallery
# walks gallery_media newest first by one of three indexes starting with created_at; sampled,
# the partial one (not archived, the one that holds what a card needs) looked three times the
# size of the table, so the planner walked the plain one and read each item's row: favourites +
# a tag at a million items took 6.0 ms instead of 2.4, a search 2.5 instead of 1.5. The index
# that finds the same columns by id is measured exactly too: sampled, it looked 40% of the
# table's size, and the planner read all of it and sorted a million rows to find where the
# newest 2,450 end (a search at a million items: 0.82 s instead of a few ms). Measured
# exactly, the four cost about 0.5 s of the hourly housekeeping at a million items.
SQLITE_EXACT_INDEXES = (("gallery_media", "created_at"), ("gallery_media", "id"))


def refresh_statistics(connection: BaseDatabaseWrapper) -> bool:
    """Give SQLite's query planner current table statistics; True when it ran.

    SQLite never gathers them by itself: without them a filter on favourites and a tag was
    planned from the wrong end (three times slower). PostgreSQL's autovacuum keeps its own.
    """
    if connection.vendor != "sqlite":
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
        exact = []
        for table, column in SQLITE_EXACT_INDEXES:
            cursor.execute(
                "SELECT l.name FROM pragma_index_list(%s) l"
                " JOIN pragma_index_info(l.name) i ON i.seqno = 0 WHERE i.name = %s",
                [table, column],
            )
            exact += [name for (name,) in cursor.fetchall()]
        cursor.execute("PRAGMA analysis_limit=0")
        for name in exact:
            cursor.execute(f"ANALYZE {quote(name)}")
    return True
